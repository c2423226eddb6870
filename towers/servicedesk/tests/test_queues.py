import pytest

from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import actor_of
from towers.servicedesk.models import SavedView, State
from towers.servicedesk.services.queues import saved_view_delete, saved_view_save, tickets_bulk_update
from towers.servicedesk.services.tickets import ticket_transition


def test_saving_a_view_under_an_existing_name_replaces_its_filters_and_both_are_audited(desk):
    agent = desk.actor(desk.agent)
    first = saved_view_save(actor=agent, name="  My  P1s ", filters={"priorities": "P1"})
    again = saved_view_save(actor=agent, name="My P1s", filters={"priorities": "P1", "breached": True})
    assert again.pk == first.pk and again.name == "My P1s"
    assert SavedView.objects.get(pk=first.pk).filters == {"priorities": "P1", "breached": True}
    entries = AuditEntry.objects.filter(action="saved_view.saved", object_id=str(first.pk)).order_by("seq")
    assert [e.before for e in entries] == [None, {"filters": {"priorities": "P1"}}]


def test_a_view_needs_a_name_and_a_person(desk):
    with pytest.raises(ValidationFailed, match="name"):
        saved_view_save(actor=desk.actor(desk.agent), name="   ", filters={})
    with pytest.raises(Forbidden):
        saved_view_save(actor=desk.actor(desk.estate.auditor), name="Mine", filters={})


def test_nobody_deletes_another_persons_view(desk):
    view = saved_view_save(actor=desk.actor(desk.agent), name="Mine", filters={})
    with pytest.raises(NotFound):
        saved_view_delete(actor=desk.actor(desk.apps_resolver), view=view)
    pk = view.pk
    saved_view_delete(actor=desk.actor(desk.agent), view=view)
    assert not SavedView.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(action="saved_view.deleted", object_id=str(pk)).exists()


def test_bulk_update_changes_each_ticket_and_names_each_it_could_not_change(desk):
    agent = desk.actor(desk.agent)
    first, second, cancelled = desk.raise_incident(), desk.raise_incident(), desk.raise_incident()
    ticket_transition(actor=agent, ticket=cancelled, state=State.CANCELLED)
    outcome = tickets_bulk_update(actor=agent, tickets=[first, second, cancelled], state=State.IN_PROGRESS, impact=1)
    assert outcome.updated == [first.reference, second.reference]
    assert list(outcome.failed) == [cancelled.reference]
    assert "cannot become in_progress" in outcome.failed[cancelled.reference]
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.state == State.IN_PROGRESS and ticket.impact == 1 and ticket.priority == "P2"
        assert AuditEntry.objects.filter(action="ticket.state_changed", object_id=str(ticket.id)).exists()
        assert AuditEntry.objects.filter(action="ticket.updated", object_id=str(ticket.id)).exists()
    cancelled.refresh_from_db()
    assert cancelled.impact == 2  # its priority change was rolled back with the refused move


def test_a_ticket_that_refuses_part_of_a_bulk_change_keeps_none_of_it(desk):
    agent = desk.actor(desk.agent)
    me = desk.agent
    open_one, closed = desk.raise_incident(), desk.raise_incident()
    ticket_transition(actor=agent, ticket=closed, state=State.CANCELLED)
    outcome = tickets_bulk_update(
        actor=agent, tickets=[open_one, closed], assignee=me, state=State.PENDING, pending_reason="supplier"
    )
    assert outcome.updated == [open_one.reference]
    assert "cannot become pending" in outcome.failed[closed.reference]
    open_one.refresh_from_db()
    closed.refresh_from_db()
    assert open_one.assignee == me and open_one.state == State.PENDING and open_one.pending_reason == "supplier"
    # The assignment it accepted before the state change failed was rolled back with it.
    assert closed.assignee is None and closed.state == State.CANCELLED
    assert not AuditEntry.objects.filter(action="ticket.updated", object_id=str(closed.id)).exists()


def test_bulk_assignment_outside_the_tickets_team_is_reported_not_forced(desk):
    agent = desk.actor(desk.agent)
    ticket = desk.raise_incident()
    outcome = tickets_bulk_update(actor=agent, tickets=[ticket], assignee=desk.apps_resolver)
    assert outcome.updated == [] and "not a member" in outcome.failed[ticket.reference]


def test_bulk_update_of_what_a_supplier_may_not_work_is_refused_per_ticket(desk):
    ticket = desk.raise_incident()
    outcome = tickets_bulk_update(actor=desk.actor(desk.apps_resolver), tickets=[ticket], impact=1, urgency=1)
    assert ticket.reference in outcome.failed
    ticket.refresh_from_db()
    assert ticket.priority != "P1"


def test_bulk_update_needs_tickets_and_something_to_change(desk):
    agent = desk.actor(desk.agent)
    with pytest.raises(ValidationFailed, match="tickets"):
        tickets_bulk_update(actor=agent, tickets=[], state=State.IN_PROGRESS)
    with pytest.raises(ValidationFailed, match="choose what to change"):
        tickets_bulk_update(actor=agent, tickets=[desk.raise_incident()])


def test_a_no_op_is_reported_as_unchanged(desk):
    ticket = desk.raise_incident(impact=2, urgency=2)
    outcome = tickets_bulk_update(actor=actor_of(desk.agent), tickets=[ticket], impact=2, urgency=2)
    assert outcome.unchanged == [ticket.reference] and not outcome.updated and not outcome.failed
