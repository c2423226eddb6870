import pytest

from towers.core import events
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry, OutboxEvent
from towers.organisations.tests.factories import person_with_roles
from towers.servicedesk.models import Approval, HandOff, State, Ticket, TicketEvent
from towers.servicedesk.models.catalogue import FulfilmentStep
from towers.servicedesk.selectors_requests import approvals_waiting, request_get, request_view
from towers.servicedesk.services.catalogue import catalog_item_create, catalog_item_update
from towers.servicedesk.services.requests import (
    request_approval_decide,
    request_submit,
    request_withdraw,
    team_lead_of,
)
from towers.servicedesk.services.tickets import ticket_transition
from towers.servicedesk.tests.catalogue_factories import build_catalogue, deliver_fulfilment, laptop_item


@pytest.fixture
def cat(desk):
    return build_catalogue(desk)


def submit(cat, **answers):
    return request_submit(actor=cat.desk.actor(cat.desk.requester), item=cat.item, answers=cat.answers(**answers))


def approve_all(cat, request):
    for person in (cat.line_manager, cat.budget_holder):
        approval = request.approvals.get(approver=person)
        request_approval_decide(actor=cat.desk.actor(person), approval=approval, approve=True)
    request.refresh_from_db()


def resolve(desk, task):
    ticket_transition(actor=desk.actor(desk.agent), ticket=task, state="resolved", resolution_code="fixed")


# The catalogue


def test_an_item_definition_is_refused_with_every_problem_named_by_its_place(desk):
    admin = desk.actor(desk.estate.integrator_admin)
    with pytest.raises(ValidationFailed) as refused:
        catalog_item_create(
            actor=admin,
            code="bad",
            name="Bad",
            service=desk.service,
            form=[{"name": "size", "label": "Size", "type": "colour"}],
            approvals=["budget_holder"],
            tasks=[{"title": "Do it", "team": "not-a-team", "after": 0}],
        )
    assert set(refused.value.fields) == {"form[0].type", "approvals[0]", "tasks[0].team", "tasks[0].after"}
    assert not AuditEntry.objects.filter(action="catalog_item.created").exists()


def test_only_the_desks_administrators_configure_the_catalogue_and_each_change_is_audited(desk):
    with pytest.raises(Forbidden):
        catalog_item_create(actor=desk.actor(desk.agent), code="x", name="X", service=desk.service)
    with pytest.raises(Forbidden):
        catalog_item_create(actor=desk.actor(desk.estate.applications_admin), code="x", name="X", service=desk.service)
    item = laptop_item(desk)
    catalog_item_update(actor=desk.actor(desk.estate.authority_admin), item=item, changes={"name": "Laptop (standard)"})
    actions = list(AuditEntry.objects.filter(object_id=str(item.id)).values_list("action", flat=True))
    assert actions == ["catalog_item.created", "catalog_item.updated"]
    assert item.approvals == [{"role": "line_manager"}, {"role": "budget_holder", "field": "budget_holder"}]


# Submitting


def test_answers_are_checked_against_the_form_and_nothing_is_raised_when_they_are_wrong(cat):
    before = Ticket.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        submit(cat, model="17-inch", quantity=9, budget_holder="nobody.here", extra="x")
    assert set(refused.value.fields) == {"answers.model", "answers.quantity", "answers.budget_holder", "answers.extra"}
    assert Ticket.objects.count() == before


def test_a_request_waits_for_its_approvers_in_order_the_line_manager_being_the_team_lead(cat):
    request = submit(cat, quantity="2")
    assert request.reference.startswith("REQ") and request.kind == "request"
    assert (request.state, request.pending_reason) == (State.PENDING, "approval")
    assert request.answers == {"model": "13-inch", "quantity": 2, "budget_holder": "inspector"}
    approvals = list(request.approvals.order_by("step").values_list("role", "step", "approver__username"))
    assert approvals == [("line_manager", 1, "sergeant"), ("budget_holder", 2, "inspector")]
    asked = [e.payload["person_id"] for e in OutboxEvent.objects.filter(name="servicedesk.approval.requested")]
    assert asked == [str(cat.line_manager.id)]
    assert [a.ticket_id for a in approvals_waiting(actor=cat.desk.actor(cat.line_manager))] == [request.id]
    assert not approvals_waiting(actor=cat.desk.actor(cat.budget_holder)).exists()
    assert AuditEntry.objects.filter(action="request.submitted", object_id=str(request.id)).exists()
    assert list(FulfilmentStep.objects.filter(request=request).values_list("index", "after")) == [(0, None), (1, 0)]


