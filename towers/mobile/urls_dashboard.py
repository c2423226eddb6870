"""Pages of mobile services: the dashboard part (included by towers/mobile/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
