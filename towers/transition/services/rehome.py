"""The steps of a transition, each through the service that owns the record where one exists.

Order matters: the incoming supplier's service levels exist before tickets are handed over, so the clocks
recomputed on hand-over find the incoming OLA (it starts at the effective date) and the incoming SLA.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Max, Q

from towers.cmdb.models import ConfigurationItem
from towers.cmdb.services.items import ci_update
from towers.contracts.models import Contract, Service, ServiceLevel, ServiceOffering
from towers.contracts.services.catalogue import service_level_create, service_level_update
from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.records import apply_changes
from towers.organisations.models import Organisation, Team
from towers.servicedesk.models import AssignmentRule, HandOff, State, Ticket, TicketEvent
from towers.servicedesk.models.tickets import OPEN_STATES
from towers.servicedesk.services.clocks import ticket_clocks_recompute
from towers.servicedesk.services.handoffs import hand_off_in_transaction
from towers.servicedesk.services.timeline import record_event
from towers.transition.models import Transition
from towers.transition.services.report import TransitionReport


@dataclass
class Move:
    transition: Transition
    actor: Actor
    report: TransitionReport
    service_ids: set[UUID] = field(default_factory=set)
    targets: dict[UUID, Team] = field(default_factory=dict)  # outgoing team id → incoming team
    moved_tickets: list[UUID] = field(default_factory=list)
    audit_later: list[tuple[str, Any, dict[str, Any] | None, dict[str, Any] | None]] = field(default_factory=list)
    _unmapped: set[UUID] = field(default_factory=set)

    @property
    def outgoing(self) -> Organisation:
        return self.transition.outgoing

    @property
    def incoming(self) -> Organisation:
        return self.transition.incoming

    @property
    def at(self) -> datetime:
        return self.transition.effective_at

    @property
    def reason(self) -> str:
        """Why each ticket moved: on its timeline, and in the note the incoming supplier's tool receives."""
        return (
            f"Supplier transition “{self.transition}”: {self.outgoing} → {self.incoming} from {self.at:%d %b %Y %H:%M}"
        )

    def target(self, team: Team | None, what: str) -> Team | None:
        """The incoming team taking `team`'s work; a problem (reported once per team) if there is none."""
        if team is not None and team.id in self.targets:
            return self.targets[team.id]
        if team is None:
            self.report.problems.append(f"{what} is held by {self.outgoing} with no team, so it has no mapping")
        elif team.id not in self._unmapped:
            self._unmapped.add(team.id)
            self.report.problems.append(f"team {team.code} ({team}) has no mapping to an incoming team")
        return None

    def changed(
        self, kind: str, obj: Any, before: dict[str, Any] | None, after: dict[str, Any] | None, *, label: str = ""
    ) -> None:
        """A step written here rather than by another app's service: audited by the caller in one batch."""
        self.report.add(kind, obj, before, after, label=label)
        self.audit_later.append((f"transition.{kind}", obj, before, after))


def resolve_teams(move: Move) -> None:
    """Check the team mapping: every key a team of the outgoing supplier, every value an active incoming team."""
    mapping = move.transition.team_mapping or {}
    teams = {t.code: t for t in Team.objects.filter(code__in=[*mapping, *mapping.values()])}
    for source, destination in mapping.items():
        out, into = teams.get(source), teams.get(destination)
        if out is None or out.organisation_id != move.outgoing.id:
            move.report.problems.append(f"team_mapping: {source!r} is not a team of {move.outgoing}")
        elif into is None or into.organisation_id != move.incoming.id:
            move.report.problems.append(f"team_mapping: {destination!r} is not a team of {move.incoming}")
        elif not into.is_active:
            move.report.problems.append(f"team_mapping: {destination} is not active")
        else:
            move.targets[out.id] = into


