"""Encoded queries as filters over tickets: ServiceNow's values read as Towers stores them."""

import pytest

from towers.core.actor import Actor
from towers.integration.now_columns import order_fields, query_q
from towers.integration.now_query import QueryError, parse_encoded_query
from towers.integration.now_tables import TASK_COLUMNS
from towers.servicedesk.models import State, Ticket
from towers.servicedesk.services.tickets import ticket_transition
from towers.servicedesk.tests.factories import build_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(estate):
    desk = build_desk(estate)
    made = {
        "disk": desk.raise_incident(title="Disk full on CRIMEDB", impact=1, urgency=1),
        "printer": desk.raise_incident(title="Printer jammed", impact=3, urgency=3),
        "slow": desk.raise_incident(title="Crime system slow", impact=2, urgency=2),
    }
    ticket_transition(
        actor=Actor.system("tests"), ticket=made["printer"], state=State.RESOLVED, resolution_code="fixed"
    )
    return {name: Ticket.objects.get(pk=t.pk) for name, t in made.items()}


def titles(text):
    query = parse_encoded_query(text)
    return sorted(t.title for t in Ticket.objects.filter(query_q(query, TASK_COLUMNS)).distinct())


def test_like_startswith_and_case_insensitive_text(tickets):
    assert titles("short_descriptionLIKEcrime") == ["Crime system slow", "Disk full on CRIMEDB"]
    assert titles("short_descriptionNOT LIKEcrime") == ["Printer jammed"]
    assert titles("short_descriptionSTARTSWITHdisk") == ["Disk full on CRIMEDB"]
    assert titles("short_descriptionENDSWITHSLOW") == ["Crime system slow"]


def test_states_priorities_and_comparisons_read_servicenows_values(tickets):
    assert titles("state=6") == ["Printer jammed"]
    assert titles("stateIN1,2") == ["Crime system slow", "Disk full on CRIMEDB"]
    assert titles("stateNOT IN6,7,8") == ["Crime system slow", "Disk full on CRIMEDB"]
    assert titles("priority=1") == ["Disk full on CRIMEDB"]
    assert titles("priority<=3") == ["Crime system slow", "Disk full on CRIMEDB"]
    assert titles("impact>1") == ["Crime system slow", "Printer jammed"]
    assert titles("active=true") == ["Crime system slow", "Disk full on CRIMEDB"]
    assert titles("active=false") == ["Printer jammed"]


def test_and_or_and_new_query_combine_as_servicenow_does(tickets):
    assert titles("active=true^priority=1^ORpriority=4") == ["Disk full on CRIMEDB"]
    assert titles("priority=1^NQstate=6") == ["Disk full on CRIMEDB", "Printer jammed"]


def test_references_by_sys_id_numbers_and_emptiness(tickets):
    disk = tickets["disk"]
    assert titles(f"sys_id={disk.pk.hex}") == ["Disk full on CRIMEDB"]
    assert titles(f"number={disk.reference.lower()}") == ["Disk full on CRIMEDB"]
    assert titles("assigned_toISEMPTY") == ["Crime system slow", "Disk full on CRIMEDB", "Printer jammed"]
    assert titles("close_codeISNOTEMPTY") == ["Printer jammed"]
    assert titles(f"assignment_group={disk.team_id.hex}") == titles(f"assignment_group.name={disk.team.name}")


def test_ordering_follows_orderby_terms(tickets):
    query = parse_encoded_query("ORDERBYDESCpriority^ORDERBYnumber")
    assert order_fields(query, TASK_COLUMNS) == ["-priority", "reference"]
    ordered = Ticket.objects.filter(query_q(query, TASK_COLUMNS)).order_by(*order_fields(query, TASK_COLUMNS))
    assert [t.priority for t in ordered] == sorted((t.priority for t in tickets.values()), reverse=True)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("colour=red", "colour: no such field"),
        ("state=4", "'4' is not one of"),
        ("priority=9", "not a priority"),
        ("sys_id=xyz", "not a sys_id"),
        ("opened_at>yesterday", "not a date"),
        ("state<3", "compared with = or IN"),
        ("active<true", "compared with = or != true/false"),
        ("ORDERBYcolour", "no such field"),
    ],
)
def test_a_query_on_what_the_table_does_not_have_is_refused_by_name(tickets, text, words):
    with pytest.raises(QueryError, match=words):
        query = parse_encoded_query(text)
        query_q(query, TASK_COLUMNS)
        order_fields(query, TASK_COLUMNS)
