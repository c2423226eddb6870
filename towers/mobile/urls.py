"""Pages of mobile services, under /mobile/."""

from django.urls import include, path

urlpatterns = [
    path("mobile/", include("towers.mobile.urls_fleet")),
    path("mobile/", include("towers.mobile.urls_import")),
    path("mobile/", include("towers.mobile.urls_dashboard")),
    path("mobile/", include("towers.mobile.urls_lifecycle")),
    path("", include("towers.mobile.urls_loss")),
]
