"""The desk's received mail: outcome and reason of each message, quarantine first, and the raw message."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from towers.organisations.views.common import paginate, request_actor, ui_view
from towers.servicedesk.models import InboundMail
from towers.servicedesk.selectors_mail import inbound_mail_get, inbound_mail_list


@ui_view
def inbound_mail(request: HttpRequest) -> HttpResponse:
    outcome = request.GET.get("outcome", InboundMail.Outcome.QUARANTINED)
    outcome = outcome if outcome in InboundMail.Outcome.values else ""
    page = paginate(request, inbound_mail_list(actor=request_actor(request), outcome=outcome))
    context = {"page": page, "outcome": outcome, "outcomes": InboundMail.Outcome.choices}
    return render(request, "servicedesk/mail_inbox/list.html", context)


@ui_view
def inbound_mail_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The message exactly as received, to be opened in a mail client or replayed once the cause is fixed."""
    message = inbound_mail_get(actor=request_actor(request), id=pk)
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="mail-{message.pk}.eml"'
    return response
