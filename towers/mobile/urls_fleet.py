"""Pages of mobile services: the fleet part (included by towers/mobile/urls.py)."""

from django.urls import URLPattern, path

from towers.mobile import views_fleet, views_register

urlpatterns: list[URLPattern] = [
    path("devices/", views_fleet.device_list, name="mobile_device_list"),
    path("devices/new/", views_register.device_new, name="mobile_device_new"),
    path("devices/<uuid:pk>/", views_fleet.device_detail, name="mobile_device_detail"),
    path("devices/<uuid:pk>/sims/new/", views_register.sim_new, name="mobile_sim_new"),
    path("compliance/", views_fleet.compliance, name="mobile_compliance"),
]
