"""A catalogue item's form: check its definition, then check a requester's answers against it.

Pure (no Django): plain JSON in, plain JSON out, so the same rules serve the portal form, the API and
imports, and can be tested exhaustively. A definition is a list of questions:

    {"name": "size", "label": "Screen size", "type": "choice", "required": true, "choices": ["13", "15"]}

Types: text, textarea, number (optional min, max, integer), choice and multi_choice (choices),
date (ISO yyyy-mm-dd, optional min and max dates), bool, email, person (a username). Answers come back
cleaned (stripped, numbers as numbers, dates as ISO strings, unknown names refused) and every problem is
reported under the question's name, so a form can show it beside the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

FIELD_TYPES = ("text", "textarea", "number", "choice", "multi_choice", "date", "bool", "email", "person")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is the mail server's business.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
MAX_LENGTH = {"text": 1000, "textarea": 20000, "email": 254, "person": 150}
KEYS = {"name", "label", "type", "required", "help", "choices", "min", "max", "integer", "max_length"}
Answer = str | int | float | bool | list[str] | None
Errors = dict[str, list[str]]


class FormDefinitionInvalid(ValueError):
    """The definition itself is wrong; `errors` is keyed by the question's position, e.g. "form[2].choices"."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class AnswersInvalid(ValueError):
    """Some answers are wrong; `errors` is keyed by question name."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Question:
    name: str
    label: str
    type: str
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    min: float | str | None = None
    max: float | str | None = None
    integer: bool = False
    max_length: int | None = None

    @property
    def length_limit(self) -> int:
        return self.max_length or MAX_LENGTH.get(self.type, 1000)

    def as_dict(self) -> dict[str, Any]:
        """The question as stored: only what differs from the defaults."""
        out: dict[str, Any] = {"name": self.name, "label": self.label, "type": self.type, "required": self.required}
        optional = {"help": self.help, "choices": list(self.choices), "min": self.min, "max": self.max}
        optional |= {"integer": self.integer, "max_length": self.max_length}
        # Compared by kind, not equality: a minimum of 0 equals False but is no default.
        return out | {k: v for k, v in optional.items() if v is not None and v is not False and v not in ("", [])}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _iso_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _check_bounds(raw: Mapping[str, Any], kind: str, problems: Errors, where: str) -> tuple[Any, Any]:
    low, high = raw.get("min"), raw.get("max")
    if low is None and high is None:
        return None, None
    if kind == "number":
        for key, value in (("min", low), ("max", high)):
            if value is not None and not _is_number(value):
                problems.setdefault(f"{where}.{key}", []).append("must be a number")
        if _is_number(low) and _is_number(high) and float(low) > float(high):  # type: ignore[arg-type]
            problems.setdefault(f"{where}.min", []).append("must not be more than max")
        return low, high
    if kind == "date":
        dates = {key: _iso_date(value) for key, value in (("min", low), ("max", high)) if value is not None}
        for key, parsed in dates.items():
            if parsed is None:
                problems.setdefault(f"{where}.{key}", []).append("must be a date as yyyy-mm-dd")
        if dates.get("min") and dates.get("max") and dates["min"] > dates["max"]:  # type: ignore[operator]
            problems.setdefault(f"{where}.min", []).append("must not be after max")
        return (str(low).strip() if low is not None else None), (str(high).strip() if high is not None else None)
    problems.setdefault(f"{where}.min", []).append(f"min and max apply to number and date questions, not {kind}")
    return None, None


def _question(raw: object, where: str, problems: Errors) -> Question | None:
    if not isinstance(raw, Mapping):
        problems.setdefault(where, []).append("must be an object with name, label and type")
        return None
    for key in sorted(set(raw) - KEYS, key=str):
        problems.setdefault(f"{where}.{key}", []).append("is not a question setting")
    name, label, kind = raw.get("name"), raw.get("label"), raw.get("type")
    if not isinstance(name, str) or not NAME.match(name):
        problems.setdefault(f"{where}.name", []).append(
            "must start with a lower-case letter and hold only a-z, 0-9 and _ (at most 60)"
        )
    if not isinstance(label, str) or not label.strip():
        problems.setdefault(f"{where}.label", []).append("a question needs a label")
    if kind not in FIELD_TYPES:
        problems.setdefault(f"{where}.type", []).append(f"must be one of {', '.join(FIELD_TYPES)}")
        return None
    for key, expected in (("required", bool), ("integer", bool), ("help", str)):
        if key in raw and not isinstance(raw[key], expected):
            problems.setdefault(f"{where}.{key}", []).append(
                f"must be {'true or false' if expected is bool else 'text'}"
            )
    choices = raw.get("choices")
    if kind in ("choice", "multi_choice"):
        if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c.strip() for c in choices):
            problems.setdefault(f"{where}.choices", []).append("must be a non-empty list of non-empty texts")
        elif len({c.strip() for c in choices}) != len(choices):
            problems.setdefault(f"{where}.choices", []).append("must not repeat a choice")
    elif choices is not None:
        problems.setdefault(f"{where}.choices", []).append(f"only choice questions have choices, not {kind}")
    if raw.get("integer") and kind != "number":
        problems.setdefault(f"{where}.integer", []).append("only number questions can be whole numbers")
    max_length = raw.get("max_length")
    if max_length is not None and (
        kind not in ("text", "textarea") or not isinstance(max_length, int) or isinstance(max_length, bool)
    ):
        problems.setdefault(f"{where}.max_length", []).append("is a positive whole number, for text questions")
    elif isinstance(max_length, int) and not 1 <= max_length <= MAX_LENGTH["textarea"]:
        problems.setdefault(f"{where}.max_length", []).append(f"must be between 1 and {MAX_LENGTH['textarea']}")
    low, high = _check_bounds(raw, str(kind), problems, where)
    if any(key.startswith(where) for key in problems):
        return None
    return Question(
        name=str(name),
        label=str(label).strip(),
        type=str(kind),
        required=bool(raw.get("required", False)),
        help=str(raw.get("help", "")).strip(),
        choices=tuple(c.strip() for c in choices) if isinstance(choices, list) else (),
        min=low,
        max=high,
        integer=bool(raw.get("integer", False)),
        max_length=max_length if isinstance(max_length, int) else None,
    )


def parse_form(definition: object) -> tuple[Question, ...]:
    """The questions of a form definition, or FormDefinitionInvalid naming every problem."""
    if not isinstance(definition, list):
        raise FormDefinitionInvalid({"form": ["must be a list of questions"]})
    problems: Errors = {}
    questions: list[Question] = []
    seen: set[str] = set()
    for index, raw in enumerate(definition):
        question = _question(raw, f"form[{index}]", problems)
        if question is None:
            continue
        if question.name in seen:
            problems.setdefault(f"form[{index}].name", []).append(f"{question.name!r} is used by another question")
        seen.add(question.name)
        questions.append(question)
    if problems:
        raise FormDefinitionInvalid(problems)
    return tuple(questions)


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _text(question: Question, value: object) -> tuple[Answer, str]:
    if not isinstance(value, str):
        return None, "must be text"
    text = value.strip() if question.type != "textarea" else value.strip("\n ").replace("\r\n", "\n")
    if len(text) > question.length_limit:
        return None, f"must be at most {question.length_limit} characters (it has {len(text)})"
    if question.type == "email" and not EMAIL.match(text):
        return None, "must be an email address, like name@example.org"
    return text, ""


def _number(question: Question, value: object) -> tuple[Answer, str]:
    number: int | float
    if _is_number(value):
        number = value  # type: ignore[assignment]
    elif isinstance(value, str):
        try:
            number = int(value.strip()) if re.fullmatch(r"[+-]?\d{1,18}", value.strip()) else float(value.strip())
        except ValueError:
            return None, "must be a number"
        if not math.isfinite(number):
            return None, "must be a number"
    else:
        return None, "must be a number"
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        number = int(number)
    if question.integer and not isinstance(number, int):
        return None, "must be a whole number"
    if question.min is not None and number < question.min:  # type: ignore[operator]
        return None, f"must be at least {question.min}"
    if question.max is not None and number > question.max:  # type: ignore[operator]
        return None, f"must be at most {question.max}"
    return number, ""


def _date(question: Question, value: object) -> tuple[Answer, str]:
    parsed = _iso_date(value)
    if parsed is None:
        return None, "must be a date as yyyy-mm-dd"
    if question.min is not None and parsed < date.fromisoformat(str(question.min)):
        return None, f"must be on or after {question.min}"
    if question.max is not None and parsed > date.fromisoformat(str(question.max)):
        return None, f"must be on or before {question.max}"
    return parsed.isoformat(), ""


def _choice(question: Question, value: object) -> tuple[Answer, str]:
    if question.type == "choice":
        if isinstance(value, str) and value.strip() in question.choices:
            return value.strip(), ""
        return None, f"must be one of: {', '.join(question.choices)}"
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return None, "must be a list of choices"
    picked = list(dict.fromkeys(v.strip() for v in value))
    unknown = [v for v in picked if v not in question.choices]
    if unknown:
        return None, f"{', '.join(repr(v) for v in unknown)} not among: {', '.join(question.choices)}"
    return picked, ""


def _bool(_question: Question, value: object) -> tuple[Answer, str]:
    return (value, "") if isinstance(value, bool) else (None, "must be true or false")


CHECKS: dict[str, Callable[[Question, object], tuple[Answer, str]]] = {
    "text": _text,
    "textarea": _text,
    "email": _text,
    "person": _text,
    "number": _number,
    "date": _date,
    "choice": _choice,
    "multi_choice": _choice,
    "bool": _bool,
}


def clean_answers(
    questions: Sequence[Question],
    answers: Mapping[str, object],
    *,
    known_people: Callable[[Collection[str]], Collection[str]] | None = None,
) -> dict[str, Answer]:
    """The answers, cleaned; AnswersInvalid names each question answered wrongly or not at all.

    known_people gets the usernames given to person questions and returns those that exist (one lookup).
    Unanswered optional questions are left out; an unanswered optional bool is False.
    """
    if not isinstance(answers, Mapping):
        raise AnswersInvalid({"answers": ["must be an object of question name: answer"]})
    problems: Errors = {}
    by_name = {q.name: q for q in questions}
    for name in sorted(set(answers) - set(by_name), key=str):
        problems[str(name)] = ["is not a question of this form"]
    cleaned: dict[str, Answer] = {}
    for question in questions:
        value = answers.get(question.name)
        if _empty(value):
            if question.required:
                problems[question.name] = ["an answer is required"]
            elif question.type == "bool":
                cleaned[question.name] = False
            continue
        answer, problem = CHECKS[question.type](question, value)
        if problem:
            problems[question.name] = [problem]
        elif not _empty(answer):
            cleaned[question.name] = answer
    people = {name: str(value) for name, value in cleaned.items() if by_name[name].type == "person"}
    if people and known_people is not None:
        found = set(known_people(set(people.values())))
        for name, username in people.items():
            if username not in found:
                problems[name] = [f"nobody has the username {username!r}"]
    if problems:
        raise AnswersInvalid(problems)
    return cleaned


def person_questions(questions: Sequence[Question]) -> list[str]:
    return [q.name for q in questions if q.type == "person"]
