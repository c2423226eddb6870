"""The ServiceNow-compatible Table API's addresses under /api/now/ (both the default and the v2 path).

Like /api/v1, it authenticates each request itself (basic or bearer) and has its own segregation tests
(tests/test_now_api.py), so the UI page walkers leave it alone.
"""

from django.urls import path

from towers.integration import now_api

urlpatterns = [
    path(f"{prefix}table/<slug:table>", now_api.table, name=f"now_table{suffix}")
    for prefix, suffix in (("", ""), ("v2/", "_v2"))
] + [
    path(f"{prefix}table/<slug:table>/<str:sys_id_value>", now_api.record, name=f"now_record{suffix}")
    for prefix, suffix in (("", ""), ("v2/", "_v2"))
]
