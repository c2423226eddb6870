"""Where supplier integrations' tools call back: the TMF621 event listener each integration registered at its
partner's /hub. Authenticated by the secret in the URL (its digest is kept); see listener_partners.
"""

from django.urls import path

from towers.integration.listener_partners import partner_listener

urlpatterns = [
    path("<uuid:integration_id>/listener/<str:secret>", partner_listener, name="partner_listener"),
    path(
        "<uuid:integration_id>/listener/<str:secret>/<str:event_name>", partner_listener, name="partner_listener_event"
    ),
]
