"""Pages of service requests: the catalogue (by item code), requests, and the approvals inbox.

Object pages are /<plural>/<uuid:pk>/…, named as the API names them (/requests, /request-approvals), so the
segregation walker probes them with another supplier's objects.
"""

from django.urls import path

from towers.servicedesk.views import requests

urlpatterns = [
    path("catalogue/", requests.catalogue, name="request_catalogue"),
    path("catalogue/<slug:code>/", requests.catalogue_item, name="catalogue_item"),
    path("requests/", requests.request_list, name="request_list"),
    path("requests/<uuid:pk>/", requests.request_detail, name="request_detail"),
    path("requests/<uuid:pk>/withdraw/", requests.request_withdraw_view, name="request_withdraw"),
    path("approvals/", requests.approval_inbox, name="approval_inbox"),
    path("request-approvals/<uuid:pk>/decide/", requests.approval_decide, name="request_approval_decide"),
]
