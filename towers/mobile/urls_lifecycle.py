"""Pages of a device's lifecycle, under /mobile/: issue, swap, repair, refresh and retirement."""

from django.urls import URLPattern, path

from towers.mobile import views_lifecycle as views

urlpatterns: list[URLPattern] = [
    path("devices/<uuid:pk>/issue/", views.device_issue, name="mobile_device_issue"),
    path("devices/<uuid:pk>/swap/", views.device_swap, name="mobile_device_swap"),
    path("devices/<uuid:pk>/repair/", views.device_repair, name="mobile_device_repair"),
    path("devices/<uuid:pk>/repair-return/", views.device_repair_return, name="mobile_device_repair_return"),
    path("devices/<uuid:pk>/retire/", views.device_retire, name="mobile_device_retire"),
    path("refresh/", views.refresh, name="mobile_refresh"),
    path("refresh/raise/", views.refresh_raise, name="mobile_refresh_raise"),
]
