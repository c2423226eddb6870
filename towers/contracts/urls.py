"""HTML pages of the contracts app: contracts, the service catalogue, calendars and service levels.

Object pages are /<plural>/<uuid:pk>/…, the plural being the API's: the segment before an id names
the resource it identifies, which is how the segregation route walker finds an object to probe with.
"""

from django.urls import path

from towers.contracts.views import calendars, catalogue, contracts, history, service_levels

urlpatterns = [
    path("contracts/", contracts.contract_list, name="contract_list"),
    path("contracts/new/", contracts.contract_create, name="contract_create"),
    path("contracts/<uuid:pk>/", contracts.contract_detail, name="contract_detail"),
    path("contracts/<uuid:pk>/edit/", contracts.contract_edit, name="contract_edit"),
    path("contracts/<uuid:pk>/charges/", contracts.contract_charge_set, name="contract_charge_set"),
    path("contracts/<uuid:pk>/history/", history.contract_history, name="contract_history"),
    path("services/", catalogue.service_list, name="service_list"),
    path("services/new/", catalogue.service_create, name="service_create"),
    path("services/<uuid:pk>/", catalogue.service_detail, name="service_detail"),
    path("services/<uuid:pk>/offerings/new/", catalogue.offering_create, name="offering_create"),
    path("services/<uuid:pk>/history/", history.service_history, name="service_history"),
    path("calendars/", calendars.calendar_list, name="calendar_list"),
    path("calendars/new/", calendars.calendar_create, name="calendar_create"),
    path("calendars/<uuid:pk>/", calendars.calendar_detail, name="calendar_detail"),
    path("calendars/<uuid:pk>/hours/", calendars.calendar_hours_set, name="calendar_hours_set"),
    path("calendars/<uuid:pk>/closures/", calendars.calendar_closure_add, name="calendar_closure_add"),
    path("calendars/<uuid:pk>/history/", history.calendar_history, name="calendar_history"),
    path("service-levels/", service_levels.service_level_list, name="service_level_list"),
    path("service-levels/new/", service_levels.service_level_create, name="service_level_create"),
    path("service-levels/<uuid:pk>/", service_levels.service_level_detail, name="service_level_detail"),
    path("service-levels/<uuid:pk>/edit/", service_levels.service_level_edit, name="service_level_edit"),
    path("service-levels/<uuid:pk>/history/", history.service_level_history, name="service_level_history"),
]
