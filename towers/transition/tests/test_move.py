from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from towers.cmdb.tests.factories import ConfigurationItemFactory
from towers.contracts.models import ServiceLevel
from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry
from towers.integration.models_partners import TicketBond
from towers.integration.tests.factories_partners import foreign_partner
from towers.organisations.models import Team
from towers.organisations.tests.factories import actor_of
from towers.servicedesk.models import AssignmentRule, HandOff, TicketClock
from towers.servicedesk.services.tickets import ticket_create, ticket_transition
from towers.transition.models import Transition, TransitionStep
from towers.transition.services.move import transition_run, transitions_apply_due
from towers.transition.services.transitions import transition_update
from towers.transition.tests.factories import crime_transition, desk_for_transition, incoming_supplier

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")


def _apps_ticket(desk, title="Crime system is slow"):
    """Raised on the Crime system and routed to the applications supplier's team (a hand-off: its OLA starts)."""
    return ticket_create(actor=SYSTEM, title=title, service=desk.service, team=desk.apps_team, impact=2, urgency=2)


def _closed_ticket(desk):
    ticket = _apps_ticket(desk, "Old fault")
    for state, extra in (("in_progress", {}), ("resolved", {"resolution_code": "fixed"}), ("closed", {})):
        ticket_transition(actor=SYSTEM, ticket=ticket, state=state, **extra)
    return ticket


@pytest.fixture
def world(estate):
    desk = desk_for_transition(estate)
    incoming = incoming_supplier(estate)
    open_ticket, closed = _apps_ticket(desk), _closed_ticket(desk)
    pending = _apps_ticket(desk, "Waiting on the officer")
    ticket_transition(actor=SYSTEM, ticket=pending, state="in_progress")
    ticket_transition(actor=SYSTEM, ticket=pending, state="pending", pending_reason="requester")
    rule = AssignmentRule.objects.create(name="Crime to apps", service=desk.service, team=desk.apps_team)
    ci = ConfigurationItemFactory(
        owner=estate.applications, support_team=desk.apps_team, service=desk.service, ci_class="application"
    )
    at = timezone.now()
    return {
        "desk": desk,
        "estate": estate,
        "incoming": incoming,
        "next_team": Team.objects.get(code="next-support"),
        "open": open_ticket,
        "closed": closed,
        "pending": pending,
        "rule": rule,
        "ci": ci,
        "at": at,
        "transition": crime_transition(desk, incoming, at),
    }


def _apply(world, actor=None):
    actor = actor or actor_of(world["estate"].integrator_admin)
    transition = world["transition"]
    transition_run(actor=actor, transition=transition, dry_run=True)
    return transition_run(actor=actor, transition=transition, dry_run=False)


def test_an_open_ticket_moves_to_the_incoming_team_with_the_clocks_split_at_the_date(world):
    ticket, at, apps = world["open"], world["at"], world["estate"].applications
    report = _apply(world)
    assert not report.problems
    ticket.refresh_from_db()
    assert (ticket.team, ticket.organisation) == (world["next_team"], world["incoming"])
    outgoing_hold = HandOff.objects.get(ticket=ticket, to_organisation=apps)
    incoming_hold = HandOff.objects.get(ticket=ticket, to_organisation=world["incoming"])
    assert outgoing_hold.released_at == at
    assert incoming_hold.created_at == at and incoming_hold.released_at is None
    outgoing_ola = TicketClock.objects.get(ticket=ticket, handoff=outgoing_hold)
    assert outgoing_ola.organisation == apps and outgoing_ola.stopped_at == at
    incoming_ola = TicketClock.objects.get(ticket=ticket, handoff=incoming_hold)
    assert incoming_ola.organisation == world["incoming"] and incoming_ola.state == "running"
    assert incoming_ola.due_at == at + timedelta(minutes=30)  # the P3 OLA, counted from the date
    assert ticket.events.filter(kind="handed_off", at=at).exists()


def test_a_pending_ticket_stays_pending_so_its_sla_stays_paused(world):
    _apply(world)
    world["pending"].refresh_from_db()
    assert world["pending"].team == world["next_team"]
    assert (world["pending"].state, world["pending"].pending_reason) == ("pending", "requester")


def test_closed_tickets_are_untouched(world):
    closed = world["closed"]
    version, holds = closed.version, closed.handoffs.count()
    _apply(world)
    closed.refresh_from_db()
    assert closed.version == version and closed.handoffs.count() == holds
    assert closed.organisation == world["estate"].applications


def test_queues_cis_catalogue_and_service_levels_move(world):
    desk, apps, incoming = world["desk"], world["estate"].applications, world["incoming"]
    _apply(world)
    world["rule"].refresh_from_db()
    assert world["rule"].team == world["next_team"]
    world["ci"].refresh_from_db()
    assert (world["ci"].owner, world["ci"].support_team) == (incoming, world["next_team"])
    desk.service.refresh_from_db()
    assert desk.service.owner == incoming
    old_slas = ServiceLevel.objects.filter(service=desk.service, provider=apps, kind="sla")
    assert old_slas.count() == 5 and not old_slas.filter(is_active=True).exists()
    # Every level of the outgoing supplier ends at the date (its clocks before it keep them); the copies start there.
    old_olas = ServiceLevel.objects.filter(provider=apps, kind="ola")
    assert not old_olas.filter(is_active=True).exists()
    assert set(ServiceLevel.objects.filter(provider=apps).values_list("ended_at", flat=True)) == {world["at"]}
    new = ServiceLevel.objects.filter(service=desk.service, provider=incoming, is_active=True)
    assert sorted(new.values_list("kind", flat=True)) == ["ola"] * 2 + ["sla"] * 5
    assert all(code.endswith("-apps-next") for code in new.values_list("code", flat=True))
    assert set(new.values_list("starts_at", flat=True)) == {world["at"]}


