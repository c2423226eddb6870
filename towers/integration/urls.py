"""Pages of the integration hub."""

from django.urls import path

from towers.integration import views

urlpatterns = [
    path("webhook-subscriptions/", views.subscription_list, name="integration_webhook_subscriptions"),
    path("webhook-subscriptions/<uuid:pk>/toggle/", views.subscription_toggle, name="integration_webhook_toggle"),
    path("webhook-subscriptions/<uuid:pk>/rotate/", views.subscription_rotate, name="integration_webhook_rotate"),
    path("webhook-messages/", views.message_list, name="integration_webhook_messages"),
    path("webhook-messages/<int:pk>/replay/", views.message_replay, name="integration_webhook_message_replay"),
]
