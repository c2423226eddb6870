from datetime import timedelta

import pytest
from django.utils import timezone

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry, OutboxEvent
from towers.servicedesk.models import MajorIncident, StakeholderUpdate, State, TicketEvent
from towers.servicedesk.selectors_major import major_get, majors_list, majors_overdue
from towers.servicedesk.services.major import (
    major_declare,
    major_resolve,
    major_review,
    major_update,
    major_updates_overdue_notify,
)
from towers.servicedesk.tests.catalogue_factories import declared_major, p1_incident

SWEEP = Actor.system("major-sweep")


def audited(action, obj):
    return AuditEntry.objects.filter(action=action, object_id=str(obj.id)).exists()


def test_a_p1_incident_is_declared_major_with_its_bridge_and_first_update_due_one_cadence_on(desk):
    incident = p1_incident(desk)
    before = timezone.now()
    major = major_declare(
        actor=desk.actor(desk.agent),
        ticket=incident,
        bridge=" Teams: MI bridge ",
        manager=desk.agent,
        stakeholders=["Chief@Force.test", "chief@force.test", "ops@force.test"],
    )
    incident.refresh_from_db()
    assert incident.is_major and major.bridge == "Teams: MI bridge"
    assert major.stakeholders == ["chief@force.test", "ops@force.test"]
    assert major.cadence == desk.settings.major_update_cadence
    assert before + major.cadence <= major.next_update_due <= timezone.now() + major.cadence
    assert audited("major.declared", major)
    declared = OutboxEvent.objects.get(name="servicedesk.major.declared")
    assert declared.payload["recipients"] == major.stakeholders and declared.payload["manager_id"] == str(desk.agent.id)


def test_only_an_open_p1_incident_can_be_declared_and_only_once(desk):
    agent = desk.actor(desk.agent)
    with pytest.raises(ValidationFailed, match="only a P1 incident"):
        major_declare(actor=agent, ticket=desk.raise_incident(), bridge="bridge")
    with pytest.raises(ValidationFailed, match="only a P1 incident"):
        major_declare(actor=agent, ticket=p1_incident(desk, kind="problem"), bridge="bridge")
    incident = p1_incident(desk)
    with pytest.raises(ValidationFailed, match="stakeholders"):
        major_declare(actor=agent, ticket=incident, bridge="bridge", stakeholders=["not an address"])
    with pytest.raises(ValidationFailed, match="bridge"):
        major_declare(actor=agent, ticket=incident, bridge="  ")
    major_declare(actor=agent, ticket=incident, bridge="bridge")
    with pytest.raises(ValidationFailed, match="already a major incident"):
        major_declare(actor=agent, ticket=incident, bridge="bridge")
    assert MajorIncident.objects.count() == 1


def test_the_desk_runs_major_incidents_not_requesters_nor_the_supplier_holding_the_ticket(desk):
    incident = p1_incident(desk, team=desk.apps_team)
    with pytest.raises(Forbidden):
        major_declare(actor=desk.actor(desk.requester), ticket=incident, bridge="bridge")
    with pytest.raises(Forbidden):
        major_declare(actor=desk.actor(desk.apps_resolver), ticket=incident, bridge="bridge")
    with pytest.raises(NotFound):
        major_declare(actor=desk.actor(desk.estate.network_admin), ticket=incident, bridge="bridge")
    assert not MajorIncident.objects.exists()


def test_a_stakeholder_update_is_a_public_comment_and_pushes_the_next_update_one_cadence_on(desk):
    major = declared_major(desk)
    first_due = major.next_update_due
    update = major_update(actor=desk.actor(desk.agent), major=major, body="Database failing over. ")
    assert isinstance(update, StakeholderUpdate) and update.recipients == ["chief@force.test"]
    assert major.next_update_due > first_due
    comment = TicketEvent.objects.get(ticket=major.ticket, kind="comment")
    assert comment.public and comment.body == "Database failing over."
    sent = OutboxEvent.objects.get(name="servicedesk.major.update_sent")
    assert sent.payload["update_id"] == str(update.id) and sent.payload["recipients"] == ["chief@force.test"]
    assert audited("major.update_sent", major)
    with pytest.raises(ValidationFailed, match="body"):
        major_update(actor=desk.actor(desk.agent), major=major, body=" ")


