"""Pages of exit packs (included by towers/reporting/urls.py)."""

from django.urls import path

from towers.reporting import views_exit

urlpatterns = [
    path("exit-packs/", views_exit.exit_pack_list_view, name="exit_pack_list"),
    path("exit-packs/<uuid:pk>/download/", views_exit.exit_pack_download, name="exit_pack_download"),
]
