"""Pages of mobile services: the import part (included by towers/mobile/urls.py)."""

from django.urls import path

from towers.mobile import views_import

urlpatterns = [
    path("imports/", views_import.mdm_imports, name="mdm_imports"),
    path("imports/<uuid:pk>/", views_import.mdm_import_detail, name="mdm_import_detail"),
]
