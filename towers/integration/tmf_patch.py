"""JSON Patch (RFC 6902) on a TroubleTicket, read as the merge patch Towers applies.

TMF621 makes merge patch mandatory and JSON Patch optional; taking JSON Patch too costs little: the operations
are applied to the ticket as the caller reads it, and the first-level attributes that came out different are
the merge patch. Paths reach first-level attributes and the items of their lists; adding to a list attribute
itself (TMF's own example: "add" at "/note" with one note) appends.
"""

from __future__ import annotations

import copy
from typing import Any

from towers.core.errors import ValidationFailed

OPERATIONS = ("add", "remove", "replace", "test")


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValidationFailed.one("path", f"{path!r} is not a JSON Pointer (e.g. /severity)")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _apply(document: dict[str, Any], operation: dict[str, Any]) -> None:
    op, parts = operation.get("op"), _pointer(operation.get("path"))
    if op not in OPERATIONS:
        raise ValidationFailed.one("op", f"{op!r} is not one of {', '.join(OPERATIONS)}")
    if op != "remove" and "value" not in operation:
        raise ValidationFailed.one("value", f"{op} at {operation['path']} needs a value")
    name, rest = parts[0], parts[1:]
    value = operation.get("value")
    if op == "test":
        found = document.get(name) if not rest else _item(document, name, rest[0])
        if found != value:
            raise ValidationFailed.one(name, f"test at {operation['path']} failed")
    elif not rest:
        if op == "remove":
            document.pop(name, None)
        elif op == "add" and isinstance(document.get(name), list) and not isinstance(value, list):
            document[name].append(value)
        else:
            document[name] = value
    else:
        _apply_item(document, name, rest[0], op, value)


def _item(document: dict[str, Any], name: str, index: str) -> Any:
    items = document.get(name)
    if not isinstance(items, list) or not index.isdigit() or int(index) >= len(items):
        raise ValidationFailed.one(name, f"no item {index} in {name}")
    return items[int(index)]


def _apply_item(document: dict[str, Any], name: str, index: str, op: str, value: Any) -> None:
    items = document.setdefault(name, [])
    if not isinstance(items, list):
        raise ValidationFailed.one(name, "is not a list")
    if op == "add" and index == "-":
        items.append(value)
        return
    _item(document, name, index)
    if op == "remove":
        del items[int(index)]
    elif op == "add":
        items.insert(int(index), value)
    else:
        items[int(index)] = value


def merge_patch_of(current: dict[str, Any], operations: Any) -> dict[str, Any]:
    """The first-level attributes the operations change, with their new values (None for a removed one)."""
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise ValidationFailed.one("body", "a JSON Patch is a list of operations")
    document = copy.deepcopy(current)
    for operation in operations:
        _apply(document, operation)
    changed = {name: value for name, value in document.items() if current.get(name) != value}
    return changed | {name: None for name in current if name not in document}
