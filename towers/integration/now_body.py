"""Reading a ServiceNow request body: which fields it may set, references by sys_id, levels and flags."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from towers.core.errors import NotFound, ValidationFailed
from towers.integration.now_columns import boolean, sys_id


def body_fields(
    body: Any, writable: Iterable[str], readable: Iterable[str], read_only: str = "is read-only here"
) -> dict[str, Any]:
    """The body as a dict of fields it may write; read-only and unknown fields are refused, each named."""
    if not isinstance(body, dict):
        raise ValidationFailed.one("body", "must be a JSON object of field: value")
    allowed, known = set(writable), set(readable)
    problems = {
        name: [read_only if name in known else "no such field on this table"] for name in sorted(set(body) - allowed)
    }
    if problems:
        raise ValidationFailed(problems)
    return {name: value.get("value", "") if isinstance(value, dict) else value for name, value in body.items()}


def reference(name: str, value: Any, get: Callable[[str], Any]) -> Any:
    """A reference field's record by sys_id; not found and not visible are the same answer."""
    if value in (None, ""):
        return None
    try:
        return get(sys_id(str(value)).hex)
    except (ValueError, NotFound):
        raise ValidationFailed.one(name, f"no record with sys_id {str(value)[:40]!r}") from None


def level(name: str, value: Any, most: int = 3) -> int:
    """A level such as impact: "2" or ServiceNow's display value "2 - Medium"."""
    problem = f"must be 1 (high) to {most} (low)"
    try:
        found = int(str(value).split(" ", 1)[0])
    except ValueError:
        raise ValidationFailed.one(name, problem) from None
    if not 1 <= found <= most:
        raise ValidationFailed.one(name, problem)
    return found


def flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    try:
        return boolean(str(value))
    except ValueError as exc:
        raise ValidationFailed.one(name, str(exc)) from None


def text(name: str, value: Any, *, required: bool = False) -> str:
    found = "" if value is None else str(value).strip()
    if required and not found:
        raise ValidationFailed.one(name, "is required")
    return found
