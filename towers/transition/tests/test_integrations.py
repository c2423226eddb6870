"""Integrations re-pointed by a move: the incoming tool serves the teams taking over and receives the moved tickets."""

import pytest
from django.utils import timezone

from towers.core import events
from towers.core.models import AuditEntry
from towers.integration.models_partners import PartnerIntegration, PartnerMessage, TicketBond
from towers.integration.tasks_partners import nudge_partner_delivery
from towers.integration.tests.factories_partners import (
    PartnerIntegrationFactory,
    PartnerMessageFactory,
    foreign_partner,
)
from towers.organisations.models import Team
from towers.organisations.tests.factories import actor_of
from towers.servicedesk.services.tickets import ticket_create
from towers.transition.models import TransitionStep
from towers.transition.services.move import transition_run
from towers.transition.tests.factories import crime_transition, desk_for_transition, incoming_supplier

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(estate):
    return desk_for_transition(estate)


@pytest.fixture
def incoming(desk, estate):
    return incoming_supplier(estate)


@pytest.fixture
def next_tool(incoming):
    return PartnerIntegration.objects.get(organisation=incoming, name="Next tool")


@pytest.fixture
def outgoing_tool(desk):
    """The applications supplier's tool; it lists no teams, so it serves every team of the supplier."""
    return foreign_partner(desk.estate)


@pytest.fixture
def tickets(desk):
    """Two open tickets the applications supplier holds, their hand-off events already delivered (long ago)."""
    raised = [
        ticket_create(actor=actor_of(desk.agent), title=title, service=desk.service, team=desk.apps_team)
        for title in ("Crime system is slow", "Crime search fails")
    ]
    events.deliver_all_pending()
    return raised


def _creates(tool, ticket) -> int:
    return PartnerMessage.objects.filter(integration=tool, ticket=ticket, direction="out", operation="create").count()


def _run(desk, incoming, *, dry_run: bool, team_mapping: dict[str, str]):
    transition = crime_transition(desk, incoming, timezone.now(), team_mapping=team_mapping)
    actor = actor_of(desk.estate.integrator_admin)
    report = transition_run(actor=actor, transition=transition, dry_run=True)
    if not dry_run:
        report = transition_run(actor=actor, transition=transition, dry_run=False)
    return transition, report


def test_moved_tickets_are_bonded_to_the_incoming_tool_in_the_move_and_created_there_once(
    desk, incoming, next_tool, tickets, django_capture_on_commit_callbacks
):
    mapping = {"app-support": "next-support"}  # already served by the incoming supplier's tool
    with django_capture_on_commit_callbacks() as callbacks:
        transition, report = _run(desk, incoming, dry_run=False, team_mapping=mapping)
    assert nudge_partner_delivery in callbacks  # the creates go out now, not at the next sweep
    for ticket in tickets:
        assert TicketBond.objects.filter(integration=next_tool, ticket=ticket, active=True).count() == 1
        assert _creates(next_tool, ticket) == 1
    steps = TransitionStep.objects.filter(transition=transition, kind="bond_created").order_by("id")
    assert [(s.after["ticket"], s.after["integration"], s.after["owed"]) for s in steps] == [
        (t.reference, "Next tool", "create") for t in tickets
    ]
    assert steps[0].object_repr == f"{tickets[0].reference} → Next tool"
    assert "Re-homed tickets reach Next Apps Ltd's tool through Next tool" in report.notes
    audited = AuditEntry.objects.filter(action="transition.bond_created", job=f"transition:{transition.pk}")
    assert audited.count() == 2
    bonded = AuditEntry.objects.filter(action="integration.ticket_bond.created", job=f"transition:{transition.pk}")
    assert bonded.count() == 2  # the integration app's own entries name the transition too, not the partners job
    [listed] = [kind for kind in report.as_dict()["steps"] if kind["kind"] == "bond_created"]
    assert (listed["label"], listed["count"]) == ("Tickets bonded to the incoming supplier's tool (a create owed)", 2)

    events.deliver_all_pending()  # the outbox handler for the same hand-offs, running later
    assert [_creates(next_tool, t) for t in tickets] == [1, 1]
    assert PartnerMessage.objects.filter(integration=next_tool).count() == 2


def test_the_dry_run_shows_the_bonds_and_makes_none(desk, incoming, next_tool, tickets):
    _transition, report = _run(desk, incoming, dry_run=True, team_mapping={"app-support": "next-support"})
    assert report.counts()["bond_created"] == 2
    assert not TicketBond.objects.exists() and not PartnerMessage.objects.exists()


