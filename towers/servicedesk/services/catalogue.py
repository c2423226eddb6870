"""The request catalogue: items with a typed form, the approvals they need and the tasks that fulfil them.

Definitions are checked when they are saved, every problem named by its place ("tasks[1].team"), so a
requester never meets a broken item and fulfilment never stops on a team that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.db import transaction

from towers.contracts.models import Service
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate
from towers.organisations.models import Person, Team
from towers.servicedesk.forms_schema import FormDefinitionInvalid, Question, parse_form
from towers.servicedesk.models import CatalogItem, Category

ITEM_FIELDS = ["code", "name", "description", "service", "category", "form", "approvals", "tasks", "is_active"]
EDITABLE = {"name", "description", "service", "category", "form", "approvals", "tasks", "is_active"}
ROLE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
LINE_MANAGER = "line_manager"
Errors = dict[str, list[str]]


def _approval(raw: object, where: str, people: dict[str, Question], problems: Errors) -> dict[str, str] | None:
    entry: Any = {"role": raw} if isinstance(raw, str) else raw
    if not isinstance(entry, dict) or not isinstance(entry.get("role"), str) or not ROLE.match(entry["role"]):
        problems.setdefault(where, []).append('give a role such as "line_manager", or {"role", "person" or "field"}')
        return None
    for key in sorted(set(entry) - {"role", "person", "field"}):
        problems.setdefault(f"{where}.{key}", []).append("is not an approval setting")
    role, person, field = entry["role"], entry.get("person"), entry.get("field")
    if person is not None and field is not None:
        problems.setdefault(where, []).append("name a person or a question, not both")
    if field is None and person is None and role in people:
        field = role  # a person question named after the role says who it is
    if field is not None and field not in people:
        problems.setdefault(f"{where}.field", []).append(f"{field!r} is not a person question of the form")
    if person is not None and (
        not isinstance(person, str) or not Person.objects.filter(username=person, is_active=True).exists()
    ):
        problems.setdefault(f"{where}.person", []).append(f"nobody active has the username {person!r}")
    if field is None and person is None and role != LINE_MANAGER:
        problems.setdefault(where, []).append(f"say who approves as {role}: a person, or a person question")
    clean = {"role": role} | ({"person": person} if person else {}) | ({"field": field} if field else {})
    return None if any(k.startswith(where) for k in problems) else clean


def parse_approvals(raw: object, questions: Sequence[Question]) -> list[dict[str, str]]:
    """The approvals in order, each {"role"} plus "person" (a username) or "field" (a person question)."""
    if not isinstance(raw, list):
        raise ValidationFailed.one("approvals", "must be a list")
    people = {q.name: q for q in questions if q.type == "person"}
    problems: Errors = {}
    parsed = [_approval(entry, f"approvals[{i}]", people, problems) for i, entry in enumerate(raw)]
    if problems:
        raise ValidationFailed(problems, "The approvals are not valid.")
    return [entry for entry in parsed if entry is not None]


def _team_ids(raw: list[Any]) -> dict[str, Team]:
    ids = set()
    for entry in raw:
        try:
            ids.add(UUID(str(entry.get("team") if isinstance(entry, dict) else "")))
        except ValueError:
            continue
    return {str(t.id): t for t in Team.objects.filter(pk__in=ids, is_active=True).select_related("organisation")}


def parse_tasks(raw: object, questions: Sequence[Question]) -> list[dict[str, Any]]:
    """The fulfilment tasks: a title, an active team, optionally the earlier task each waits for."""
    if not isinstance(raw, list):
        raise ValidationFailed.one("tasks", "must be a list")
    teams, names = _team_ids(raw), {q.name for q in questions}
    problems: Errors = {}
    parsed: list[dict[str, Any]] = []
    for index, entry in enumerate(raw):
        where = f"tasks[{index}]"
        if not isinstance(entry, dict):
            problems.setdefault(where, []).append("must be an object with a title and a team")
            continue
        for key in sorted(set(entry) - {"title", "team", "after", "description", "fields"}):
            problems.setdefault(f"{where}.{key}", []).append("is not a task setting")
        title, after, fields = entry.get("title"), entry.get("after"), entry.get("fields", [])
        if not isinstance(title, str) or not title.strip() or len(title) > 300:
            problems.setdefault(f"{where}.title", []).append("a task needs a title (at most 300 characters)")
        team = teams.get(str(entry.get("team")))
        if team is None:
            problems.setdefault(f"{where}.team", []).append("must be the id of an active team")
        if after is not None and (not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < index):
            problems.setdefault(f"{where}.after", []).append("must be the index of an earlier task")
        if not isinstance(fields, list) or any(f not in names for f in fields):
            problems.setdefault(f"{where}.fields", []).append("must list questions of the form")
        if not isinstance(entry.get("description", ""), str):
            problems.setdefault(f"{where}.description", []).append("must be text")
        if team is not None and not any(k.startswith(where) for k in problems):
            parsed.append(
                {"title": title.strip(), "team": str(team.id), "after": after}  # type: ignore[union-attr]
                | {"description": entry.get("description", "").strip(), "fields": list(fields)}
            )
    if problems:
        raise ValidationFailed(problems, "The fulfilment tasks are not valid.")
    return parsed


def check_definition(form: object, approvals: object, tasks: object) -> tuple[list[Any], list[Any], list[Any]]:
    """The item's form, approvals and tasks, normalised; ValidationFailed names every problem in all three."""
    problems: Errors = {}
    questions: tuple[Question, ...] = ()
    try:
        questions = parse_form(form)
    except FormDefinitionInvalid as exc:
        problems |= exc.errors
    parsed: list[list[Any]] = []
    for parse, raw in ((parse_approvals, approvals), (parse_tasks, tasks)):
        try:
            parsed.append(parse(raw, questions))
        except ValidationFailed as exc:
            problems |= exc.fields
            parsed.append([])
    if problems:
        raise ValidationFailed(problems, "The catalogue item's definition is not valid.")
    return [q.as_dict() for q in questions], parsed[0], parsed[1]


