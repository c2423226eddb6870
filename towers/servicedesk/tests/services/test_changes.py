from datetime import timedelta

import pytest
from freezegun import freeze_time

from towers.cmdb.tests.factories import ConfigurationItemFactory
from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, StaleVersion, ValidationFailed
from towers.core.models import AuditEntry
from towers.servicedesk.models import Approval, State
from towers.servicedesk.selectors_changes import change_conflicts, change_get, stage_of
from towers.servicedesk.services.change_approvals import approval_decide, change_submit_for_approval
from towers.servicedesk.services.change_delivery import (
    change_close,
    change_complete,
    change_implement,
    change_review,
    incident_link_caused_by,
)
from towers.servicedesk.services.changes import change_assess_risk, change_cancel, change_create, change_update
from towers.servicedesk.tests.factories_changes import (
    ChangeTemplateFactory,
    FreezeWindowFactory,
    build_cab,
    normal_change,
    tomorrow,
)


@pytest.fixture
def cab(desk):
    return build_cab(desk)


def low_risk(desk, change):
    return change_assess_risk(
        actor=desk.actor(desk.agent), change=change, outage_required=False, backout_tested=True, done_before=True
    )


def in_window(change, minutes=30):
    return freeze_time(change.change_detail.planned_start + timedelta(minutes=minutes))


def actions(ticket):
    return list(AuditEntry.objects.filter(object_id=str(ticket.pk)).values_list("action", flat=True))


def test_standard_change_copies_its_template_and_is_approved_without_a_cab(desk):
    template = ChangeTemplateFactory(risk="medium", service=desk.service, team=desk.estate.integrator_team)
    start = tomorrow()
    change = change_create(
        actor=desk.actor(desk.agent),
        title="Restart the crime app pool",
        change_type="standard",
        template=template,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )
    detail = change.change_detail
    assert change.reference.startswith("CHG") and change.service == desk.service
    assert (detail.risk, detail.approval_state) == ("medium", "approved")
    assert detail.implementation_plan == template.implementation_plan and detail.backout_plan == template.backout_plan
    assert not Approval.objects.filter(ticket=change).exists() and stage_of(change) == "scheduled"
    with pytest.raises(ValidationFailed, match="pre-approved"):
        change_submit_for_approval(actor=desk.actor(desk.agent), change=change)
    with pytest.raises(ValidationFailed, match="template's plans"):
        change_update(actor=desk.actor(desk.agent), change=change, changes={"backout_plan": "Hope."})
    with in_window(change):
        change_implement(actor=desk.actor(desk.agent), change=change)
    assert change.state == State.IN_PROGRESS and change.change_detail.actual_start is not None


def test_standard_change_needs_an_active_template_and_a_window(desk):
    agent = desk.actor(desk.agent)
    with pytest.raises(ValidationFailed, match="template"):
        change_create(
            actor=agent, title="x", change_type="standard", planned_start=tomorrow(), planned_end=tomorrow(12)
        )
    retired = ChangeTemplateFactory(is_active=False)
    with pytest.raises(ValidationFailed, match="template"):
        change_create(actor=agent, title="x", change_type="standard", template=retired)
    with pytest.raises(ValidationFailed, match="scheduled"):
        change_create(actor=agent, title="x", change_type="standard", template=ChangeTemplateFactory())


def test_a_window_must_end_after_it_starts_and_requesters_raise_no_changes(desk):
    with pytest.raises(ValidationFailed, match="end after"):
        normal_change(desk, planned_end=tomorrow(9))
    with pytest.raises(ValidationFailed, match="both"):
        normal_change(desk, planned_end=None)
    with pytest.raises(Forbidden):
        normal_change(desk, actor=desk.actor(desk.requester))


