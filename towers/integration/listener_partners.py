"""The listener a supplier integration registers at its partner's TMF621 /hub (thin: log, apply, answer).

The secret in the URL is the credential: a wrong or retired one is a 404, exactly like an integration that
does not exist, and nothing is logged or changed. Answers: 201 applied or ignored (a repeat, nothing new),
422 rejected (kept in the message log with the reason; the partner may retry), 400 not a JSON event.
"""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from towers.integration.services.partner_inbound import listener_integration, partner_notification_receive


@csrf_exempt
@require_POST
def partner_listener(request: HttpRequest, integration_id: UUID, secret: str, event_name: str = "") -> HttpResponse:
    integration = listener_integration(integration_id=integration_id, secret=secret)
    if integration is None:
        raise Http404("No such listener.")
    message = partner_notification_receive(
        integration=integration,
        body=request.body,
        event_name=event_name,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    answer = {
        "id": str(message.pk),
        "status": message.status,
        "reason": message.outcome,
    }
    return JsonResponse(answer, status=message.http_status or 201)