def test_an_overdue_update_is_reminded_once_per_period_until_an_update_is_sent(desk):
    major = declared_major(desk)
    due = major.next_update_due
    assert major_updates_overdue_notify(actor=SWEEP, now=due - timedelta(minutes=1)) == 0
    late = due + timedelta(minutes=5)
    assert [m.pk for m in majors_overdue(late)] == [major.pk]
    assert major_updates_overdue_notify(actor=SWEEP, now=late) == 1
    assert major_updates_overdue_notify(actor=SWEEP, now=late + timedelta(minutes=10)) == 0
    assert major_updates_overdue_notify(actor=SWEEP, now=late + major.cadence) == 1
    reminders = OutboxEvent.objects.filter(name="servicedesk.major.update_overdue")
    assert [e.payload["minutes_late"] for e in reminders.order_by("id")] == [
        5,
        5 + int(major.cadence.total_seconds() // 60),
    ]
    major.refresh_from_db()
    major_update(actor=desk.actor(desk.agent), major=major, body="Still failing over")
    assert major_updates_overdue_notify(actor=SWEEP, now=late + major.cadence) == 0
    assert audited("major.update_overdue", major)


def test_resolving_resolves_the_incident_and_tells_the_stakeholders_with_no_more_updates_due(desk):
    major = declared_major(desk)
    with pytest.raises(ValidationFailed, match="summary"):
        major_resolve(actor=desk.actor(desk.agent), major=major, summary="")
    major_resolve(actor=desk.actor(desk.agent), major=major, summary="Failed over to the standby database")
    major.ticket.refresh_from_db()
    assert major.status == MajorIncident.Status.RESOLVED and major.next_update_due is None
    assert major.ticket.state == State.RESOLVED and major.ticket.resolution_notes.startswith("Failed over")
    assert major.updates.get().body == "Resolved: Failed over to the standby database"
    assert OutboxEvent.objects.filter(name="servicedesk.major.resolved").exists() and audited("major.resolved", major)
    with pytest.raises(ValidationFailed, match="resolved"):
        major_update(actor=desk.actor(desk.agent), major=major, body="late")
    assert not majors_overdue(timezone.now() + timedelta(days=1)).exists()


def test_the_review_turns_its_actions_into_problems_and_changes_linked_back(desk):
    major = declared_major(desk)
    agent = desk.actor(desk.agent)
    with pytest.raises(ValidationFailed, match="not resolved yet"):
        major_review(actor=agent, major=major, review="Early")
    major_resolve(actor=agent, major=major, summary="Restarted")
    with pytest.raises(ValidationFailed) as refused:
        major_review(actor=agent, major=major, review="x", actions=[{"description": "", "becomes": "task"}])
    assert set(refused.value.fields) == {"actions[0].description", "actions[0].becomes"}
    actions = major_review(
        actor=agent,
        major=major,
        review="The standby was not monitored.",
        actions=[
            {"description": "Find why the primary failed", "becomes": "problem"},
            {"description": "Monitor the standby database", "becomes": "change"},
        ],
    )
    problem, change = (a.ticket for a in actions)
    assert (problem.kind, change.kind) == ("problem", "change")
    assert problem.reference.startswith("PRB") and change.reference.startswith("CHG")
    assert problem.service == major.ticket.service and "post-incident review" in change.description
    major.ticket.refresh_from_db()
    assert major.ticket.problem == problem
    assert major.status == MajorIncident.Status.REVIEWED and audited("major.reviewed", major)
    with pytest.raises(ValidationFailed, match="already reviewed"):
        major_review(actor=agent, major=major, review="again")


def test_other_suppliers_neither_see_nor_change_a_major_incident(desk):
    major = declared_major(desk)
    network = desk.actor(desk.estate.network_admin)
    assert not majors_list(actor=network).exists()
    with pytest.raises(NotFound):
        major_get(actor=network, id=major.id)
    with pytest.raises(NotFound):
        major_update(actor=network, major=major, body="spoof")
    assert major_get(actor=desk.actor(desk.agent), id=major.id) == major