def _new_code(level: ServiceLevel, incoming: Organisation) -> str:
    base = f"{level.code}-{incoming.code}"[:76]
    code, n = base, 1
    while ServiceLevel.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def service_levels(move: Move) -> None:
    """Equivalent levels for the incoming supplier, in force from the date; the outgoing supplier's end there.

    An ended level still measures the work before its end (clocks pick the levels in force when a ticket was
    resolved, or a hand-off sent), so the outgoing supplier's results stay its own, recomputed or not."""
    levels = ServiceLevel.objects.filter(service_id__in=move.service_ids, provider=move.outgoing, is_active=True)
    contract = (
        Contract.objects.filter(supplier=move.incoming, starts_on__lte=move.at.date(), ends_on__gte=move.at.date())
        .order_by("starts_on")
        .last()
    )
    for level in levels.select_related("calendar", "service", "customer", "contract").order_by("code"):
        if level.contract_id and contract is None:
            move.report.problems.append(
                f"service level {level.code}: {move.incoming} has no contract in force on {move.at:%d %b %Y} to put "
                "its equivalent under"
            )
            continue
        name = level.name.replace(move.outgoing.name, move.incoming.name)
        try:
            with transaction.atomic():
                created = service_level_create(
                    actor=move.actor,
                    code=_new_code(level, move.incoming),
                    name=name if name != level.name else f"{level.name} ({move.incoming.name})",
                    kind=level.kind,
                    service=level.service,
                    provider=move.incoming,
                    customer=level.customer,
                    metric=level.metric,
                    performance_measure=level.performance_measure,
                    contract=contract if level.contract_id else None,
                    priority=level.priority,
                    target=level.target,
                    calendar=level.calendar,
                    pause_states=level.pause_states,
                    threshold=level.threshold,
                    higher_is_better=level.higher_is_better,
                    point_bands=level.point_bands,
                    starts_at=move.at,
                )
        except ValidationFailed as exc:
            fields = "; ".join(f"{name}: {', '.join(problems)}" for name, problems in exc.fields.items())
            move.report.problems.append(f"service level {level.code} cannot be copied to {move.incoming}: {fields}")
            continue
        move.report.add("service_level_created", created, None, {"code": created.code, "replaces": level.code})
        service_level_update(actor=move.actor, level=level, changes={"is_active": False, "ended_at": move.at})
        move.report.add("service_level_ended", level, {"is_active": True}, {"is_active": False, "ended_at": move.at})


def _hand_over_at(move: Move, ticket: Ticket, held: list[HandOff]) -> datetime:
    """The effective date, or the ticket's own arrival if that came later (a run back-dated past it): handed over
    any earlier, the incoming supplier would be measured on time the ticket was not with the outgoing one.

    Arrival is read from the timeline's own events as well as the records: a ticket's or hand-off's timestamp is
    taken a moment before its event's, and the clocks replay the events (released before its own event, a
    hand-off would have no timeline at all)."""
    arrivals = ticket.events.filter(
        Q(kind=TicketEvent.Kind.CREATED)
        | Q(kind=TicketEvent.Kind.HANDED_OFF, data__handoff__in=[str(h.id) for h in held])
    ).aggregate(last=Max("at"))["last"]
    return max([move.at, ticket.opened_at, *(h.created_at for h in held), *([arrivals] if arrivals else [])])


def _hand_over(move: Move, ticket: Ticket, to_team: Team, held: list[HandOff], at: datetime) -> None:
    """Hand the ticket over as of `at`: the outgoing holder (or a hand-off still pending acceptance) ends there."""
    pending_reason = ticket.pending_reason if ticket.state == State.PENDING else ""
    handoff = hand_off_in_transaction(ticket=ticket, to_team=to_team, reason=move.reason, actor=move.actor)
    # The hand-off stamps the present; the clocks must see the holder change at the effective date instead.
    ids = [h.id for h in held]
    HandOff.objects.filter(id__in=ids, released_at__isnull=False).update(released_at=at)
    HandOff.objects.filter(id__in=ids, status=HandOff.Status.SUPERSEDED).update(decided_at=at)
    HandOff.objects.filter(pk=handoff.pk).update(created_at=at)
    TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.HANDED_OFF, data__handoff=str(handoff.id)).update(
        at=at
    )
    if pending_reason:  # waiting on the requester (say) is still waiting: the SLA stays paused
        apply_changes(ticket, {"state": State.PENDING, "pending_reason": pending_reason})
        record_event(ticket, TicketEvent.Kind.STATE, move.actor, body="Still pending after the transition.", at=at)
    ticket_clocks_recompute(ticket=ticket, actor=move.actor)