def test_a_normal_change_is_assessed_before_the_cab_and_everything_missing_is_named(desk, cab):
    agent = desk.actor(desk.agent)
    bare = change_create(actor=agent, title="Upgrade the firewall")
    with pytest.raises(ValidationFailed) as refused:
        change_submit_for_approval(actor=agent, change=bare)
    assert set(refused.value.fields) == {"planned_start", "implementation_plan", "backout_plan", "risk"}
    change = normal_change(desk, cis=[ConfigurationItemFactory(owner=desk.estate.integrator, criticality=1)])
    change_assess_risk(actor=agent, change=change, outage_required=True, backout_tested=True, done_before=True)
    # One service (2) + a critical CI (5) + an outage (3): high, so every CAB member must approve.
    assert change.change_detail.risk == "high" and change.change_detail.risk_answers["score"] == 10
    approvals = change_submit_for_approval(actor=agent, change=change)
    assert {a.approver for a in approvals} == set(cab.members)
    assert change.change_detail.approval_rule == "all" and change.state == State.PENDING
    assert change.pending_reason == "approval" and stage_of(change) == "awaiting_approval"
    with pytest.raises(ValidationFailed, match="before the change goes to the CAB"):
        low_risk(desk, change)


def test_a_low_risk_change_is_approved_by_a_majority_and_the_last_vote_is_cancelled(desk, cab):
    change = low_risk(desk, normal_change(desk))
    approvals = {a.approver: a for a in change_submit_for_approval(actor=desk.actor(desk.agent), change=change)}
    assert change.change_detail.approval_rule == "majority"
    approval_decide(actor=desk.actor(cab.manager), approval=approvals[cab.manager], approve=True)
    change.refresh_from_db()
    assert change.change_detail.approval_state == "requested"
    approval_decide(actor=desk.actor(cab.lead_one), approval=approvals[cab.lead_one], approve=True, comment="Fine")
    change = change_get(actor=desk.actor(desk.agent), id=change.pk)
    assert change.change_detail.approval_state == "approved" and change.state == State.ASSIGNED
    assert Approval.objects.get(pk=approvals[cab.lead_two].pk).status == "cancelled"
    assert "change.approved" in actions(change)
    assert AuditEntry.objects.filter(object_id=str(approvals[cab.manager].pk), action="approval.approved").exists()


def test_one_rejection_rejects_a_high_risk_change_which_can_be_resubmitted_as_a_new_round(desk, cab):
    agent = desk.actor(desk.agent)
    change = normal_change(desk)
    change_assess_risk(
        actor=agent, change=change, outage_required=True, backout_tested=False, done_before=False, ci_criticality=2
    )
    approvals = {a.approver: a for a in change_submit_for_approval(actor=agent, change=change)}
    with pytest.raises(ValidationFailed, match="why"):
        approval_decide(actor=desk.actor(cab.lead_two), approval=approvals[cab.lead_two], approve=False)
    approval_decide(
        actor=desk.actor(cab.lead_two), approval=approvals[cab.lead_two], approve=False, comment="No back-out test"
    )
    change.refresh_from_db()
    assert change.change_detail.approval_state == "rejected" and stage_of(change) == "draft"
    # Too late to decide: the open approvals were cancelled (even one read before the rejection is refused).
    with pytest.raises(ValidationFailed, match="no longer awaiting approval"):
        approval_decide(actor=desk.actor(cab.manager), approval=approvals[cab.manager], approve=True)
    fresh = Approval.objects.get(pk=approvals[cab.manager].pk)
    with pytest.raises(ValidationFailed, match="already cancelled"):
        approval_decide(actor=desk.actor(cab.manager), approval=fresh, approve=True)
    with pytest.raises(ValidationFailed):
        change_implement(actor=agent, change=change)
    second = change_submit_for_approval(actor=agent, change=change)
    assert {a.step for a in second} == {2} and len(second) == 3


def test_only_the_named_approver_decides_and_nobody_approves_their_own_change(desk, cab):
    change = low_risk(desk, normal_change(desk, actor=desk.actor(cab.lead_one)))
    approvals = {a.approver: a for a in change_submit_for_approval(actor=desk.actor(desk.agent), change=change)}
    # The requester (who raised it) is left out of the CAB.
    assert set(approvals) == {cab.manager, cab.lead_two}
    managers = approvals[cab.manager]
    with pytest.raises(Forbidden):
        approval_decide(actor=desk.actor(cab.lead_two), approval=managers, approve=True)
    with pytest.raises(Forbidden):
        approval_decide(actor=desk.actor(desk.agent), approval=managers, approve=True)
    with pytest.raises(NotFound):
        approval_decide(actor=desk.actor(desk.estate.network_resolver), approval=managers, approve=True)


