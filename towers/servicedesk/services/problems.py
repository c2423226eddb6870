"""Problems: raised from scratch or from an incident, linked to incidents, root cause, known errors, resolution.

A problem becomes a known error once it has a workaround and the symptoms by which agents recognise it;
`known_errors_matching` then offers it on every incident that looks like it (same service, a shared CI, or
the symptoms' words in the incident's title and description), so the desk applies the workaround at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.contracts.models import Service
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.audit import snapshot
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import can, ensure_can
from towers.core.records import apply_changes
from towers.organisations.models import Team
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.models import ProblemDetail, State, Ticket, TicketEvent, TicketKind
from towers.servicedesk.models.tickets import OPEN_STATES
from towers.servicedesk.selectors_problems import known_error_list
from towers.servicedesk.services.changes import touch
from towers.servicedesk.services.tickets import ticket_create, ticket_transition
from towers.servicedesk.services.timeline import record_event

MATCH_LIMIT = 10  # known errors offered on one incident
SCAN_LIMIT = 2000  # known errors compared by words, the most recently published first
SERVICE_POINTS, CI_POINTS, LINKED_POINTS = 3, 3, 100
# Words too common in incident text to say anything about which fault it is.
COMMON_WORDS = (
    "the and for are but not you all any can had her was one our out has have with this that from they been "
    "when will into more some than then them were what which while after before cannot could does doing "
    "error errors issue issues problem problems user users please getting get got able unable working work"
)
STOPWORDS = frozenset(COMMON_WORDS.split())


def ensure_worker(actor: Actor, ticket: Ticket) -> None:
    ensure_can(actor, "ticket.work", ticket)
    if is_requester_only(actor):
        raise Forbidden("Problems are worked by the service desk and resolvers.")


def detail_of(problem: Ticket) -> ProblemDetail:
    """The problem's detail (made for a problem raised through the generic ticket routes, which have none)."""
    if problem.kind != TicketKind.PROBLEM:
        raise ValidationFailed.one("problem", f"{problem.reference} is not a problem")
    detail, _ = ProblemDetail.objects.get_or_create(ticket=problem)
    return detail


def _link(actor: Actor, problem: Ticket, incident: Ticket) -> bool:
    if incident.kind != TicketKind.INCIDENT:
        raise ValidationFailed.one("incidents", f"{incident.reference} is not an incident")
    ensure_worker(actor, incident)
    before, after = apply_changes(incident, {"problem": problem})
    if not after:
        return False
    record_event(incident, TicketEvent.Kind.LINK, actor, body=f"Linked to problem {problem.reference}.")
    record_event(problem, TicketEvent.Kind.LINK, actor, body=f"Incident {incident.reference} linked.")
    audit.record(actor, "incident.problem_linked", incident, before=before, after=after)
    events.emit(
        "servicedesk.problem.incident_linked",
        key=str(problem.id),
        problem_id=str(problem.id),
        incident_id=str(incident.id),
    )
    return True


def problem_create(
    *,
    actor: Actor,
    title: str,
    description: str = "",
    service: Service | None = None,
    cis: Iterable[ConfigurationItem] = (),
    team: Team | None = None,
    impact: int = 3,
    urgency: int = 3,
    incident: Ticket | None = None,
) -> Ticket:
    """Raise a problem; from an incident, it takes the incident's service, CIs and impact, and links it."""
    if is_requester_only(actor):
        raise Forbidden("Problems are raised by the service desk and resolvers.")
    cis = list(cis)
    if incident is not None:
        if incident.kind != TicketKind.INCIDENT:
            raise ValidationFailed.one("incident", f"{incident.reference} is not an incident")
        ensure_worker(actor, incident)
        service = service or incident.service
        cis = cis or list(incident.cis.all())
        description = description or incident.description
    with transaction.atomic():
        problem = ticket_create(
            actor=actor,
            title=title,
            kind=TicketKind.PROBLEM,
            description=description,
            impact=incident.impact if incident is not None else impact,
            urgency=incident.urgency if incident is not None else urgency,
            service=service,
            cis=cis,
            team=team,
        )
        problem.problem_detail = ProblemDetail.objects.create(ticket=problem)
        audit.record(actor, "problem.created", problem, after={"from_incident": str(incident.id) if incident else None})
        events.emit("servicedesk.problem.created", key=str(problem.id), problem_id=str(problem.id))
        if incident is not None:
            _link(actor, problem, incident)
    return problem


