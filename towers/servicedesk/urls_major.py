"""Pages of major incidents: the board, each incident, and declaring one from its ticket (by reference or id)."""

from django.urls import path

from towers.servicedesk.views import major

urlpatterns = [
    path("major-incidents/", major.major_board, name="major_board"),
    path("major-incidents/<uuid:pk>/", major.major_detail, name="major_detail"),
    path("major-incidents/<uuid:pk>/updates/", major.major_update_view, name="major_update"),
    path("major-incidents/<uuid:pk>/resolve/", major.major_resolve_view, name="major_resolve"),
    path("major-incidents/<uuid:pk>/review/", major.major_review_view, name="major_review"),
    path("tickets/<str:reference>/declare-major/", major.major_declare_view, name="major_declare"),
]
