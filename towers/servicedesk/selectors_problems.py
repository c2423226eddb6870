"""Reads of problems and the known error database, restricted to the actor like every ticket."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from towers.core.actor import Actor
from towers.core.permissions import get_visible
from towers.servicedesk.models import ProblemDetail, State, Ticket, TicketKind
from towers.servicedesk.models.tickets import OPEN_STATES
from towers.servicedesk.selectors import tickets_visible

PROBLEM_RELATED = ("problem_detail", "service", "team__organisation", "organisation", "assignee")


def problem_detail_of(problem: Ticket) -> ProblemDetail:
    """The problem's detail, or a blank one for a problem raised through the generic ticket routes (none yet)."""
    try:
        return problem.problem_detail
    except ProblemDetail.DoesNotExist:
        return ProblemDetail(ticket=problem)


def problems_visible(actor: Actor) -> QuerySet[Ticket]:
    return tickets_visible(actor).filter(kind=TicketKind.PROBLEM)


def _incident_count(actor: Actor) -> Coalesce:
    linked = (
        tickets_visible(actor)
        .filter(problem=OuterRef("pk"))
        .order_by()
        .values("problem")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(linked, output_field=IntegerField()), Value(0))


def problem_list(
    *, actor: Actor, known_errors_only: bool = False, open_only: bool = False, search: str = ""
) -> QuerySet[Ticket]:
    """Problems the actor may see, newest first, each with how many of its incidents the actor may see."""
    qs = problems_visible(actor)
    if known_errors_only:
        qs = qs.filter(problem_detail__known_error=True)
    if open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    if search.strip():
        text = search.strip()
        qs = qs.filter(
            Q(title__icontains=text)
            | Q(reference__iexact=text)
            | Q(problem_detail__symptoms__icontains=text)
            | Q(problem_detail__workaround__icontains=text)
        )
    return qs.select_related(*PROBLEM_RELATED).annotate(incident_count=_incident_count(actor)).order_by("-opened_at")


def known_error_list(*, actor: Actor, search: str = "") -> QuerySet[Ticket]:
    """The known error database: known errors whose workaround still applies (not fixed, not cancelled)."""
    return (
        problem_list(actor=actor, known_errors_only=True, search=search)
        .exclude(state__in=(State.CANCELLED, State.CLOSED))
        .exclude(resolution_code="fixed")
        .order_by("-problem_detail__known_error_at", "-opened_at")
    )


def problem_get(*, actor: Actor, id: UUID | str) -> Ticket:
    """One problem by id or reference; NotFound whether it is missing, not a problem or not the actor's to see."""
    try:
        lookup: dict[str, object] = {"pk": UUID(str(id))}
    except ValueError:
        lookup = {"reference": str(id).upper()}
    problems = problems_visible(actor).select_related(*PROBLEM_RELATED, "requester")
    return get_visible(actor, problems.annotate(incident_count=_incident_count(actor)), **lookup)


def problem_incidents(*, actor: Actor, problem: Ticket) -> list[Ticket]:
    """The problem's incidents that the actor may see (others stay hidden, as everywhere)."""
    return list(
        tickets_visible(actor)
        .filter(problem=problem)
        .select_related("service", "team__organisation")
        .order_by("-opened_at")
    )


def incident_get(*, actor: Actor, id: UUID | str) -> Ticket:
    """An incident by id or reference, for linking to a problem or a change."""
    try:
        lookup: dict[str, object] = {"pk": UUID(str(id))}
    except ValueError:
        lookup = {"reference": str(id).strip().upper()}
    return get_visible(
        actor, tickets_visible(actor).filter(kind=TicketKind.INCIDENT).select_related("problem", "caused_by"), **lookup
    )
