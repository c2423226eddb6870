"""Pages of the integration hub."""

from django.urls import path

from towers.integration import views

urlpatterns = [
    path("webhook-messages/", views.message_list, name="integration_webhook_messages"),
    path("webhook-messages/<int:pk>/replay/", views.message_replay, name="integration_webhook_message_replay"),
]
