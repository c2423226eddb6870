from django.urls import path

from towers.sla import views

urlpatterns = [
    path("contracts/<uuid:pk>/credits/", views.contract_credits, name="contract_credits"),
    path("contracts/<uuid:pk>/credits/calculate/", views.contract_credits_calculate, name="contract_credits_calculate"),
    path("service-levels/<uuid:pk>/results/", views.service_level_results, name="service_level_results"),
    path(
        "service-levels/<uuid:pk>/results/compute/",
        views.service_level_results_compute,
        name="service_level_results_compute",
    ),
]
