"""Pages of the agent's workspace: queues, hand-offs, crossed tickets, and each ticket with its actions.

Tickets are addressed by reference (INC0001234); the segregation walker probes /tickets/<reference>/
routes with another supplier's ticket (ticket_get also takes its id), as it does every /<plural>/<id>/.
"""

from django.urls import path

from towers.servicedesk.views import tickets, workspace

urlpatterns = [
    path("queues/", workspace.queue, name="ticket_queue"),
    path("queues/bulk/", workspace.queue_bulk, name="ticket_queue_bulk"),
    path("queues/views/", workspace.saved_view_create, name="saved_view_create"),
    path("saved-views/<uuid:pk>/delete/", workspace.saved_view_remove, name="saved_view_delete"),
    path("handoffs/", workspace.handoff_list, name="handoff_list"),
    path("handoffs/<uuid:pk>/accept/", workspace.handoff_decide, {"decision": "accept"}, name="handoff_accept"),
    path("handoffs/<uuid:pk>/reject/", workspace.handoff_decide, {"decision": "reject"}, name="handoff_reject"),
    path("crossed/", workspace.crossed_list, name="crossed_list"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/priority/", tickets.priority_preview, name="ticket_priority_preview"),
    path("tickets/<str:reference>/", tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<str:reference>/move/", tickets.ticket_move, name="ticket_move"),
    path("tickets/<str:reference>/assign/", tickets.ticket_assign_view, name="ticket_assign"),
    path("tickets/<str:reference>/hand-off/", tickets.ticket_hand_off_view, name="ticket_hand_off"),
    path("tickets/<str:reference>/comments/", tickets.ticket_comment_view, name="ticket_comment"),
    path("tickets/<str:reference>/priority/", tickets.ticket_priority_view, name="ticket_priority"),
    path("tickets/<str:reference>/attachments/", tickets.ticket_attach_view, name="ticket_attach"),
    path("attachments/<uuid:pk>/", tickets.attachment_download, name="attachment_download"),
]
