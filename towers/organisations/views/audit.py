"""The audit log page: entries the actor may see, filtered and paged; the authority can verify the chain."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.organisations import selectors
from towers.organisations.forms import AuditFilterForm
from towers.organisations.views.common import paginate, request_actor, ui_view
from towers.organisations.views.history import decorate

may_read_audit = selectors.may_read_audit_log


def may_verify_chain(actor: Actor) -> bool:
    # The chain spans every organisation's entries, so only the authority can meaningfully check it.
    return actor.scope.everything and may_read_audit(actor)


@ui_view
def audit_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = AuditFilterForm(request.GET)
    filters.is_valid()
    entries = selectors.audit_list(
        actor=actor,
        action=filters.cleaned_data.get("action", "").strip(),
        object_type=filters.cleaned_data.get("object_type", ""),
    )
    page = paginate(request, entries)
    page.object_list = decorate(page.object_list)
    return render(
        request,
        "organisations/audit_list.html",
        {"filters": filters, "page": page, "may_verify": may_verify_chain(actor)},
    )


@require_POST
@ui_view
def audit_verify(request: HttpRequest) -> HttpResponse:
    if not may_verify_chain(request_actor(request)):
        raise Forbidden("Only the authority's auditors and administrators verify the audit chain.")
    result = audit.verify()
    if request.headers.get("HX-Request"):
        return render(request, "organisations/_audit_verify.html", {"result": result})
    if result.ok:
        messages.success(request, f"The audit chain is intact: {result.checked} entries checked.")
    else:
        messages.error(request, f"The audit chain is broken at entry {result.broken_seq}: {result.reason}.")
    return redirect("audit_list")
