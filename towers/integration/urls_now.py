"""The ServiceNow-compatible APIs' addresses under /api/now/: the Table API on the default, v1 and v2 paths, and
the Attachment API on the default and v1 paths (PySNC calls /api/now/v1/attachment; ServiceNow has no v2 of it).

Like /api/v1, they authenticate each request themselves (basic or bearer) and have their own segregation tests
(tests/test_now_*.py), so the UI page walkers leave them alone.
"""

from django.urls import path

from towers.integration import now_api, now_attachments

TABLE_PREFIXES = ("", "v1/", "v2/")
ATTACHMENT_PREFIXES = ("", "v1/")


def _suffix(prefix: str) -> str:
    return f"_{prefix.rstrip('/')}" if prefix else ""


urlpatterns = [
    route
    for prefix in TABLE_PREFIXES
    for route in (
        path(f"{prefix}table/<slug:table>", now_api.table, name=f"now_table{_suffix(prefix)}"),
        path(f"{prefix}table/<slug:table>/<str:sys_id_value>", now_api.record, name=f"now_record{_suffix(prefix)}"),
    )
] + [
    route
    for prefix in ATTACHMENT_PREFIXES
    for route in (
        path(f"{prefix}attachment", now_attachments.attachments, name=f"now_attachments{_suffix(prefix)}"),
        path(
            f"{prefix}attachment/file", now_attachments.attachment_post_file, name=f"now_attach_file{_suffix(prefix)}"
        ),
        path(
            f"{prefix}attachment/upload", now_attachments.attachment_upload, name=f"now_attach_upload{_suffix(prefix)}"
        ),
        path(
            f"{prefix}attachment/<str:sys_id_value>",
            now_attachments.attachment,
            name=f"now_attachment{_suffix(prefix)}",
        ),
        path(
            f"{prefix}attachment/<str:sys_id_value>/file",
            now_attachments.attachment_file,
            name=f"now_attachment_file{_suffix(prefix)}",
        ),
    )
]