def test_a_named_line_manager_in_the_answers_wins_over_the_team_lead(desk):
    cat = build_catalogue(desk)
    form = [*cat.item.form, {"name": "line_manager", "label": "Line manager", "type": "person"}]
    catalog_item_update(actor=desk.actor(desk.estate.integrator_admin), item=cat.item, changes={"form": form})
    other = person_with_roles(desk.estate.authority, "requester", username="other.manager")
    request = submit(cat, line_manager=other.username)
    assert request.approvals.get(step=1).approver == other


def test_without_a_line_manager_the_request_is_refused_naming_what_is_missing(desk):
    cat = build_catalogue(desk)
    cat.officers.members.filter(person=cat.line_manager).delete()
    assert team_lead_of(desk.requester) is None
    with pytest.raises(ValidationFailed, match="line manager"):
        submit(cat)


def test_a_requester_cannot_approve_their_own_request(cat):
    with pytest.raises(ValidationFailed, match="cannot approve their own"):
        submit(cat, budget_holder=cat.desk.requester.username)


def test_a_requester_asks_only_for_themselves_but_the_desk_asks_on_their_behalf(cat):
    colleague = person_with_roles(cat.desk.estate.authority, "requester", username="colleague")
    with pytest.raises(Forbidden):
        request_submit(
            actor=cat.desk.actor(cat.desk.requester), item=cat.item, answers=cat.answers(), requester=colleague
        )
    for_them = request_submit(
        actor=cat.desk.actor(cat.desk.agent), item=cat.item, answers=cat.answers(), requester=cat.desk.requester
    )
    assert for_them.requester == cat.desk.requester
    assert request_get(actor=cat.desk.actor(cat.desk.requester), id=for_them.id) == for_them


# Approving


def test_only_the_named_approver_decides_and_only_when_their_step_has_come(cat):
    request = submit(cat)
    second = request.approvals.get(step=2)
    with pytest.raises(ValidationFailed, match="before this one"):
        request_approval_decide(actor=cat.desk.actor(cat.budget_holder), approval=second, approve=True)
    with pytest.raises(Forbidden):
        request_approval_decide(
            actor=cat.desk.actor(cat.desk.agent), approval=request.approvals.get(step=1), approve=True
        )
    first = request.approvals.get(step=1)
    request_approval_decide(actor=cat.desk.actor(cat.line_manager), approval=first, approve=True, comment="Fine")
    assert first.status == Approval.Status.APPROVED and first.decided_by == "sergeant"
    assert AuditEntry.objects.filter(action="approval.approved", object_id=str(first.id)).exists()
    asked = [e.payload["person_id"] for e in OutboxEvent.objects.filter(name="servicedesk.approval.requested")]
    assert asked == [str(cat.line_manager.id), str(cat.budget_holder.id)]
    request.refresh_from_db()
    assert request.state == State.PENDING and not request.children.exists()


def test_a_line_manager_who_only_raises_tickets_still_sees_the_request_put_to_them(cat):
    request = submit(cat)
    manager = cat.desk.actor(cat.line_manager)
    assert request_get(actor=manager, id=request.id) == request
    bystander = person_with_roles(cat.desk.estate.authority, "requester", username="bystander")
    with pytest.raises(NotFound):
        request_get(actor=cat.desk.actor(bystander), id=request.id)


def test_rejection_cancels_the_request_with_the_reason_on_its_public_timeline(cat):
    request = submit(cat)
    first = request.approvals.get(step=1)
    with pytest.raises(ValidationFailed, match="comment"):
        request_approval_decide(actor=cat.desk.actor(cat.line_manager), approval=first, approve=False)
    request_approval_decide(
        actor=cat.desk.actor(cat.line_manager), approval=first, approve=False, comment="Use the pool laptop"
    )
    request.refresh_from_db()
    assert request.state == State.CANCELLED
    assert request.approvals.get(step=2).status == Approval.Status.CANCELLED
    public = TicketEvent.objects.filter(ticket=request, public=True).values_list("body", flat=True)
    assert "Rejected by sergeant (line manager): Use the pool laptop" in public
    assert OutboxEvent.objects.filter(
        name="servicedesk.request.rejected", payload__reason="Use the pool laptop"
    ).exists()
    assert not request.children.exists()


# Fulfilling


