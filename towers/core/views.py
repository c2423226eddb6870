"""Endpoints for operators: liveness and readiness."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from towers.core import events


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 when the database answers; 503 otherwise. Also reports the outbox backlog."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = events.pending_count()
    except Exception as exc:
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "pending_events": pending})
