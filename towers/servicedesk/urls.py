"""Service desk pages: the agent workspace, the requester portal, and the pages of each ticket kind."""

from django.urls import include, path

urlpatterns = [
    path("", include("towers.servicedesk.urls_workspace")),
    path("", include("towers.servicedesk.urls_portal")),
    path("", include("towers.servicedesk.urls_changes")),
    path("", include("towers.servicedesk.urls_major")),
    path("", include("towers.servicedesk.urls_requests")),
    path("", include("towers.servicedesk.urls_mail")),
]
