"""Pages of the integration hub."""

from django.urls import path

from towers.integration import views, views_partners

urlpatterns = [
    path("webhook-subscriptions/", views.subscription_list, name="integration_webhook_subscriptions"),
    path("webhook-subscriptions/<uuid:pk>/toggle/", views.subscription_toggle, name="integration_webhook_toggle"),
    path("webhook-subscriptions/<uuid:pk>/rotate/", views.subscription_rotate, name="integration_webhook_rotate"),
    path("webhook-messages/", views.message_list, name="integration_webhook_messages"),
    path("webhook-messages/<int:pk>/replay/", views.message_replay, name="integration_webhook_message_replay"),
    path("partner-integrations/", views_partners.partner_list, name="integration_partners"),
    path("partner-integrations/<uuid:pk>/", views_partners.partner_detail, name="integration_partner_detail"),
    path(
        "partner-messages/<int:pk>/replay/",
        views_partners.partner_message_replay,
        name="integration_partner_message_replay",
    ),
    path(
        "tickets/<str:reference>/partner-messages/",
        views_partners.ticket_partner_messages,
        name="ticket_partner_messages",
    ),
]
