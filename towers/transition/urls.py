"""Pages of the transition app."""

from django.urls import path

from towers.transition import views

urlpatterns = [
    path("transitions/", views.transition_list, name="transition_list"),
    path("transitions/<uuid:pk>/", views.transition_detail, name="transition_detail"),
    path("transitions/<uuid:pk>/dry-run/", views.transition_dry_run, name="transition_dry_run"),
    path("transitions/<uuid:pk>/apply/", views.transition_apply, name="transition_apply"),
]
