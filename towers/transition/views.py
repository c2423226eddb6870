"""Pages of transitions: the list, one transition with its last dry-run report, and the dry-run and apply buttons."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from towers.core.errors import ValidationFailed
from towers.organisations.views.common import allowed, paginate, request_actor, ui_view
from towers.transition import selectors
from towers.transition.policies import MANAGE
from towers.transition.services.move import transition_run


@ui_view
def transition_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    page = paginate(request, selectors.transition_list(actor=actor))
    return render(request, "transition/transition_list.html", {"page": page})


@ui_view
def transition_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    transition = selectors.transition_get(actor=actor, id=pk)
    context = {
        "transition": transition,
        "report": transition.dry_run_report or None,
        "current": transition.dry_run_version == transition.version,
        "steps": selectors.transition_steps(actor=actor, transition=transition)[:200],
        "may": allowed(actor, manage=(MANAGE, transition)),
        "now": timezone.now(),
    }
    return render(request, "transition/transition_detail.html", context)


def _run(request: HttpRequest, pk: UUID, *, dry_run: bool) -> HttpResponse:
    actor = request_actor(request)
    transition = selectors.transition_get(actor=actor, id=pk)
    try:
        report = transition_run(actor=actor, transition=transition, dry_run=dry_run)
    except ValidationFailed as exc:
        problems = [m for ms in exc.fields.values() for m in ms]
        messages.error(request, f"{exc.message} {' '.join(problems[:3])}")
    else:
        if dry_run:
            messages.success(request, f"Dry run done: {len(report.problems)} problem(s); nothing was changed.")
        elif transition.status == transition.Status.APPLIED:
            messages.success(request, f"Applied: {sum(report.counts().values())} change(s).")
        else:
            messages.success(request, " ".join(report.notes))
    return redirect("transition_detail", pk=transition.pk)


@require_POST
@ui_view
def transition_dry_run(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _run(request, pk, dry_run=True)


@require_POST
@ui_view
def transition_apply(request: HttpRequest, pk: UUID) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        selectors.transition_get(actor=request_actor(request), id=pk)  # 404 before saying anything about it
        messages.error(request, "Tick the confirmation to apply the transition.")
        return redirect("transition_detail", pk=pk)
    return _run(request, pk, dry_run=False)
