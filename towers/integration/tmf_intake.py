"""TMF621 request bodies read into Towers' values: severity and priority, notes, identifiers, parties, entities.

Each reader raises ValidationFailed naming the attribute, so a caller learns exactly what Towers could not take.
What TMF621 carries and Towers has no field for (characteristics, relationships, foreign related entities,
attachment links) is kept as a work note on the ticket rather than dropped.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from towers.cmdb.models import ConfigurationItem
from towers.cmdb.selectors import ci_get
from towers.contracts.models import Service
from towers.contracts.selectors import service_get
from towers.core.actor import Actor
from towers.core.errors import NotFound, ValidationFailed
from towers.integration.tmf_records import PRIORITY, SEVERITY
from towers.organisations.models import Person
from towers.organisations.selectors import person_get, person_list

IMPACT = {label.lower(): impact for impact, label in SEVERITY.items()}
# TMF's priority says how soon it is needed: Towers' urgency (its priority is the matrix of impact and urgency).
URGENCY = {"critical": 1, "high": 1, "medium": 2, "low": 3, "planning": 3}
REQUESTER_ROLES = ("requester", "reporter", "originator", "customer", "caller")


@dataclass(frozen=True)
class NewNote:
    text: str
    author: str = ""


@dataclass(frozen=True)
class NewIdentifier:
    external_id: str
    owner: str = ""
    id_type: str = ""


def text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ValidationFailed.one(name, "is required")
        return None
    if not isinstance(value, str):
        raise ValidationFailed.one(name, "must be a string")
    return value


def impact_of(value: str) -> int:
    try:
        return IMPACT[value.strip().lower()]
    except KeyError:
        raise ValidationFailed.one("severity", f"{value!r} is not one of {', '.join(SEVERITY.values())}") from None


def urgency_of(value: str) -> int:
    try:
        return URGENCY[value.strip().lower()]
    except KeyError:
        raise ValidationFailed.one("priority", f"{value!r} is not one of {', '.join(PRIORITY.values())}") from None


def date_of(name: str, value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed.one(name, "must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise ValidationFailed.one(name, "needs a time zone")
    return moment


# The string attributes of each list's items (TMF's schema types them; a number there is a caller's mistake).
ITEM_STRINGS = {
    "note": ("id", "author", "date", "text", "@type"),
    "externalIdentifier": ("id", "owner", "externalIdentifierType", "@type"),
    "relatedParty": ("role", "@type"),
    "relatedEntity": ("role", "@type"),
}


def _objects(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = body.get(name) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValidationFailed.one(name, "must be a list of objects")
    for item in value:
        wrong = [key for key in ITEM_STRINGS.get(name, ()) if key in item and not isinstance(item[key], str)]
        if wrong:
            raise ValidationFailed.one(name, f"{', '.join(wrong)} must be strings")
    return value


def new_notes(body: dict[str, Any], *, existing: Collection[str] = ()) -> list[NewNote]:
    """Notes to add: those whose id is not already one of the ticket's (notes are never edited or removed)."""
    found: list[NewNote] = []
    for item in _objects(body, "note"):
        if str(item.get("id", "")) in existing and item.get("id") is not None:
            continue
        note_text = item.get("text")
        if not isinstance(note_text, str) or not note_text.strip():
            raise ValidationFailed.one("note", "each new note needs its text")
        found.append(NewNote(text=note_text.strip(), author=str(item.get("author") or "")))
    return found


def new_identifiers(body: dict[str, Any], *, existing: Collection[tuple[str, str]] = ()) -> list[NewIdentifier]:
    """External identifiers to add (not Towers' own, not one already held): each needs its id."""
    found: list[NewIdentifier] = []
    for item in _objects(body, "externalIdentifier"):
        external_id, owner = item.get("id"), str(item.get("owner") or "")
        if not isinstance(external_id, str) or not external_id.strip():
            raise ValidationFailed.one("externalIdentifier", "each identifier needs its id")
        if owner == "Towers" or (owner, external_id) in existing:
            continue
        id_type = str(item.get("externalIdentifierType") or "")[:100]
        found.append(NewIdentifier(external_id.strip()[:200], owner[:200], id_type))
    return found


def requester_of(actor: Actor, body: dict[str, Any]) -> tuple[Person | None, str, list[dict[str, Any]]]:
    """The requester a relatedParty names (a visible person, by id or email), an email if only that, and the rest.

    Nobody named, or nobody Towers can see: the caller raises it for themselves.
    """
    others: list[dict[str, Any]] = []
    person: Person | None = None
    email = ""
    for item in _objects(body, "relatedParty"):
        ref = item.get("partyOrPartyRole") or {}
        if person is None and not email and item.get("role") in REQUESTER_ROLES and isinstance(ref, dict):
            key = str(ref.get("id") or "")
            person = _person(actor, key)
            if person is None and "@" in key:
                email = key
            if person is not None or email:
                continue
        others.append(item)
    if person is None and not email and actor.person_id:
        person = Person.objects.filter(pk=actor.person_id).first()
    return person, email, others


def _person(actor: Actor, key: str) -> Person | None:
    with suppress(ValueError, NotFound):
        return person_get(actor=actor, id=UUID(key))
    if "@" in key:
        return person_list(actor=actor).filter(email__iexact=key).first()
    return None


def entities_of(actor: Actor, body: dict[str, Any]) -> tuple[Service | None, list[ConfigurationItem], list[Any]]:
    """The service and CIs a relatedEntity names (visible ones, by id), and the entities Towers does not hold."""
    service: Service | None = None
    cis: list[ConfigurationItem] = []
    others: list[Any] = []
    for item in _objects(body, "relatedEntity"):
        entity = item.get("entity")
        entity = entity if isinstance(entity, dict) else {}
        referred, key = entity.get("@referredType"), str(entity.get("id") or "")
        try:
            if referred == "Service" and service is None:
                service = service_get(actor=actor, id=UUID(key))
            elif referred == "ConfigurationItem":
                cis.append(ci_get(actor=actor, id=UUID(key)))
            else:
                others.append(item)
        except (ValueError, NotFound):
            raise ValidationFailed.one("relatedEntity", f"no visible {referred} with id {key[:40]!r}") from None
    return service, cis, others


def carried_note(carried: dict[str, Any]) -> NewNote | None:
    """What came without a Towers field, kept verbatim as one work note."""
    kept = {name: value for name, value in carried.items() if value not in (None, [], {}, "")}
    if not kept:
        return None
    return NewNote(text="Received over TMF621 with no Towers field:\n" + json.dumps(kept, indent=1, sort_keys=True))
