from django.urls import include, path

from towers.api import api
from towers.core.views import health

urlpatterns = [
    path("health", health, name="health"),
    path("api/v1/", api.urls),
    path("", include("towers.organisations.urls")),
    path("", include("towers.sla.urls")),
    path("", include("towers.contracts.urls")),
    path("", include("towers.cmdb.urls")),
    path("", include("towers.servicedesk.urls")),
    path("", include("towers.soc.urls")),
    path("", include("towers.mobile.urls")),
    path("", include("towers.integration.urls")),
    path("", include("towers.reporting.urls")),
    path("", include("towers.transition.urls")),
    path("api/now/", include("towers.integration.urls_now")),
    path("api/partners/", include("towers.integration.urls_partners")),
    path("tmf-api/troubleTicket/v5/", include("towers.integration.urls_tmf")),
    path("", include("towers.web.urls")),
]