def test_named_approvers_must_approve_for_a_party_to_the_change(desk, cab):
    change = low_risk(desk, normal_change(desk))
    agent = desk.actor(desk.agent)
    with pytest.raises(ValidationFailed, match="does not approve"):
        change_submit_for_approval(actor=agent, change=change, approvers=[desk.estate.network_admin])
    with pytest.raises(ValidationFailed, match="raised or submitted"):
        change_submit_for_approval(actor=desk.actor(cab.manager), change=change, approvers=[cab.manager])
    approvals = change_submit_for_approval(actor=agent, change=change, approvers=[desk.estate.integrator_admin])
    assert [a.approver for a in approvals] == [desk.estate.integrator_admin]


def test_an_emergency_change_needs_one_ecab_approval_and_ignores_window_and_freeze(desk, cab):
    agent = desk.actor(desk.agent)
    FreezeWindowFactory(starts_at=tomorrow(0) - timedelta(days=2), ends_at=tomorrow(0) + timedelta(days=5))
    change = normal_change(desk, change_type="emergency")
    approvals = {a.approver: a for a in change_submit_for_approval(actor=agent, change=change)}
    assert {a.role for a in approvals.values()} == {"ecab"} and change.change_detail.approval_rule == "any"
    approval_decide(actor=desk.actor(cab.lead_two), approval=approvals[cab.lead_two], approve=True)
    change.refresh_from_db()
    change_implement(actor=agent, change=change)  # before its window, inside a freeze
    change_complete(actor=agent, change=change, outcome="successful")
    with pytest.raises(ValidationFailed, match="emergency change needs a post-implementation review"):
        change_close(actor=agent, change=change)
    with pytest.raises(Forbidden):
        change_review(actor=agent, change=change, notes="Went well")
    change_review(actor=desk.actor(cab.manager), change=change, notes="Root cause fixed; add monitoring.")
    assert change.state == State.CLOSED and change.change_detail.reviewed_by == desk.actor(cab.manager).label
    expected = {"change.created", "change.submitted", "change.approved", "change.implementation_started"}
    assert expected | {"change.completed", "change.reviewed"} <= set(actions(change))


def approved(desk, cab, change):
    approvals = change_submit_for_approval(actor=desk.actor(desk.agent), change=change)
    for approval in approvals[:2]:
        approval_decide(actor=desk.actor(approval.approver), approval=approval, approve=True)
    change.refresh_from_db()
    return change


def test_an_approved_change_starts_only_inside_its_window_and_outside_freezes(desk, cab):
    agent = desk.actor(desk.agent)
    change = approved(desk, cab, low_risk(desk, normal_change(desk)))
    with pytest.raises(ValidationFailed, match="opens at"):
        change_implement(actor=agent, change=change)
    with in_window(change, minutes=200), pytest.raises(ValidationFailed, match="passed"):
        change_implement(actor=agent, change=change)
    start = change.change_detail.planned_start
    freeze = FreezeWindowFactory(name="Budget day", starts_at=start, ends_at=start + timedelta(hours=1))
    freeze.services.set([desk.service])
    with in_window(change), pytest.raises(ValidationFailed, match="Budget day"):
        change_implement(actor=agent, change=change)
    with in_window(change, minutes=61):
        change_implement(actor=agent, change=change)
    assert stage_of(change) == "implementing"


def test_a_failed_change_is_reviewed_before_closing_and_a_successful_one_closes_without(desk, cab):
    agent = desk.actor(desk.agent)
    failed = approved(desk, cab, low_risk(desk, normal_change(desk)))
    with in_window(failed):
        change_implement(actor=agent, change=failed)
    with pytest.raises(ValidationFailed, match="what happened"):
        change_complete(actor=agent, change=failed, outcome="backed_out")
    change_complete(actor=agent, change=failed, outcome="backed_out", notes="Patch broke replication")
    assert failed.state == State.RESOLVED and failed.resolution_code == "backed_out"
    with pytest.raises(ValidationFailed, match="backed_out change needs a post-implementation review"):
        change_close(actor=agent, change=failed)
    change_review(actor=desk.actor(cab.manager), change=failed, notes="Test replication in staging first.")
    assert failed.state == State.CLOSED
    fine = approved(desk, cab, low_risk(desk, normal_change(desk, start=tomorrow(14))))
    with in_window(fine):
        change_implement(actor=agent, change=fine)
    change_complete(actor=agent, change=fine, outcome="successful")
    change_close(actor=agent, change=fine)
    assert fine.state == State.CLOSED and fine.change_detail.reviewed_at is None


