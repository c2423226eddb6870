"""Where supplier integrations' tools call back: the TMF621 event listener each integration registered at its
partner's /hub (/api/partners/<integration>/listener/<event>). Authenticated per request by a bearer API token
of the partner organisation's own.
"""

from django.urls import path  # noqa: F401  (the listener routes are added below)

urlpatterns: list = []
