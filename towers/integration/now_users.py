"""People as ServiceNow's sys_user and teams as sys_user_group, read and written through the organisations app;
organisations as core_company, read-only (so that `company` references resolve).

`company` is the person's (first visible) organisation, or the team's. Towers keeps everyone who ever worked a
ticket, so DELETE deactivates a person or a team rather than removing it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.text import slugify

from towers.core.actor import Actor
from towers.integration.now_body import body_fields, flag, reference, text
from towers.integration.now_columns import Column, boolean, now_time, sys_id
from towers.integration.now_records import Pair, Shape, flag_pair, shape_record, time_pair
from towers.organisations.models import Organisation, Person, Team
from towers.organisations.selectors import organisation_get, organisation_list, person_list, team_list
from towers.organisations.services.organisations import team_create, team_update
from towers.organisations.services.people import person_create, person_update

# ServiceNow's field → Towers', for the fields a body may change.
USER_WRITES = {"user_name": "username", "first_name": "first_name", "last_name": "last_name", "email": "email",
               "title": "job_title", "phone": "phone", "active": "is_active"}  # fmt: skip
GROUP_WRITES = {"name": "name", "description": "description", "email": "email", "active": "is_active"}
USER_FIELDS = ("sys_id", "user_name", "name", "first_name", "last_name", "email", "title", "phone", "active", "company",
               "sys_created_on", "sys_updated_on")  # fmt: skip
GROUP_FIELDS = ("sys_id", "name", "description", "email", "active", "company", "sys_created_on", "sys_updated_on")


def _columns(writes: dict[str, str], company: str, created: str) -> dict[str, Column]:
    """The writable fields as text columns, and the columns both directory tables have."""
    return {
        "sys_id": Column("id", sys_id),
        **{now: Column(field, text=True) for now, field in writes.items() if now != "active"},
        "active": Column("is_active", boolean),
        "company": Column(f"{company}_id", sys_id),
        "company.name": Column(f"{company}__name", text=True),
        "sys_created_on": Column(created, now_time),
        "sys_updated_on": Column("updated_at", now_time),
    }


COMPANY_COLUMNS: dict[str, Column] = {
    "sys_id": Column("id", sys_id),
    "name": Column("name", text=True),
    "email": Column("email", text=True),
    "active": Column("is_active", boolean),
    "sys_created_on": Column("created_at", now_time),
    "sys_updated_on": Column("updated_at", now_time),
}
COMPANY_FIELDS = tuple(COMPANY_COLUMNS)
USER_COLUMNS = _columns(USER_WRITES, "memberships__organisation", "date_joined")
GROUP_COLUMNS = _columns(GROUP_WRITES, "organisation", "created_at")


def _changes(fields: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {
        names[name]: flag(name, value)
        if name == "active"
        else text(name, value, required=name in ("name", "user_name"))
        for name, value in fields.items()
        if name in names
    }


def _company(actor: Actor, fields: dict[str, Any]) -> Organisation:
    """The organisation named by `company`, or the caller's own."""
    named = fields.get("company") or actor.organisation_id
    found: Organisation = reference("company", named, lambda pk: organisation_get(actor=actor, id=pk))
    return found


def user_rows(actor: Actor) -> QuerySet[Person]:
    return person_list(actor=actor)


def _plain(record: Person | Team | Organisation, writes: dict[str, str], created: datetime) -> dict[str, Pair]:
    """What every directory record has: sys_id, its text fields, active and the times."""
    return {
        "sys_id": (record.pk.hex, record.pk.hex),
        **{now: (str(getattr(record, field)),) * 2 for now, field in writes.items() if now != "active"},
        "active": flag_pair(record.is_active),
        "sys_created_on": time_pair(created),
        "sys_updated_on": time_pair(record.updated_at),
    }


def user_record(person: Person, shape: Shape) -> dict[str, Any]:
    memberships = getattr(person, "visible_memberships", [])
    name = person.get_full_name() or person.username
    plain = {**_plain(person, USER_WRITES, person.date_joined), "name": (name, name)}
    company = memberships[0].organisation if memberships else None
    return shape_record(plain, {"company": ("core_company", company)}, USER_FIELDS, shape)


def user_insert(*, actor: Actor, body: Any) -> Person:
    """A new person in `company` (the caller's organisation by default), a requester until given roles."""
    fields = body_fields(body, (*USER_WRITES, "company"), USER_FIELDS)
    changes = _changes(fields, USER_WRITES)
    changes.pop("is_active", None)
    return person_create(
        actor=actor,
        organisation=_company(actor, fields),
        username=text("user_name", changes.pop("username", None), required=True),
        **changes,
    )


def user_change(*, actor: Actor, person: Person, body: Any) -> Person:
    return person_update(
        actor=actor, person=person, changes=_changes(body_fields(body, USER_WRITES, USER_FIELDS), USER_WRITES)
    )


def user_deactivate(*, actor: Actor, person: Person) -> None:
    person_update(actor=actor, person=person, changes={"is_active": False})


def group_rows(actor: Actor) -> QuerySet[Team]:
    return team_list(actor=actor)


def group_record(team: Team, shape: Shape) -> dict[str, Any]:
    plain = _plain(team, GROUP_WRITES, team.created_at)
    return shape_record(plain, {"company": ("core_company", team.organisation)}, GROUP_FIELDS, shape)


def group_insert(*, actor: Actor, body: Any) -> Team:
    """A new team of `company` (the caller's organisation by default); its code is made from the names."""
    fields = body_fields(body, (*GROUP_WRITES, "company"), GROUP_FIELDS)
    changes = _changes(fields, GROUP_WRITES)
    changes.pop("is_active", None)
    organisation = _company(actor, fields)
    name = text("name", changes.pop("name", None), required=True)
    code = slugify(f"{organisation.code}-{name}")[:60]
    return team_create(actor=actor, organisation=organisation, code=code, name=name, **changes)


def group_change(*, actor: Actor, team: Team, body: Any) -> Team:
    return team_update(
        actor=actor, team=team, changes=_changes(body_fields(body, GROUP_WRITES, GROUP_FIELDS), GROUP_WRITES)
    )


def group_deactivate(*, actor: Actor, team: Team) -> None:
    team_update(actor=actor, team=team, changes={"is_active": False})


def company_rows(actor: Actor) -> QuerySet[Organisation]:
    return organisation_list(actor=actor)


def company_record(organisation: Organisation, shape: Shape) -> dict[str, Any]:
    plain = _plain(organisation, {"name": "name", "email": "email"}, organisation.created_at)
    return shape_record(plain, {}, COMPANY_FIELDS, shape)
