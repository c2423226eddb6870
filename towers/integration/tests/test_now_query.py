"""ServiceNow encoded queries (`sysparm_query`) read into conditions, with ServiceNow's precedence."""

import pytest

from towers.integration.now_query import Condition, QueryError, parse_condition, parse_encoded_query


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("active=true", Condition("active", "=", "true")),
        ("priority!=1", Condition("priority", "!=", "1")),
        ("short_descriptionLIKEdisk full", Condition("short_description", "LIKE", "disk full")),
        ("short_descriptionNOT LIKEprinter", Condition("short_description", "NOT LIKE", "printer")),
        ("numberSTARTSWITHINC", Condition("number", "STARTSWITH", "INC")),
        ("numberENDSWITH42", Condition("number", "ENDSWITH", "42")),
        ("stateIN1,2,3", Condition("state", "IN", "1,2,3")),
        ("stateNOT IN6,7", Condition("state", "NOT IN", "6,7")),
        ("priority<=2", Condition("priority", "<=", "2")),
        ("priority>=3", Condition("priority", ">=", "3")),
        ("sys_created_on<2026-11-01 00:00:00", Condition("sys_created_on", "<", "2026-11-01 00:00:00")),
        ("impact>1", Condition("impact", ">", "1")),
        ("assigned_toISEMPTY", Condition("assigned_to", "ISEMPTY")),
        ("assignment_groupISNOTEMPTY", Condition("assignment_group", "ISNOTEMPTY")),
        ("caller_id.name=Jo Bridge", Condition("caller_id.name", "=", "Jo Bridge")),
        ("description=a=b", Condition("description", "=", "a=b")),
    ],
)
def test_each_operator_splits_field_and_value(term, expected):
    assert parse_condition(term) == expected


def test_in_lists_give_their_items():
    assert parse_condition("stateIN1,2,,3").values == ["1", "2", "3"]
    assert parse_condition("state=1,2").values == ["1,2"]


def test_or_binds_tighter_than_and_and_nq_starts_a_new_or_ed_group():
    query = parse_encoded_query("active=true^priority=1^ORpriority=2^NQstate=6^EQ")
    assert query.groups == [
        [[Condition("active", "=", "true")], [Condition("priority", "=", "1"), Condition("priority", "=", "2")]],
        [[Condition("state", "=", "6")]],
    ]


def test_order_terms_are_collected_wherever_they_stand():
    query = parse_encoded_query("ORDERBYDESCsys_created_on^active=true^ORDERBYnumber")
    assert query.order_by == [("sys_created_on", True), ("number", False)]
    assert query.groups == [[[Condition("active", "=", "true")]]]
    assert query.fields == {"active", "sys_created_on", "number"}


def test_an_empty_query_matches_everything():
    assert parse_encoded_query("").groups == [] and parse_encoded_query("^EQ").groups == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("active", "no operator"),
        ("=true", "field name"),
        ("^ORactive=true", "needs a condition before it"),
        ("assigned_toISEMPTYyes", "takes no value"),
    ],
)
def test_a_query_that_cannot_be_read_names_the_term(text, words):
    with pytest.raises(QueryError, match=words):
        parse_encoded_query(text)
