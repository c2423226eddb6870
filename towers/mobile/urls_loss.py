"""Pages for a lost or stolen device: the person's own in the portal, the desk's for them under /mobile/."""

from django.urls import path

from towers.mobile import views_loss

urlpatterns = [
    path("portal/devices/", views_loss.portal_devices, name="portal_devices"),
    path("portal/devices/<uuid:pk>/lost/", views_loss.portal_device_loss, name="portal_device_loss"),
    path("portal/devices/<uuid:pk>/found/", views_loss.portal_device_found, name="portal_device_found"),
    path("mobile/devices/<uuid:pk>/lost/", views_loss.desk_device_loss, name="mobile_device_loss"),
    path("mobile/devices/<uuid:pk>/found/", views_loss.desk_device_found, name="mobile_device_found"),
]