def _note_timing(move: Move, ticket: Ticket, at: datetime, worked_until: datetime | None) -> None:
    """Say when a back-dated run hands a ticket over later than the date, or moves work done after it."""
    if at > move.at:
        move.report.notes.append(
            f"{ticket.reference} reached {move.outgoing} on {at:%d %b %H:%M}, after the effective date: handed over "
            "as of then"
        )
    if worked_until is not None:
        move.report.notes.append(
            f"{ticket.reference} was worked between {at:%d %b %H:%M} and {worked_until:%d %b %H:%M}, after the "
            "hand-over: that time now counts to the incoming supplier's clocks"
        )


def tickets(move: Move) -> None:
    """Open tickets the outgoing supplier holds on the services: handed to the mapped incoming team."""
    open_held = Ticket.objects.filter(
        service_id__in=move.service_ids, organisation=move.outgoing, state__in=OPEN_STATES
    )
    for ticket in open_held.select_related("team").order_by("opened_at"):
        to_team = move.target(ticket.team, f"ticket {ticket.reference}")
        if to_team is None:
            continue
        held = list(HandOff.objects.filter(ticket=ticket, released_at__isnull=True))
        at = _hand_over_at(move, ticket, held)
        worked_until = ticket.events.filter(at__gt=at).aggregate(last=Max("at"))["last"]
        before = {"team": ticket.team_id, "organisation": ticket.organisation_id, "state": ticket.state}
        _hand_over(move, ticket, to_team, held, at)
        _note_timing(move, ticket, at, worked_until)
        after = {"team": to_team.id, "organisation": move.incoming.id, "state": ticket.state, "at": at}
        move.report.add("ticket_rehomed", ticket, before, after)
        move.moved_tickets.append(ticket.id)


def queues(move: Move) -> None:
    """Assignment rules routing the services (or their CIs) to outgoing teams route to the incoming ones."""
    rules = AssignmentRule.objects.filter(team__organisation=move.outgoing).select_related("team")
    for rule in rules.filter(Q(service_id__in=move.service_ids) | Q(ci__service_id__in=move.service_ids)):
        to_team = move.target(rule.team, f"assignment rule {rule.name}")
        if to_team is not None:
            before, after = apply_changes(rule, {"team": to_team})
            move.changed("assignment_rule_repointed", rule, before, after)
    general = rules.filter(service__isnull=True, ci__isnull=True).count()
    if general:
        move.report.notes.append(
            f"{general} assignment rule(s) route to {move.outgoing} for no particular service: left as they are"
        )


def cis(move: Move) -> None:
    """The services' CIs: support team to the mapped incoming team, owner too where it was the outgoing supplier."""
    of_services = Q(service_id__in=move.service_ids) | Q(offering__service_id__in=move.service_ids)
    mine = Q(owner=move.outgoing) | Q(support_team__organisation=move.outgoing)
    for ci in ConfigurationItem.objects.filter(of_services, mine).select_related("support_team").order_by("name"):
        changes: dict[str, Any] = {"owner": move.incoming} if ci.owner_id == move.outgoing.id else {}
        if ci.support_team is not None and ci.support_team.organisation_id == move.outgoing.id:
            to_team = move.target(ci.support_team, f"CI {ci.name}")
            if to_team is None:
                continue
            changes["support_team"] = to_team
        before = audit.snapshot(ci, list(changes))
        ci_update(actor=move.actor, ci=ci, changes=changes, source=f"transition:{move.transition.pk}")
        move.report.add("ci_moved", ci, before, audit.snapshot(ci, list(changes)))


def catalogue(move: Move) -> None:
    """The services and their offerings: accountable to, and delivered by, the incoming supplier."""
    for service in Service.objects.filter(id__in=move.service_ids, owner=move.outgoing):
        before, after = apply_changes(service, {"owner": move.incoming})
        move.changed("service_owner_moved", service, before, after)
    for offering in ServiceOffering.objects.filter(service_id__in=move.service_ids, supplier=move.outgoing):
        before, after = apply_changes(offering, {"supplier": move.incoming})
        move.changed("offering_moved", offering, before, after)
