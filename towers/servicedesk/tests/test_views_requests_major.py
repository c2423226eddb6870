"""The request and major incident pages, driven through Django's test client."""

from datetime import timedelta

import pytest
from django.urls import reverse

from towers.core.models import AuditEntry
from towers.organisations.tests.factories import sign_in
from towers.servicedesk.models import MajorIncident, State, Ticket
from towers.servicedesk.services.requests import request_approval_decide, request_submit
from towers.servicedesk.tests.catalogue_factories import (
    build_catalogue,
    declared_major,
    foreign_item,
    foreign_major,
    laptop_item,
    p1_incident,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cat(desk):
    return build_catalogue(desk)


def submit(cat):
    return request_submit(actor=cat.desk.actor(cat.desk.requester), item=cat.item, answers=cat.answers())


def approve_all(cat, request):
    for person in (cat.line_manager, cat.budget_holder):
        approval = request.approvals.get(approver=person)
        request_approval_decide(actor=cat.desk.actor(person), approval=approval, approve=True)


def text(response):
    return response.content.decode()


def assert_constant_queries(client, url, grow, django_assert_max_num_queries):
    """The page costs no more queries with many rows than with one (no query per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    grow()
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200


# The catalogue and the request form


def test_the_catalogue_lists_what_the_actor_may_ask_for_and_hides_other_suppliers_items(client, cat):
    apps_item = foreign_item(cat.desk.estate)
    sign_in(client, cat.desk.requester)
    page = text(client.get(reverse("request_catalogue")))
    assert "Laptop" in page and apps_item.name in page  # the authority sees every service
    sign_in(client, cat.desk.estate.network_admin, cat.desk.estate.network)
    page = text(client.get(reverse("request_catalogue")))
    assert apps_item.name not in page
    assert client.get(reverse("catalogue_item", args=[apps_item.code])).status_code == 404
    assert client.post(reverse("catalogue_item", args=[apps_item.code]), {}).status_code == 404
    assert not Ticket.objects.exists()


def test_the_catalogue_page_costs_the_same_queries_for_many_items(client, desk, django_assert_max_num_queries):
    laptop_item(desk)
    sign_in(client, desk.requester)

    def more():
        for n in range(8):
            laptop_item(desk, code=f"item-{n}", name=f"Item {n}", form=[], approvals=[], tasks=[])

    assert_constant_queries(client, reverse("request_catalogue"), more, django_assert_max_num_queries)


def test_the_request_form_has_an_input_of_each_questions_type_and_shows_wrong_answers_beside_them(client, cat):
    sign_in(client, cat.desk.requester)
    url = reverse("catalogue_item", args=[cat.item.code])
    page = text(client.get(url))
    assert 'type="number"' in page and 'min="1"' in page and 'max="5"' in page and 'type="date"' in page
    assert 'name="requester"' not in page  # a requester asks for themselves
    assert "line manager, then your budget holder" in page
    wrong = client.post(url, {"answer_model": "13-inch", "answer_quantity": "9", "answer_budget_holder": "nobody"})
    assert wrong.status_code == 200
    assert "must be at most 5" in text(wrong) and "nobody has the username" in text(wrong)
    assert not Ticket.objects.exists()
    answers = {"answer_model": "15-inch", "answer_quantity": "2", "answer_budget_holder": cat.budget_holder.username}
    made = client.post(url, answers)
    request = Ticket.objects.get(kind="request")
    assert made.status_code == 302 and made.url == reverse("request_detail", args=[request.pk])
    assert request.answers["quantity"] == 2 and request.requester == cat.desk.requester


def test_the_desk_asks_on_someones_behalf(client, cat):
    sign_in(client, cat.desk.agent)
    url = reverse("catalogue_item", args=[cat.item.code])
    assert 'name="requester"' in text(client.get(url))
    answers = {"answer_model": "13-inch", "answer_quantity": "1", "answer_budget_holder": cat.budget_holder.username}
    wrong = client.post(url, answers | {"requester": "nobody"})
    assert wrong.status_code == 200 and "nobody you may see" in text(wrong)
    client.post(url, answers | {"requester": cat.desk.requester.username})
    assert Ticket.objects.get(kind="request").requester == cat.desk.requester


# Approvals and the request page


def test_the_approver_approves_from_their_inbox_in_turn(client, cat):
    request = submit(cat)
    sign_in(client, cat.budget_holder)
    assert "Nothing is waiting" in text(client.get(reverse("approval_inbox")))
    sign_in(client, cat.line_manager)
    inbox = text(client.get(reverse("approval_inbox")))
    assert request.reference in inbox and "line manager" in inbox and "How many: 1" in inbox
    first = request.approvals.get(step=1)
    refused = client.post(reverse("request_approval_decide", args=[first.pk]), {"decision": "rejected"}, follow=True)
    assert "say why the request is rejected" in text(refused)
    first.refresh_from_db()
    assert first.status == "requested"
    done = client.post(
        reverse("request_approval_decide", args=[first.pk]), {"decision": "approved", "next": "/approvals/"}
    )
    assert done.status_code == 302 and done.url == "/approvals/"
    first.refresh_from_db()
    assert first.status == "approved"


def test_the_request_page_shows_answers_approvals_and_tasks_with_their_clocks_to_the_desk(client, cat):
    request = submit(cat)
    approve_all(cat, request)
    sign_in(client, cat.desk.agent)
    page = text(client.get(reverse("request_detail", args=[request.pk])))
    task = request.children.get()
    assert "Set up an account" in page and task.reference in page and "Build the laptop" in page
    assert "Waiting for the task before it" in page
    assert "RESPONSE" in page or "SLA" in page  # the task's clocks
    assert "sergeant" in page and "Approved" in page
    sign_in(client, cat.desk.requester)
    mine = text(client.get(reverse("request_detail", args=[request.pk])))
    assert task.title in mine and "SLA ·" not in mine
    assert "Withdraw the request" in mine


def test_another_supplier_gets_404_for_requests_and_approvals_and_changes_nothing(client, cat):
    request = submit(cat)
    approval = request.approvals.get(step=1)
    sign_in(client, cat.desk.estate.network_admin, cat.desk.estate.network)
    audit = AuditEntry.objects.count()
    assert client.get(reverse("request_detail", args=[request.pk])).status_code == 404
    assert (
        client.post(reverse("request_approval_decide", args=[approval.pk]), {"decision": "approved"}).status_code == 404
    )
    assert client.post(reverse("request_withdraw", args=[request.pk]), {"reason": "x"}).status_code == 404
    assert AuditEntry.objects.count() == audit
    assert reverse("request_detail", args=[request.pk]) not in text(client.get(reverse("request_list")))


def test_the_requester_withdraws_from_the_request_page(client, cat):
    request = submit(cat)
    sign_in(client, cat.desk.requester)
    url = reverse("request_withdraw", args=[request.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    assert client.post(url, {"reason": "Found one"}).status_code == 302
    assert Ticket.objects.get(pk=request.pk).state == State.CANCELLED


def test_request_list_and_approvals_inbox_cost_the_same_queries_for_many_rows(
    client, cat, django_assert_max_num_queries
):
    submit(cat)
    sign_in(client, cat.desk.agent)

    def more():
        for _ in range(6):
            submit(cat)

    assert_constant_queries(client, reverse("request_list"), more, django_assert_max_num_queries)
    sign_in(client, cat.line_manager)
    assert_constant_queries(client, reverse("approval_inbox"), more, django_assert_max_num_queries)


# Major incidents


def test_the_board_shows_when_each_update_is_due_and_is_not_for_requesters(client, desk, django_assert_max_num_queries):
    major = declared_major(desk)
    MajorIncident.objects.filter(pk=major.pk).update(next_update_due=major.next_update_due - timedelta(hours=1))
    sign_in(client, desk.agent)
    board = text(client.get(reverse("major_board")))
    assert major.ticket.reference in board and "Overdue" in board
    assert_constant_queries(
        client, reverse("major_board"), lambda: [declared_major(desk) for _ in range(4)], django_assert_max_num_queries
    )
    sign_in(client, desk.requester)
    assert client.get(reverse("major_board")).status_code == 403


def test_the_desk_declares_a_major_from_its_ticket_and_runs_it_from_its_page(client, desk):
    sign_in(client, desk.agent)
    p3 = desk.raise_incident()
    refused = client.post(reverse("major_declare", args=[p3.reference]), {"bridge": "Bridge 1"})
    assert refused.status_code == 200 and "only a P1 incident" in text(refused)
    incident = p1_incident(desk)
    form = {
        "bridge": "Teams: MI bridge",
        "manager": str(desk.agent.pk),
        "stakeholders": "chief@force.test, ops@force.test",
    }
    declared = client.post(reverse("major_declare", args=[incident.reference]), form)
    major = MajorIncident.objects.get(ticket=incident)
    assert declared.status_code == 302 and declared.url == reverse("major_detail", args=[major.pk])
    assert major.stakeholders == ["chief@force.test", "ops@force.test"]
    page = text(client.get(declared.url))
    assert "Teams: MI bridge" in page and "Next stakeholder update due in" in page and 'hx-trigger="every 60s"' in page
    client.post(reverse("major_update", args=[major.pk]), {"body": "Failing over to the standby"})
    assert major.updates.get().body == "Failing over to the standby"
    client.post(reverse("major_resolve", args=[major.pk]), {"summary": "Failed over", "resolution_code": "fixed"})
    major.refresh_from_db()
    assert major.status == "resolved"
    review = {"review": "Standby not monitored", "action_0": "", "action_1": "Find the cause", "becomes_1": "problem"}
    client.post(reverse("major_review", args=[major.pk]), review)
    major.refresh_from_db()
    assert major.status == "reviewed"
    (action,) = major.actions.all()
    assert action.ticket.kind == "problem" and action.ticket.reference in text(client.get(declared.url))


def test_a_blank_update_is_shown_as_an_error_on_the_page(client, desk):
    major = declared_major(desk)
    sign_in(client, desk.agent)
    response = client.post(reverse("major_update", args=[major.pk]), {"body": ""})
    assert response.status_code == 200 and "field-error" in text(response)
    assert not major.updates.exists()


def test_another_supplier_gets_404_for_a_major_incident_and_writes_nothing(client, desk):
    major = foreign_major(desk.estate)
    sign_in(client, desk.estate.network_admin, desk.estate.network)
    audit = AuditEntry.objects.count()
    assert client.get(reverse("major_detail", args=[major.pk])).status_code == 404
    for name in ("major_update", "major_resolve", "major_review"):
        assert (
            client.post(reverse(name, args=[major.pk]), {"body": "x", "summary": "x", "review": "x"}).status_code == 404
        )
    assert client.post(reverse("major_declare", args=[major.ticket.reference]), {"bridge": "x"}).status_code == 404
    assert AuditEntry.objects.count() == audit and not major.updates.exists()