def test_apply_logs_each_step_and_audits_it_as_the_transition_job_for_the_person(world):
    _apply(world)
    transition = Transition.objects.get(pk=world["transition"].pk)
    assert transition.status == "applied" and transition.applied_by == "int.admin"
    kinds = set(TransitionStep.objects.filter(transition=transition).values_list("kind", flat=True))
    assert {"ticket_rehomed", "assignment_rule_repointed", "ci_moved", "service_level_created"} <= kinds
    job = f"transition:{transition.pk}"
    entries = AuditEntry.objects.filter(job=job)
    assert {"ticket.handed_off", "ci.updated", "transition.assignment_rule_repointed"} <= set(
        entries.values_list("action", flat=True)
    )
    assert set(entries.values_list("person_id", flat=True)) == {world["estate"].integrator_admin.id}
    assert AuditEntry.objects.filter(action="transition.applied", object_id=str(transition.pk)).exists()


def test_the_outgoing_tools_bonds_pause_and_its_integration_pauses_when_it_leaves(world):
    tool = foreign_partner(world["estate"])
    bond = TicketBond.objects.create(integration=tool, ticket=world["open"])
    report = _apply(world)
    bond.refresh_from_db()
    tool.refresh_from_db()
    assert not bond.active
    assert not tool.active  # the applications supplier ran only the Crime system: nothing is left for it
    assert any("Next tool" in note for note in report.notes)


def _table_counts():
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label not in {"core.AuditEntry", "core.AuditHead"}
    }


def test_a_dry_run_changes_nothing_but_its_report(world):
    ticket = world["open"]
    before, audited = _table_counts(), AuditEntry.objects.count()
    report = transition_run(
        actor=actor_of(world["estate"].integrator_admin), transition=world["transition"], dry_run=True
    )
    assert _table_counts() == before
    assert AuditEntry.objects.count() == audited + 1  # the dry run itself
    ticket.refresh_from_db()
    assert ticket.team == world["desk"].apps_team
    counts = report.counts()
    assert counts["ticket_rehomed"] == 2 and counts["assignment_rule_repointed"] == 1 and counts["ci_moved"] == 1
    stored = Transition.objects.get(pk=world["transition"].pk)
    assert stored.status == "dry_run" and stored.dry_run_version == stored.version
    assert stored.dry_run_report["steps"][0]["count"] == 2


def test_a_team_with_no_mapping_is_a_problem_and_apply_is_refused(world):
    actor = actor_of(world["estate"].integrator_admin)
    transition = world["transition"]
    transition_update(actor=actor, transition=transition, changes={"team_mapping": {}})
    report = transition_run(actor=actor, transition=transition, dry_run=True)
    assert any("app-support" in p and "no mapping" in p for p in report.problems)
    with pytest.raises(ValidationFailed):
        transition_run(actor=actor, transition=transition, dry_run=False)
    world["open"].refresh_from_db()
    assert world["open"].team == world["desk"].apps_team


def test_apply_needs_a_current_dry_run_and_runs_once(world):
    actor = actor_of(world["estate"].integrator_admin)
    transition = world["transition"]
    with pytest.raises(ValidationFailed, match="dry run"):
        transition_run(actor=actor, transition=transition, dry_run=False)
    transition_run(actor=actor, transition=transition, dry_run=True)
    transition_update(actor=actor, transition=transition, changes={"name": "Renamed"})
    with pytest.raises(ValidationFailed, match="changed since"):
        transition_run(actor=actor, transition=transition, dry_run=False)
    transition_run(actor=actor, transition=transition, dry_run=True)
    transition_run(actor=actor, transition=transition, dry_run=False)
    steps = TransitionStep.objects.count()
    with pytest.raises(ValidationFailed, match="runs once"):
        transition_run(actor=actor, transition=transition, dry_run=False)
    assert TransitionStep.objects.count() == steps


def test_a_future_transition_is_scheduled_and_the_worker_applies_it_when_due(world):
    actor = actor_of(world["estate"].integrator_admin)
    transition = world["transition"]
    later = timezone.now() + timedelta(hours=2)
    transition_update(actor=actor, transition=transition, changes={"effective_at": later})
    transition_run(actor=actor, transition=transition, dry_run=True)
    report = transition_run(actor=actor, transition=transition, dry_run=False)
    transition.refresh_from_db()
    assert transition.status == "dry_run" and transition.scheduled_by == "int.admin"
    assert "Scheduled" in report.notes[0]
    assert transitions_apply_due(actor=Actor.system("transition-worker")) == 0
    assert transitions_apply_due(actor=Actor.system("transition-worker"), now=later + timedelta(minutes=1)) == 1
    transition.refresh_from_db()
    assert transition.status == "applied"
    world["open"].refresh_from_db()
    assert world["open"].team == world["next_team"]


def test_the_outgoing_supplier_reads_but_may_not_run_it_and_another_supplier_cannot_see_it(world):
    estate = world["estate"]
    with pytest.raises(Forbidden):
        transition_run(actor=actor_of(estate.applications_admin), transition=world["transition"], dry_run=True)
    with pytest.raises(NotFound):
        transition_run(actor=actor_of(estate.network_admin), transition=world["transition"], dry_run=True)
    assert Transition.objects.get(pk=world["transition"].pk).status == "planned"


def test_a_level_the_catalogue_refuses_to_copy_is_a_problem_naming_the_field(world):
    ServiceLevel.objects.filter(code=world["desk"].sla_response.code).update(priority="")
    actor = actor_of(world["estate"].integrator_admin)
    report = transition_run(actor=actor, transition=world["transition"], dry_run=True)
    assert any(world["desk"].sla_response.code in p and "priority" in p for p in report.problems)
