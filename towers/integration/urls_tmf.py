"""TMF621 Trouble Ticket v5 at /tmf-api/troubleTicket/v5/: the trouble tickets and the /hub of event listeners.

Like /api/v1 and /api/now, it authenticates each request itself (a bearer API token, or basic) and has its own
segregation tests, so the UI page walkers leave it alone.
"""

from django.urls import path

from towers.integration import tmf_api

urlpatterns = [
    path("troubleTicket", tmf_api.trouble_tickets, name="tmf_trouble_tickets"),
    path("troubleTicket/<str:id>", tmf_api.trouble_ticket_view, name="tmf_trouble_ticket"),
    path("hub", tmf_api.hubs, name="tmf_hubs"),
    path("hub/<str:id>", tmf_api.hub, name="tmf_hub"),
]
