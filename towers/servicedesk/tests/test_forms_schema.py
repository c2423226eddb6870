"""The catalogue's form rules: definitions and answers, by hand-worked cases and by properties over many."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from towers.servicedesk.forms_schema import (
    FIELD_TYPES,
    AnswersInvalid,
    FormDefinitionInvalid,
    Question,
    clean_answers,
    parse_form,
)

FORM = [
    {"name": "reason", "label": "Why", "type": "text", "required": True, "max_length": 20},
    {"name": "details", "label": "Details", "type": "textarea"},
    {"name": "count", "label": "How many", "type": "number", "min": 1, "max": 10, "integer": True},
    {"name": "size", "label": "Size", "type": "choice", "choices": ["S", "M", "L"]},
    {"name": "extras", "label": "Extras", "type": "multi_choice", "choices": ["case", "mouse"]},
    {"name": "when", "label": "When", "type": "date", "min": "2026-01-01", "max": "2026-12-31"},
    {"name": "urgent", "label": "Urgent", "type": "bool"},
    {"name": "contact", "label": "Contact", "type": "email"},
    {"name": "manager", "label": "Manager", "type": "person"},
]


def errors_of(call):
    with pytest.raises(AnswersInvalid) as refused:
        call()
    return refused.value.errors


# Definitions


def test_a_good_definition_parses_and_round_trips():
    questions = parse_form(FORM)
    assert [q.type for q in questions] == [f["type"] for f in FORM]
    assert parse_form([q.as_dict() for q in questions]) == questions


@pytest.mark.parametrize(
    ("question", "where"),
    [
        ({"name": "Size", "label": "Size", "type": "text"}, "form[0].name"),
        ({"name": "size", "label": " ", "type": "text"}, "form[0].label"),
        ({"name": "size", "label": "Size", "type": "colour"}, "form[0].type"),
        ({"name": "size", "label": "Size", "type": "choice"}, "form[0].choices"),
        ({"name": "size", "label": "Size", "type": "choice", "choices": ["S", "S"]}, "form[0].choices"),
        ({"name": "size", "label": "Size", "type": "text", "choices": ["S"]}, "form[0].choices"),
        ({"name": "n", "label": "N", "type": "number", "min": 5, "max": 1}, "form[0].min"),
        ({"name": "n", "label": "N", "type": "number", "min": "one"}, "form[0].min"),
        ({"name": "d", "label": "D", "type": "date", "max": "31/12/2026"}, "form[0].max"),
        ({"name": "t", "label": "T", "type": "text", "min": 1}, "form[0].min"),
        ({"name": "t", "label": "T", "type": "text", "max_length": 0}, "form[0].max_length"),
        ({"name": "t", "label": "T", "type": "bool", "integer": True}, "form[0].integer"),
        ({"name": "t", "label": "T", "type": "text", "colour": "red"}, "form[0].colour"),
        ({"name": "t", "label": "T", "type": "text", "required": "yes"}, "form[0].required"),
        ("a question", "form[0]"),
    ],
)
def test_each_mistake_in_a_definition_is_named_by_its_place(question, where):
    with pytest.raises(FormDefinitionInvalid) as refused:
        parse_form([question])
    assert where in refused.value.errors


def test_two_questions_with_one_name_are_refused_and_so_is_a_form_that_is_not_a_list():
    with pytest.raises(FormDefinitionInvalid) as refused:
        parse_form([{"name": "a", "label": "A", "type": "text"}, {"name": "a", "label": "B", "type": "bool"}])
    assert list(refused.value.errors) == ["form[1].name"]
    with pytest.raises(FormDefinitionInvalid):
        parse_form({"name": "a"})


# Answers


def test_answers_come_back_cleaned_and_typed():
    questions = parse_form(FORM)
    answers = {
        "reason": "  New starter ",
        "details": "Line one\r\nLine two\n",
        "count": "3",
        "size": "M",
        "extras": ["mouse", "case", "mouse"],
        "when": date(2026, 5, 1),
        "contact": "a.person@force.police.uk",
        "manager": "sergeant",
    }
    cleaned = clean_answers(questions, answers, known_people=lambda names: {"sergeant"})
    assert cleaned == {
        "reason": "New starter",
        "details": "Line one\nLine two",
        "count": 3,
        "size": "M",
        "extras": ["mouse", "case"],
        "when": "2026-05-01",
        "urgent": False,
        "contact": "a.person@force.police.uk",
        "manager": "sergeant",
    }


def test_every_wrong_answer_is_named_with_what_is_wrong():
    questions = parse_form(FORM)
    answers = {
        "reason": "x" * 21,
        "count": 2.5,
        "size": "XL",
        "extras": ["case", "hat"],
        "when": "2027-01-01",
        "urgent": "yes",
        "contact": "not an address",
        "manager": "ghost",
        "colour": "red",
    }
    errors = errors_of(lambda: clean_answers(questions, answers, known_people=lambda names: set()))
    assert errors == {
        "reason": ["must be at most 20 characters (it has 21)"],
        "count": ["must be a whole number"],
        "size": ["must be one of: S, M, L"],
        "extras": ["'hat' not among: case, mouse"],
        "when": ["must be on or before 2026-12-31"],
        "urgent": ["must be true or false"],
        "contact": ["must be an email address, like name@example.org"],
        "colour": ["is not a question of this form"],
        "manager": ["nobody has the username 'ghost'"],
    }


def test_people_named_in_answers_are_looked_up_together_in_one_call():
    asked = []

    def known(names):
        asked.append(set(names))
        return {"sergeant"}

    form = [*FORM, {"name": "deputy", "label": "Deputy", "type": "person"}]
    questions = parse_form(form)
    answers = {"reason": "x", "manager": "ghost", "deputy": "sergeant"}
    errors = errors_of(lambda: clean_answers(questions, answers, known_people=known))
    assert errors == {"manager": ["nobody has the username 'ghost'"]} and asked == [{"ghost", "sergeant"}]


@pytest.mark.parametrize("value", ["", "  ", None, []])
def test_a_required_question_left_empty_is_refused(value):
    questions = parse_form(FORM)
    assert errors_of(lambda: clean_answers(questions, {"reason": value})) == {"reason": ["an answer is required"]}


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("0", "must be at least 1"),
        ("11", "must be at most 10"),
        ("nan", "must be a number"),
        (True, "must be a number"),
    ],
)
def test_numbers_are_bounded_and_never_nan_or_booleans(given, problem):
    questions = parse_form(FORM)
    assert errors_of(lambda: clean_answers(questions, {"reason": "x", "count": given})) == {"count": [problem]}


# Properties


names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
labels = st.text(min_size=1, max_size=20).filter(str.strip)
choices = st.lists(
    st.text(min_size=1, max_size=8).filter(str.strip).map(str.strip), min_size=1, max_size=5, unique=True
)


@st.composite
def questions(draw):
    kind = draw(st.sampled_from(FIELD_TYPES))
    raw = {"name": draw(names), "label": draw(labels), "type": kind, "required": draw(st.booleans())}
    if kind in ("choice", "multi_choice"):
        raw["choices"] = draw(choices)
    if kind == "number" and draw(st.booleans()):
        low = draw(st.integers(-1000, 1000))
        raw |= {"min": low, "max": low + draw(st.integers(0, 1000)), "integer": draw(st.booleans())}
    return raw


forms = st.lists(questions(), max_size=8, unique_by=lambda q: q["name"])


@st.composite
def form_and_answers(draw):
    """A valid form and a valid set of answers to it."""
    parsed = parse_form(draw(forms))
    answers = {}
    for q in parsed:
        if not q.required and draw(st.booleans()):
            continue
        answers[q.name] = draw(valid_answer(q))
    return parsed, answers


def valid_answer(q: Question):
    if q.type == "number":
        low = int(q.min) if q.min is not None else -(10**6)
        high = int(q.max) if q.max is not None else 10**6
        return st.integers(low, high)
    if q.type == "choice":
        return st.sampled_from(q.choices)
    if q.type == "multi_choice":
        return st.lists(st.sampled_from(q.choices), min_size=1, unique=True)
    if q.type == "date":
        return st.dates().map(date.isoformat)
    if q.type == "bool":
        return st.booleans()
    if q.type == "email":
        return st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.[a-z]{2,4}", fullmatch=True)
    return st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=50
    ).filter(str.strip)


@given(forms)
def test_any_valid_definition_survives_a_round_trip(raw):
    parsed = parse_form(raw)
    assert parse_form([q.as_dict() for q in parsed]) == parsed


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=20,
    )
)
@settings(max_examples=300)
def test_no_definition_crashes_the_parser(junk):
    try:
        parse_form(junk)
    except FormDefinitionInvalid as refused:
        assert refused.errors and all(isinstance(v, list) and v for v in refused.errors.values())


@given(form_and_answers())
@settings(max_examples=200)
def test_valid_answers_are_accepted_and_cleaning_them_again_changes_nothing(case):
    parsed, answers = case
    cleaned = clean_answers(parsed, answers, known_people=lambda names: set(names))
    assert set(cleaned) <= {q.name for q in parsed}
    assert {q.name for q in parsed if q.required} <= set(cleaned)
    assert clean_answers(parsed, cleaned, known_people=lambda names: set(names)) == cleaned


@given(
    form_and_answers(),
    st.dictionaries(
        names, st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.lists(st.text()), max_size=5
    ),
)
@settings(max_examples=300)
def test_any_answers_are_either_cleaned_or_refused_question_by_question(case, junk):
    parsed, answers = case
    try:
        clean_answers(parsed, answers | junk, known_people=lambda names: set())
    except AnswersInvalid as refused:
        assert set(refused.errors) <= {q.name for q in parsed} | set(junk)


@given(st.integers(-(10**6), 10**6), st.integers(0, 100), st.integers(-(10**7), 10**7))
def test_a_number_is_accepted_exactly_when_it_lies_within_its_bounds(low, span, value):
    (question,) = parse_form([{"name": "n", "label": "N", "type": "number", "min": low, "max": low + span}])
    inside = low <= value <= low + span
    try:
        assert clean_answers([question], {"n": value}) == {"n": value} and inside
    except AnswersInvalid as refused:
        assert not inside and list(refused.errors) == ["n"]
