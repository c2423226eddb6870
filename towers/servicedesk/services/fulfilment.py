"""Fulfilling an approved request: its tasks raised in order, and the request moved on as they finish.

Each task is a ticket of its own (kind "task", the request as parent), routed, handed off and clocked like
any ticket; a task that waits for another is raised when that one is resolved, and when every task is
resolved the request is too. This runs from the ticket events (handlers_requests), so a task resolved
anywhere (the UI, the API, a supplier's system, email) moves its request on.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.records import apply_changes
from towers.servicedesk.models import Approval, State, Ticket, TicketEvent, TicketKind
from towers.servicedesk.models.catalogue import FulfilmentStep
from towers.servicedesk.models.tickets import OPEN_STATES
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.services.tickets import ticket_create, ticket_transition
from towers.servicedesk.services.timeline import record_event

# Fulfilment moves tickets on behalf of whoever approved or resolved: attributed to this job, the cause
# (the approval, the resolved task) attributed to its person.
FULFILMENT = Actor.system("fulfilment")
DONE = (State.RESOLVED, State.CLOSED)
FINISHED = (State.RESOLVED, State.CLOSED, State.CANCELLED)


def cancel_waiting_approvals(actor: Actor, ticket: Ticket) -> None:
    """The approvals still asked for are no longer needed: each is cancelled, and audited."""
    for approval in Approval.objects.filter(ticket=ticket, status=Approval.Status.REQUESTED):
        changes = {"status": Approval.Status.CANCELLED, "decided_at": timezone.now(), "decided_by": actor.label}
        before, after = apply_changes(approval, changes)
        audit.record(actor, "approval.cancelled", approval, before=before, after={**after, "ticket": ticket.reference})


def _skip_steps(actor: Actor, request: Ticket, steps: list[FulfilmentStep]) -> None:
    if steps:
        FulfilmentStep.objects.filter(pk__in=[s.pk for s in steps]).update(skipped=True)
        audit.record(actor, "request.steps_skipped", request, after={"steps": [s.index for s in steps]})


def _steps(request: Ticket) -> QuerySet[FulfilmentStep]:
    return FulfilmentStep.objects.filter(request=request).select_related("team__organisation")


def fulfil(request: Ticket) -> None:
    """Raise the tasks that wait for nothing; a request without tasks stays with the desk to fulfil."""
    ready = list(_steps(request).filter(after=None, task=None, skipped=False))
    if not ready:
        record_event(
            request, TicketEvent.Kind.UPDATE, FULFILMENT, body="No fulfilment tasks: the service desk fulfils it."
        )
    elif request.state != State.IN_PROGRESS:
        ticket_transition(actor=FULFILMENT, ticket=request, state=State.IN_PROGRESS, note="Fulfilment started.")
    for step in ready:
        _raise_task(request, step)


def _raise_task(request: Ticket, step: FulfilmentStep) -> Ticket:
    answers = (
        request.answers
        if not step.answer_fields
        else {k: request.answers[k] for k in step.answer_fields if k in request.answers}
    )
    description = f"Part of {request.reference}: {request.title}."
    task = ticket_create(
        actor=FULFILMENT,
        kind=TicketKind.TASK,
        title=step.title,
        description=f"{step.description}\n\n{description}".strip(),
        impact=request.impact,
        urgency=request.urgency,
        service=request.service,
        category=request.category,
        # No requester: the requester follows the request, and is not told of each task raised and resolved.
        channel=request.channel,
        team=step.team,
        parent=request,
        extra={"catalog_item_id": request.catalog_item_id, "answers": answers},
    )
    step.task = task
    step.save(update_fields=["task"])
    record_event(
        request,
        TicketEvent.Kind.LINK,
        FULFILMENT,
        body=f"Task {task.reference} “{task.title}” raised for {step.team.name} ({step.team.organisation.name}).",
        public=True,
        data={"task": str(task.id), "step": step.index},
    )
    audit.record(FULFILMENT, "request.task_raised", request, after={"task": task.reference, "step": step.index})
    events.emit("servicedesk.request.task_raised", key=str(request.id), ticket_id=str(request.id), task_id=str(task.id))
    return task


def _skip_after(actor: Actor, request: Ticket, index: int) -> list[FulfilmentStep]:
    """Mark every step that waits, directly or not, for step `index` as never to be raised."""
    skipped: list[FulfilmentStep] = []
    waiting = [index]
    while waiting:
        found = list(_steps(request).filter(after=waiting.pop(), task=None, skipped=False))
        skipped += found
        waiting += [s.index for s in found]
    _skip_steps(actor, request, skipped)
    return skipped


def _resolution_code() -> str:
    codes = desk_settings().resolution_codes or []
    return "fixed" if not codes or "fixed" in codes else codes[0]


def request_task_finished(*, actor: Actor, task: Ticket) -> Ticket | None:
    """A fulfilment task was resolved or cancelled: raise what waited for it, and resolve the request when done.

    Safe to call more than once for the same task (events are delivered at least once).
    """
    if task.kind != TicketKind.TASK or task.parent_id is None or task.state not in FINISHED:
        return None
    with transaction.atomic():
        # Two tasks finishing at once must not both raise the next one or both resolve the request.
        request = Ticket.objects.select_for_update().get(pk=task.parent_id)
        if request.kind != TicketKind.REQUEST or not request.is_open:
            return None
        step = FulfilmentStep.objects.filter(task=task).first()
        if step is not None and task.state in DONE:
            for following in _steps(request).filter(after=step.index, task=None, skipped=False):
                _raise_task(request, following)
        elif step is not None:
            skipped = _skip_after(actor, request, step.index)
            record_event(
                request,
                TicketEvent.Kind.UPDATE,
                FULFILMENT,
                body=f"Task {task.reference} was cancelled"
                + (f", so {len(skipped)} task(s) waiting for it will not be raised" if skipped else "")
                + ": resolve or cancel the request.",
                data={"task": str(task.id)},
            )
        tasks = list(request.children.filter(kind=TicketKind.TASK).values_list("reference", "state"))
        waiting = _steps(request).filter(task=None, skipped=False).exists()
        if waiting or not tasks or any(state in OPEN_STATES for _ref, state in tasks):
            return request
        if all(state in DONE for _ref, state in tasks):
            ticket_transition(
                actor=actor,
                ticket=request,
                state=State.RESOLVED,
                resolution_code=_resolution_code(),
                resolution_notes="Fulfilled: " + ", ".join(ref for ref, _state in tasks) + " done.",
            )
    return request


def request_cancelled(*, actor: Actor, request: Ticket) -> int:
    """A cancelled request takes its waiting approvals, unraised steps and open tasks with it; returns the tasks."""
    if request.kind != TicketKind.REQUEST or request.state != State.CANCELLED:
        return 0
    cancelled = 0
    with transaction.atomic():
        cancel_waiting_approvals(actor, request)
        _skip_steps(actor, request, list(FulfilmentStep.objects.filter(request=request, task=None, skipped=False)))
        for task in request.children.filter(kind=TicketKind.TASK, state__in=OPEN_STATES):
            ticket_transition(
                actor=actor, ticket=task, state=State.CANCELLED, note=f"The request {request.reference} was cancelled."
            )
            cancelled += 1
    return cancelled
