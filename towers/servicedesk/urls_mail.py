"""Pages: the mail the desk received."""

from django.urls import path

from towers.servicedesk.views import mail

urlpatterns = [
    path("inbound-mail/", mail.inbound_mail, name="inbound_mail"),
    path("inbound-mail/<int:pk>/raw/", mail.inbound_mail_raw, name="inbound_mail_raw"),
]