def problem_link_incidents(*, actor: Actor, problem: Ticket, incidents: Iterable[Ticket]) -> list[Ticket]:
    """Link incidents to the problem (moving them from another problem if need be); returns those newly linked."""
    ensure_worker(actor, problem)
    detail_of(problem)
    with transaction.atomic():
        return [incident for incident in incidents if _link(actor, problem, incident)]


def problem_unlink_incident(*, actor: Actor, problem: Ticket, incident: Ticket) -> Ticket:
    ensure_worker(actor, problem)
    if incident.problem_id != problem.pk:
        raise ValidationFailed.one("incident", f"{incident.reference} is not linked to {problem.reference}")
    ensure_worker(actor, incident)
    with transaction.atomic():
        before, after = apply_changes(incident, {"problem": None})
        record_event(incident, TicketEvent.Kind.LINK, actor, body=f"Unlinked from problem {problem.reference}.")
        record_event(problem, TicketEvent.Kind.LINK, actor, body=f"Incident {incident.reference} unlinked.")
        audit.record(actor, "incident.problem_unlinked", incident, before=before, after=after)
        events.emit(
            "servicedesk.problem.incident_unlinked",
            key=str(problem.id),
            problem_id=str(problem.id),
            incident_id=str(incident.id),
        )
    return incident


def _write_detail(actor: Actor, problem: Ticket, changes: dict[str, object], action: str, note: str) -> ProblemDetail:
    ensure_worker(actor, problem)
    if problem.state in (State.CLOSED, State.CANCELLED):
        raise ValidationFailed.one("state", f"the problem is {problem.get_state_display().lower()}")
    with transaction.atomic():
        detail = detail_of(problem)
        changed = {k: v for k, v in changes.items() if getattr(detail, k) != v}
        if not changed:
            return detail
        before = snapshot(detail, changed)
        for name, value in changed.items():
            setattr(detail, name, value)
        detail.save(update_fields=list(changed))
        touch(problem)  # the detail has no version of its own: the problem's ticket carries it (its ETag)
        record_event(problem, TicketEvent.Kind.UPDATE, actor, body=note, data={"changed": sorted(changed)})
        audit.record(actor, action, problem, before=before, after=snapshot(detail, changed))
        events.emit(f"servicedesk.{action}", key=str(problem.id), problem_id=str(problem.id))
    return detail


def problem_record_cause(*, actor: Actor, problem: Ticket, root_cause: str) -> ProblemDetail:
    if not root_cause.strip():
        raise ValidationFailed.one("root_cause", "describe the root cause")
    return _write_detail(
        actor, problem, {"root_cause": root_cause.strip()}, "problem.root_cause_recorded", "Root cause recorded."
    )


def problem_mark_known_error(*, actor: Actor, problem: Ticket, workaround: str, symptoms: str) -> ProblemDetail:
    """Publish the workaround: from now on agents see it on incidents with these symptoms."""
    problems = {
        name: ["required for a known error: " + why]
        for name, value, why in (
            ("workaround", workaround, "what agents should do meanwhile"),
            ("symptoms", symptoms, "how agents recognise it"),
        )
        if not value.strip()
    }
    if problems:
        raise ValidationFailed(problems, "A known error needs a workaround and its symptoms.")
    changes: dict[str, object] = {"known_error": True, "workaround": workaround.strip(), "symptoms": symptoms.strip()}
    if problem.kind == TicketKind.PROBLEM and not detail_of(problem).known_error:
        changes["known_error_at"] = timezone.now()
    return _write_detail(actor, problem, changes, "problem.known_error", "Published as a known error.")


@dataclass(frozen=True)
class ProblemResolution:
    problem: Ticket
    incidents_resolved: list[Ticket] = field(default_factory=list)
    incidents_skipped: list[Ticket] = field(default_factory=list)  # open, but not the actor's to resolve