def test_editing_what_the_cab_approved_withdraws_the_approval(desk, cab):
    agent = desk.actor(desk.agent)
    change = approved(desk, cab, low_risk(desk, normal_change(desk)))
    change_update(actor=agent, change=change, changes={"justification": "Vendor advisory"})
    assert change.change_detail.approval_state == "approved"
    version = change.version
    with pytest.raises(StaleVersion):
        change_update(actor=agent, change=change, changes={"test_plan": "x"}, expected_version=version - 1)
    change_update(actor=agent, change=change, changes={"planned_end": tomorrow(13)}, expected_version=version)
    change.refresh_from_db()
    assert change.change_detail.approval_state == "not_requested" and change.version > version
    assert {"change.updated", "change.approval_withdrawn"} <= set(actions(change))


def test_withdrawing_a_change_under_review_cancels_its_approvals(desk, cab):
    change = low_risk(desk, normal_change(desk))
    change_submit_for_approval(actor=desk.actor(desk.agent), change=change)
    with pytest.raises(ValidationFailed, match="why"):
        change_cancel(actor=desk.actor(desk.agent), change=change, reason=" ")
    change_cancel(actor=desk.actor(desk.agent), change=change, reason="Superseded by CHG0000009")
    assert change.state == State.CANCELLED and "change.cancelled" in actions(change)
    assert set(Approval.objects.filter(ticket=change).values_list("status", flat=True)) == {"cancelled"}


def test_incidents_are_linked_to_the_change_that_caused_them_once_it_ran(desk, cab):
    agent = desk.actor(desk.agent)
    change = approved(desk, cab, low_risk(desk, normal_change(desk)))
    incident = desk.raise_incident(title="Crime system down after patch")
    with pytest.raises(ValidationFailed, match="not been implemented"):
        incident_link_caused_by(actor=agent, incident=incident, change=change)
    with in_window(change):
        change_implement(actor=agent, change=change)
    incident_link_caused_by(actor=agent, incident=incident, change=change)
    assert change_get(actor=agent, id=change.pk).caused_count == 1
    assert incident.events.filter(kind="link", body__contains=change.reference).exists()
    assert "incident.caused_by_linked" in actions(incident)
    with pytest.raises(Forbidden):
        incident_link_caused_by(actor=desk.actor(desk.requester), incident=incident, change=None)


def test_another_supplier_neither_sees_nor_changes_a_change_it_is_not_party_to(desk):
    change = normal_change(desk)
    outsider = desk.actor(desk.estate.network_resolver)
    with pytest.raises(NotFound):
        change_get(actor=outsider, id=change.pk)
    with pytest.raises(NotFound):
        change_update(actor=outsider, change=change, changes={"title": "Mine now"})
    with pytest.raises(NotFound):
        change_cancel(actor=outsider, change=change, reason="Because")
    assert change_get(actor=Actor.system("tests"), id=change.reference) == change


def test_conflicts_name_visible_changes_and_only_count_hidden_ones(desk):
    db = ConfigurationItemFactory(owner=desk.estate.integrator, name="crime-db")
    mine = normal_change(desk, cis=[db])
    visible = normal_change(desk, title="Index rebuild", cis=[db], start=tomorrow(11))
    # Raised by the applications supplier on the same CI: the network third party sees neither, the desk both.
    hidden = normal_change(desk, actor=desk.actor(desk.apps_resolver), cis=[db], start=tomorrow(11), service=None)
    found = {
        (c.kind, c.other.reference if c.other else None)
        for c in change_conflicts(actor=desk.actor(desk.agent), change=mine)
    }
    assert found == {
        ("same_ci", visible.reference),
        ("same_service", visible.reference),
        ("same_ci", hidden.reference),
    }
    resolver = desk.actor(desk.apps_resolver)
    seen_by_apps = change_conflicts(actor=resolver, change=hidden)
    assert {(c.kind, c.other) for c in seen_by_apps} == {("same_ci", None)}
    assert all(c.shared == ("crime-db",) for c in seen_by_apps)
    assert mine.pk != visible.pk
