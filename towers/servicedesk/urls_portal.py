"""Pages of the requester portal: one's own tickets, raising an incident, and published articles."""

from django.urls import path

from towers.servicedesk.views import portal

urlpatterns = [
    path("portal/", portal.portal_home, name="portal_home"),
    path("portal/new/", portal.portal_new, name="portal_new"),
    path("portal/tickets/<str:reference>/", portal.portal_ticket, name="portal_ticket"),
    path("portal/tickets/<str:reference>/comments/", portal.portal_comment, name="portal_comment"),
    path("portal/tickets/<str:reference>/attachments/", portal.portal_attach, name="portal_attach"),
    path("portal/tickets/<str:reference>/reopen/", portal.portal_reopen, name="portal_reopen"),
    path("portal/tickets/<str:reference>/confirm/", portal.portal_confirm, name="portal_confirm"),
    path("portal/articles/", portal.portal_articles, name="portal_articles"),
    path("portal/articles/<uuid:pk>/", portal.portal_article, name="portal_article"),
]