def test_the_only_incoming_tool_is_given_the_team_taking_over_from_a_team_the_outgoing_tool_served(
    desk, incoming, next_tool, outgoing_tool, tickets
):
    next_dev = Team.objects.get(code="next-dev")
    transition, _report = _run(desk, incoming, dry_run=False, team_mapping={"app-support": "next-dev"})

    assert sorted(next_tool.teams.values_list("code", flat=True)) == ["next-dev", "next-support"]
    step = TransitionStep.objects.get(transition=transition, kind="integration_repointed")
    assert (step.object_id, step.before, step.after) == (
        str(next_tool.id),
        {"teams": ["next-support"]},
        {"teams": ["next-dev", "next-support"]},
    )
    entry = AuditEntry.objects.get(action="integration.partner.updated", object_id=str(next_tool.id))
    assert entry.job == f"transition:{transition.pk}"
    assert str(next_dev.id) in entry.after["teams"] and str(next_dev.id) not in entry.before["teams"]
    for ticket in tickets:  # bonded after the tool was given the team, so to it; the outgoing tool's bond paused
        assert _creates(next_tool, ticket) == 1
        assert not TicketBond.objects.get(integration=outgoing_tool, ticket=ticket).active


def test_with_several_incoming_tools_the_team_is_left_for_the_supplier_to_choose(
    desk, incoming, next_tool, outgoing_tool, tickets
):
    second = PartnerIntegrationFactory(organisation=incoming, name="Next second tool")
    second.teams.set([Team.objects.get(code="next-support")])
    _transition, report = _run(desk, incoming, dry_run=False, team_mapping={"app-support": "next-dev"})

    assert [list(t.teams.values_list("code", flat=True)) for t in (next_tool, second)] == [["next-support"]] * 2
    assert report.counts()["integration_repointed"] == 0 and report.counts()["bond_created"] == 0
    assert (
        "Team next-dev (Next development) takes over work Apps Supplier's tool received, but no tool of Next Apps Ltd "
        "takes its hand-offs: add it to one of Next second tool, Next tool"
    ) in report.to_set_up
    assert not PartnerMessage.objects.filter(integration__organisation=incoming).exists()
    assert not any(note.startswith("Re-homed tickets reach") for note in report.notes)


def test_a_team_the_outgoing_tool_did_not_serve_is_not_given_a_tool(desk, incoming, next_tool, tickets):
    _transition, report = _run(desk, incoming, dry_run=False, team_mapping={"app-support": "next-dev"})
    assert list(next_tool.teams.values_list("code", flat=True)) == ["next-support"]
    assert report.counts()["integration_repointed"] == 0 and not report.to_set_up


def test_with_no_incoming_tool_the_outgoing_one_is_listed_to_replace(desk, incoming, next_tool, outgoing_tool, tickets):
    next_tool.active = False
    next_tool.save(update_fields=["active"])
    _transition, report = _run(desk, incoming, dry_run=False, team_mapping={"app-support": "next-support"})
    assert report.counts()["integration_repointed"] == 0 and report.counts()["bond_created"] == 0
    replace = f"Next Apps Ltd has no partner integration to replace Apps tool ({outgoing_tool.base_url})"
    assert report.to_set_up == [replace]


def test_a_ticket_the_incoming_tool_had_before_is_bonded_again_with_an_update(desk, incoming, next_tool, tickets):
    # The incoming supplier's tool had the first ticket once, and it came back to the outgoing supplier since.
    earlier = TicketBond.objects.create(integration=next_tool, ticket=tickets[0], active=False)
    PartnerMessageFactory(integration=next_tool, ticket=tickets[0], bond=earlier, operation="create")
    transition, _report = _run(desk, incoming, dry_run=False, team_mapping={"app-support": "next-support"})

    earlier.refresh_from_db()
    assert earlier.active
    owed = PartnerMessage.objects.filter(bond=earlier).order_by("id")
    assert [m.operation for m in owed] == ["create", "update"]
    resumed = TransitionStep.objects.get(transition=transition, kind="bond_resumed")
    assert (resumed.object_id, resumed.after["owed"]) == (str(earlier.id), "update")
    created = TransitionStep.objects.get(transition=transition, kind="bond_created")
    assert created.after["ticket"] == tickets[1].reference
