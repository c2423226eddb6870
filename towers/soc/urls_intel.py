"""Pages of the SOC's threat intelligence."""

from django.urls import path

from towers.soc import views_intel

urlpatterns = [
    path("indicators/", views_intel.indicator_list, name="soc_indicator_list"),
    path("indicators/import/", views_intel.indicator_import, name="soc_indicator_import"),
    path("indicators/taxii/", views_intel.indicator_taxii, name="soc_indicator_taxii"),
    path("indicators/<uuid:pk>/", views_intel.indicator_detail, name="soc_indicator_detail"),
]
