"""Pages of mobile services: the fleet part (included by towers/mobile/urls.py)."""

from django.urls import URLPattern, path

from towers.mobile import views_fleet

urlpatterns: list[URLPattern] = [
    path("devices/", views_fleet.device_list, name="mobile_device_list"),
    path("devices/<uuid:pk>/", views_fleet.device_detail, name="mobile_device_detail"),
    path("compliance/", views_fleet.compliance, name="mobile_compliance"),
]