def problem_resolve(
    *,
    actor: Actor,
    problem: Ticket,
    resolution_code: str = "fixed",
    notes: str = "",
    resolve_incidents: bool = False,
    incident_resolution_code: str = "fixed",
) -> ProblemResolution:
    """Resolve the problem and, if asked, its open incidents (those the actor may work) with it."""
    ensure_worker(actor, problem)
    detail_of(problem)
    with transaction.atomic():
        ticket_transition(
            actor=actor, ticket=problem, state=State.RESOLVED, resolution_code=resolution_code, resolution_notes=notes
        )
        resolved, skipped = [], []
        if resolve_incidents:
            for incident in Ticket.objects.filter(problem=problem, state__in=OPEN_STATES).order_by("opened_at"):
                if not can(actor, "ticket.work", incident):
                    skipped.append(incident)
                    continue
                ticket_transition(
                    actor=actor,
                    ticket=incident,
                    state=State.RESOLVED,
                    resolution_code=incident_resolution_code,
                    resolution_notes=f"Resolved with problem {problem.reference}. {notes}".strip(),
                )
                resolved.append(incident)
        audit.record(actor, "problem.resolved", problem, after={"incidents_resolved": [i.reference for i in resolved]})
        events.emit(
            "servicedesk.problem.resolved",
            key=str(problem.id),
            problem_id=str(problem.id),
            incidents=[str(i.id) for i in resolved],
        )
    return ProblemResolution(problem, resolved, skipped)


# --- Matching known errors to an incident ---------------------------------------------------------------------


def symptom_words(text: str) -> frozenset[str]:
    """The words that can identify a fault: lower-cased, three letters or more, common words left out."""
    return frozenset(w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 3 and w not in STOPWORDS)


@dataclass(frozen=True)
class KnownErrorMatch:
    """A known error offered on an incident: the problem (with problem_detail loaded) and why it matched."""

    problem: Ticket
    score: int
    reasons: tuple[str, ...]

    @property
    def workaround(self) -> str:
        return self.problem.problem_detail.workaround

    @property
    def symptoms(self) -> str:
        return self.problem.problem_detail.symptoms


def _score(ticket: Ticket, ci_names: dict[str, str], words: frozenset[str], problem: Ticket) -> KnownErrorMatch:
    points, reasons = 0, list[str]()
    if ticket.problem_id == problem.pk:
        points, reasons = points + LINKED_POINTS, [*reasons, "linked to this incident"]
    if ticket.service_id and problem.service_id == ticket.service_id:
        points, reasons = points + SERVICE_POINTS, [*reasons, f"same service: {problem.service}"]
    shared_cis = sorted(ci_names[str(ci.pk)] for ci in problem.cis.all() if str(ci.pk) in ci_names)
    if shared_cis:
        points, reasons = points + CI_POINTS * len(shared_cis), [*reasons, f"shares {', '.join(shared_cis)}"]
    symptoms = symptom_words(f"{problem.problem_detail.symptoms} {problem.title}")
    shared_words = sorted(words & symptoms)
    # One shared word is chance on a busy desk, unless the symptoms are one word long.
    if shared_words and len(shared_words) >= min(2, len(symptoms)):
        points, reasons = points + len(shared_words), [*reasons, f"symptoms: {', '.join(shared_words)}"]
    return KnownErrorMatch(problem, points, tuple(reasons))


def known_errors_matching(*, actor: Actor, ticket: Ticket) -> list[KnownErrorMatch]:
    """The known errors the actor may see that match `ticket`, best first (at most MATCH_LIMIT).

    Deterministic: the same service (3 points), each shared CI (3), each shared symptom word (1, from two
    words), and the problem the incident is linked to (100); ties by reference.
    """
    ci_names = {str(ci.pk): ci.name for ci in ticket.cis.only("id", "name")}
    words = symptom_words(f"{ticket.title} {ticket.description}")
    candidates = known_error_list(actor=actor).prefetch_related(
        Prefetch("cis", queryset=ConfigurationItem.objects.only("id", "name"))
    )[:SCAN_LIMIT]
    matches = [m for m in (_score(ticket, ci_names, words, p) for p in candidates) if m.score > 0]
    matches.sort(key=lambda m: (-m.score, m.problem.reference))
    return matches[:MATCH_LIMIT]
