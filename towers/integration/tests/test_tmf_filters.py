"""The pure readers behind TMF621: TMF630 list parameters, and JSON Patch read as a merge patch."""

from datetime import UTC, datetime

import pytest

from towers.core.errors import ValidationFailed
from towers.integration.tmf_filters import MAX_LIMIT, Filter, QueryError, parse_list_query
from towers.integration.tmf_patch import merge_patch_of


def test_attribute_filters_take_alternatives_and_dates_take_comparisons():
    query = parse_list_query([("status", "acknowledged,inProgress"), ("creationDate.gte", "2026-01-31T09:00:00Z")])
    assert query.filters == (
        Filter("status", "eq", ("acknowledged", "inProgress")),
        Filter("creationDate", "gte", moment=datetime(2026, 1, 31, 9, tzinfo=UTC)),
    )
    assert (query.offset, query.limit, query.fields, query.sort) == (0, 100, None, ())


def test_paging_fields_and_sort_are_read_and_the_limit_is_capped():
    query = parse_list_query([("offset", "20"), ("limit", "5000"), ("fields", "name, status"), ("sort", "-lastUpdate")])
    assert (query.offset, query.limit) == (20, MAX_LIMIT)
    assert (query.fields, query.sort) == (("name", "status"), ("-lastUpdate",))


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ([("colour", "red"), ("size", "1")], "does not filter trouble tickets on colour, size"),
        ([("name.gt", "a")], "does not filter trouble tickets on name.gt"),
        ([("creationDate", "2026-01-31T09:00:00")], "needs a time zone"),
        ([("status", ",")], "status: give a value"),
        ([("after", "cursor")], "after: not supported"),
        ([("limit", "-1")], "limit must not be negative"),
    ],
)
def test_what_cannot_be_read_is_named(params, words):
    with pytest.raises(QueryError, match=words):
        parse_list_query(params)


TICKET = {"name": "Slow", "severity": "Minor", "note": [{"id": "1", "text": "a"}]}


def test_json_patch_operations_become_the_changed_attributes():
    operations = [
        {"op": "test", "path": "/name", "value": "Slow"},
        {"op": "replace", "path": "/severity", "value": "Major"},
        {"op": "add", "path": "/note/-", "value": {"text": "b"}},
        {"op": "remove", "path": "/name"},
    ]
    assert merge_patch_of(TICKET, operations) == {
        "severity": "Major",
        "note": [{"id": "1", "text": "a"}, {"text": "b"}],
        "name": None,
    }
    assert TICKET["note"] == [{"id": "1", "text": "a"}]  # the caller's copy is left alone


@pytest.mark.parametrize(
    "operations",
    [
        {"op": "add"},
        [{"op": "move", "path": "/name", "from": "/x"}],
        [{"op": "replace", "path": "name", "value": "x"}],
        [{"op": "test", "path": "/name", "value": "Fast"}],
        [{"op": "replace", "path": "/note/7", "value": {}}],
        [{"op": "add", "path": "/severity"}],
    ],
)
def test_bad_json_patches_are_refused(operations):
    with pytest.raises(ValidationFailed):
        merge_patch_of(TICKET, operations)