def catalog_item_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    service: Service,
    description: str = "",
    category: Category | None = None,
    form: object = None,
    approvals: object = None,
    tasks: object = None,
    is_active: bool = True,
) -> CatalogItem:
    """Offer something in the catalogue: the form requesters fill in, who approves it and who fulfils it."""
    item = CatalogItem(
        code=code.strip(),
        name=name.strip(),
        description=description,
        service=service,
        category=category,
        is_active=is_active,
    )
    ensure_can(actor, "desk.configure", item)
    item.form, item.approvals, item.tasks = check_definition(
        [] if form is None else form, [] if approvals is None else approvals, [] if tasks is None else tasks
    )
    validate(item)
    with transaction.atomic():
        item.save(force_insert=True)
        audit.record(actor, "catalog_item.created", item, after=audit.snapshot(item, ITEM_FIELDS))
        events.emit("servicedesk.catalog_item.created", key=str(item.id), catalog_item_id=str(item.id))
    return item


def catalog_item_update(
    *, actor: Actor, item: CatalogItem, changes: dict[str, Any], expected_version: int | None = None
) -> CatalogItem:
    """Change an item; requests already submitted keep the approvals and tasks they were raised with."""
    ensure_can(actor, "desk.configure", item)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed({name: ["cannot be changed here"] for name in sorted(unknown)})
    if {"form", "approvals", "tasks"} & set(changes):
        form, approvals, tasks = check_definition(
            changes.get("form", item.form), changes.get("approvals", item.approvals), changes.get("tasks", item.tasks)
        )
        changes = changes | {"form": form, "approvals": approvals, "tasks": tasks}
    for text in ("name", "description"):
        if text in changes:
            changes[text] = str(changes[text]).strip()
    if "name" in changes and not 0 < len(changes["name"]) <= 200:
        raise ValidationFailed.one("name", "an item needs a name of at most 200 characters")
    with transaction.atomic():
        before, after = apply_changes(item, changes, expected_version=expected_version)
        if after:
            audit.record(actor, "catalog_item.updated", item, before=before, after=after)
            events.emit("servicedesk.catalog_item.updated", key=str(item.id), catalog_item_id=str(item.id))
    return item
