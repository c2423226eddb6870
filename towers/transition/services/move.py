"""Run a transition: a dry run (the real steps in a transaction rolled back) and then apply, once, when due.

Apply acts as the transition's own job on behalf of whoever ran it: it changes records across organisations
(the authority's SLAs, the suppliers' CIs and queues) that `transition.manage` was checked for as a whole, and
every entry it audits names both the person and the job `transition:<id>`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor, Scope
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes
from towers.transition.models import Transition, TransitionStep
from towers.transition.policies import MANAGE
from towers.transition.services import integrations, rehome
from towers.transition.services.report import TransitionReport


class _RollBack(Exception):
    """Undo a dry run's writes, or an apply that found problems."""


def _on_behalf(actor: Actor, transition: Transition) -> Actor:
    return replace(actor, scope=Scope(everything=True), job=f"transition:{transition.pk}")


def _execute(actor: Actor, transition: Transition, *, dry_run: bool) -> tuple[TransitionReport, rehome.Move]:
    report = TransitionReport(dry_run=dry_run, effective_at=transition.effective_at)
    move = rehome.Move(transition=transition, actor=_on_behalf(actor, transition), report=report)
    move.service_ids = set(transition.services.values_list("id", flat=True))
    rehome.resolve_teams(move)
    for step in (rehome.service_levels, rehome.tickets, rehome.queues, rehome.cis, rehome.catalogue):
        step(move)
    integrations.integrations_repoint(move)
    return report, move


def _dry_run(actor: Actor, transition: Transition, now: datetime) -> TransitionReport:
    try:
        with transaction.atomic():
            report, _move = _execute(actor, transition, dry_run=True)
            raise _RollBack
    except _RollBack:
        pass
    stored = report.as_dict() | {"computed_at": now.isoformat(), "version": transition.version}
    status = Transition.Status.DRY_RUN
    with transaction.atomic():
        # Not a change of the plan: the version stays, so this dry run is current until the plan changes.
        Transition.objects.filter(pk=transition.pk).update(
            dry_run_report=stored, dry_run_version=transition.version, dry_run_at=now, status=status, failure=""
        )
        audit.record(
            actor,
            "transition.dry_run",
            transition,
            after={"counts": report.counts(), "problems": report.problems},
        )
    transition.refresh_from_db()
    return report


def _ready(transition: Transition) -> None:
    """Apply follows a dry run of this very plan that found nothing wrong."""
    if transition.dry_run_version is None:
        raise ValidationFailed.one("dry_run", "run a dry run first and read its report")
    if transition.dry_run_version != transition.version:
        raise ValidationFailed.one("dry_run", "the transition changed since its last dry run: run it again")
    if problems := transition.dry_run_report.get("problems"):
        raise ValidationFailed.one("dry_run", f"the last dry run found {len(problems)} problem(s): {problems[0]}")


def _schedule(actor: Actor, transition: Transition, now: datetime) -> TransitionReport:
    with transaction.atomic():
        before, after = apply_changes(transition, {"scheduled_at": now, "scheduled_by": actor.label})
        Transition.objects.filter(pk=transition.pk).update(dry_run_version=transition.version)  # still current
        transition.dry_run_version = transition.version
        audit.record(actor, "transition.scheduled", transition, before=before, after=after)
    report = TransitionReport(dry_run=True, effective_at=transition.effective_at)
    report.notes.append(f"Scheduled: the worker applies it at {transition.effective_at:%d %b %Y %H:%M} (UTC)")
    return report


def _apply(actor: Actor, transition: Transition, now: datetime) -> TransitionReport:
    try:
        with transaction.atomic():
            locked = Transition.objects.select_for_update().select_related("outgoing", "incoming").get(pk=transition.pk)
            if locked.status == Transition.Status.APPLIED or locked.version != transition.version:
                raise ValidationFailed.one("status", "the transition was applied or changed meanwhile: reload it")
            report, move = _execute(actor, locked, dry_run=False)
            if report.problems:
                raise _RollBack
            on_behalf = move.actor
            for action in dict.fromkeys(a for a, *_ in move.audit_later):  # one chained batch per kind
                audit.record_many(on_behalf, action, [(o, b, a) for act, o, b, a in move.audit_later if act == action])
            TransitionStep.objects.bulk_create(
                TransitionStep(
                    transition=locked,
                    kind=step.kind,
                    object_type=audit.object_type(step.obj),
                    object_id=str(step.obj.pk),
                    object_repr=step.shown_as,
                    before=report.as_plain(step.before),
                    after=report.as_plain(step.after),
                    at=now,
                )
                for step in report.steps
            )
            changes = {"status": Transition.Status.APPLIED, "applied_at": now, "applied_by": actor.label}
            before, after = apply_changes(locked, changes)
            audit.record(actor, "transition.applied", locked, before=before, after={**after, "counts": report.counts()})
    except _RollBack:
        _failed(actor, transition, "; ".join(report.problems))
        raise ValidationFailed({"transition": report.problems}, "Apply found problems; nothing was changed.") from None
    except ValidationFailed:
        raise
    except Exception as exc:
        _failed(actor, transition, f"{type(exc).__name__}: {exc}")
        raise
    transition.refresh_from_db()
    return report


def _failed(actor: Actor, transition: Transition, why: str) -> None:
    with transaction.atomic():
        # A failed transition is no longer scheduled: it waits for a person to dry-run and apply it again.
        Transition.objects.filter(pk=transition.pk).update(
            status=Transition.Status.FAILED, failure=why[:2000], scheduled_at=None, scheduled_by=""
        )
        audit.record(actor, "transition.failed", transition, after={"failure": why[:2000]})
    transition.refresh_from_db()


def transition_run(
    *, actor: Actor, transition: Transition, dry_run: bool, now: datetime | None = None
) -> TransitionReport:
    """Dry-run the transition (nothing changes but its stored report), or apply it: now if it is due, else
    scheduled for the worker to apply at the effective date."""
    ensure_can(actor, MANAGE, transition)
    now = now or timezone.now()
    if transition.status == Transition.Status.APPLIED:
        raise ValidationFailed.one("status", f"applied on {transition.applied_at:%d %b %Y %H:%M}; it runs once")
    if dry_run:
        return _dry_run(actor, transition, now)
    _ready(transition)
    if transition.effective_at > now:
        return _schedule(actor, transition, now)
    return _apply(actor, transition, now)


def due_transitions(now: datetime | None = None) -> list[Transition]:
    """Scheduled transitions whose date has come."""
    due = Transition.objects.filter(
        status=Transition.Status.DRY_RUN, scheduled_at__isnull=False, effective_at__lte=now or timezone.now()
    )
    return list(due.select_related("outgoing", "incoming").order_by("effective_at"))


def transitions_apply_due(*, actor: Actor, now: datetime | None = None) -> int:
    """Apply every scheduled transition whose date has come; one that cannot be applied is marked failed."""
    applied = 0
    for transition in due_transitions(now):
        try:
            transition_run(actor=actor, transition=transition, dry_run=False, now=now)
            applied += 1
        except ValidationFailed as exc:
            if transition.status != Transition.Status.FAILED:
                _failed(actor, transition, "; ".join(m for ms in exc.fields.values() for m in ms) or exc.message)
    return applied
