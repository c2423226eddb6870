"""Pages of mobile services: the dashboard part (included by towers/mobile/urls.py)."""

from django.urls import URLPattern, path

from towers.mobile import views_dashboard

urlpatterns: list[URLPattern] = [
    path("dashboard/", views_dashboard.fleet_dashboard, name="mobile_dashboard"),
    path("dashboard/export.csv", views_dashboard.fleet_export_csv, name="mobile_dashboard_csv"),
    path("dashboard/export.xlsx", views_dashboard.fleet_export_xlsx, name="mobile_dashboard_xlsx"),
]
