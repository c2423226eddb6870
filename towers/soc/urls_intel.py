"""Pages of the SOC's threat intelligence."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
