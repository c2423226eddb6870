"""Pages of mobile services: the fleet part (included by towers/mobile/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
