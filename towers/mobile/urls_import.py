"""Pages of mobile services: the import part (included by towers/mobile/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
