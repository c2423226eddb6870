"""Pages of supplier integrations: the integrations with their mappings and recent messages, one integration's
message log, and one ticket's message log (both directions), with replay of dead outbound messages.
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from towers.integration import selectors_partners as selectors
from towers.integration.models_partners import PartnerMessage
from towers.integration.services.partner_admin import partner_messages_replay
from towers.integration.views import replay_and_tell
from towers.organisations.views.common import paginate, request_actor, ui_view
from towers.servicedesk.selectors import ticket_get

RECENT = 20


def _status(request: HttpRequest) -> str:
    status = request.GET.get("status", "")
    return status if status in PartnerMessage.Status.values else ""


@ui_view
def partner_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    context = {
        "integrations": selectors.partner_integration_list(actor=actor),
        "recent": selectors.partner_message_list(actor=actor)[:RECENT],
    }
    return render(request, "integration/partners.html", context)


@ui_view
def partner_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    integration = selectors.partner_integration_get(actor=actor, id=pk)  # 404 when not the actor's
    status = _status(request)
    page = paginate(request, selectors.partner_message_list(actor=actor, integration=integration.id, status=status))
    context = {"integration": integration, "page": page, "status": status, "statuses": PartnerMessage.Status.choices}
    return render(request, "integration/partner_detail.html", context)


@ui_view
def ticket_partner_messages(request: HttpRequest, reference: str) -> HttpResponse:
    actor = request_actor(request)
    ticket = ticket_get(actor=actor, reference=reference)  # 404 when not the actor's
    log = selectors.partner_message_list(actor=actor, ticket=ticket.id)
    bonds = ticket.bonds.filter(integration__in=selectors.partner_integration_list(actor=actor))
    context = {"ticket": ticket, "page": paginate(request, log), "bonds": bonds.select_related("integration")}
    return render(request, "integration/ticket_partner_messages.html", context)


@require_POST
@ui_view
def partner_message_replay(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.partner_message_get(actor=request_actor(request), id=pk)  # 404 when not the actor's
    replay_and_tell(request, message, partner_messages_replay)
    return redirect("integration_partner_detail", pk=message.integration_id)
