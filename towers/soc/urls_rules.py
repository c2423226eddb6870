"""Pages of the SOC's detection rules."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