def test_approval_raises_the_first_tasks_each_routed_and_clocked_and_handed_off_across_suppliers(cat):
    desk = cat.desk
    request = submit(cat)
    approve_all(cat, request)
    assert request.state == State.IN_PROGRESS
    (account,) = request.children.all()
    assert account.kind == "task" and account.reference.startswith("TSK") and account.parent == request
    assert account.team == desk.second_desk_team and account.requester is None
    assert {c.metric for c in account.clocks.all()} == {"response", "resolution"}
    resolve(desk, account)
    deliver_fulfilment()
    build = request.children.exclude(pk=account.pk).get()
    assert build.team == desk.apps_team and build.answers == {"model": "13-inch"}
    handoff = HandOff.objects.get(ticket=build)
    assert handoff.to_organisation == desk.estate.applications and build.crossed_suppliers
    assert build.clocks.filter(handoff=handoff, kind="ola").exists()
    request.refresh_from_db()
    assert request.state == State.IN_PROGRESS
    resolve(desk, build)
    deliver_fulfilment()
    request.refresh_from_db()
    assert request.state == State.RESOLVED and build.reference in request.resolution_notes
    deliver_fulfilment()  # events come at least once: handling them all again changes nothing
    assert request.children.count() == 2 and Ticket.objects.get(pk=request.pk).state == State.RESOLVED


def test_the_worker_delivers_the_roll_up_through_the_outbox(cat):
    request = submit(cat)
    approve_all(cat, request)
    resolve(cat.desk, request.children.get())
    events.deliver_all_pending()
    assert request.children.count() == 2


def test_a_cancelled_task_holds_back_the_tasks_waiting_for_it_and_leaves_the_request_to_the_desk(cat):
    request = submit(cat)
    approve_all(cat, request)
    ticket_transition(actor=cat.desk.actor(cat.desk.agent), ticket=request.children.get(), state="cancelled")
    deliver_fulfilment()
    request.refresh_from_db()
    assert request.state == State.IN_PROGRESS and request.children.count() == 1
    assert FulfilmentStep.objects.get(request=request, index=1).skipped
    assert TicketEvent.objects.filter(ticket=request, body__contains="will not be raised").exists()


def test_a_request_without_approvals_goes_straight_to_its_tasks_and_one_without_tasks_stays_with_the_desk(desk):
    plain = laptop_item(desk, code="mouse", name="Mouse", form=[], approvals=[], tasks=[])
    requester = desk.actor(desk.requester)
    mouse = request_submit(actor=requester, item=plain, answers={})
    assert mouse.state == State.ASSIGNED and mouse.team == desk.estate.integrator_team
    assert TicketEvent.objects.filter(ticket=mouse, body__contains="service desk fulfils").exists()
    tasks = [{"title": "Post it", "team": str(desk.second_desk_team.id)}]
    direct = laptop_item(desk, code="cable", name="Cable", form=[], approvals=[], tasks=tasks)
    cable = request_submit(actor=requester, item=direct, answers={})
    assert cable.state == State.IN_PROGRESS and cable.children.get().title == "Post it"


def test_editing_an_item_leaves_requests_in_flight_with_the_plan_they_were_raised_with(cat):
    request = submit(cat)
    catalog_item_update(
        actor=cat.desk.actor(cat.desk.estate.integrator_admin),
        item=cat.item,
        changes={"tasks": [{"title": "Something else", "team": str(cat.desk.apps_team.id)}]},
    )
    approve_all(cat, request)
    assert request.children.get().title == "Set up an account"


def test_withdrawing_cancels_the_request_its_approvals_and_open_tasks(cat):
    request = submit(cat)
    with pytest.raises(ValidationFailed, match="reason"):
        request_withdraw(actor=cat.desk.actor(cat.desk.requester), request=request, reason=" ")
    request_withdraw(actor=cat.desk.actor(cat.desk.requester), request=request, reason="Not needed")
    assert request.state == State.CANCELLED
    assert set(request.approvals.values_list("status", flat=True)) == {Approval.Status.CANCELLED}
    with pytest.raises(ValidationFailed):
        request_withdraw(actor=cat.desk.actor(cat.desk.requester), request=request, reason="again")


def test_the_desk_cancelling_a_request_cancels_its_open_tasks(cat):
    request = submit(cat)
    approve_all(cat, request)
    ticket_transition(actor=cat.desk.actor(cat.desk.agent), ticket=request, state="cancelled", note="Duplicate")
    deliver_fulfilment()
    assert request.children.get().state == State.CANCELLED
    assert FulfilmentStep.objects.get(request=request, index=1).skipped


def test_the_request_view_shows_answers_approvals_plan_and_only_tasks_the_actor_may_see(cat):
    request = submit(cat)
    approve_all(cat, request)
    resolve(cat.desk, request.children.get())
    deliver_fulfilment()
    view = request_view(actor=cat.desk.actor(cat.desk.agent), request=request)
    assert [q.name for q, _answer in view.answered] == ["model", "quantity", "budget_holder"]
    assert [a.status for a in view.approvals] == ["approved", "approved"]
    assert len(view.tasks) == 2 and all(t.clocks.all() for t in view.tasks)
    apps = request_view(actor=cat.desk.actor(cat.desk.apps_resolver), request=request)
    assert [t.team for t in apps.tasks] == [cat.desk.apps_team]
