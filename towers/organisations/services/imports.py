"""CSV import of people and teams: every row checked, rejected rows reported, dry-run changes nothing.

Valid rows are applied each in its own savepoint, so one bad row never blocks or half-applies the
others; a dry run does exactly the same work inside a transaction that is then rolled back, so its
report is the one a real run would give.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.permissions import ensure_can, get_visible
from towers.organisations.models import Organisation, Person, Team
from towers.organisations.services.organisations import team_create, team_update
from towers.organisations.services.people import (
    membership_grant,
    person_create,
    person_update,
    team_member_add,
)

PEOPLE_COLUMNS = {
    "required": ["username", "organisation"],
    "optional": ["first_name", "last_name", "email", "job_title", "phone", "roles", "teams"],
}
TEAM_COLUMNS = {"required": ["organisation", "code", "name"], "optional": ["email", "description"]}
Progress = Callable[[int], None]


@dataclass
class RowProblem:
    row: int  # the line in the file, as a spreadsheet numbers it: the header is line 1
    field: str
    message: str


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({p.row for p in self.problems})

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "problems": [vars(p) for p in self.problems],
        }


class _DryRunRollback(Exception):
    pass


def read_csv(data: bytes | str, columns: dict[str, list[str]]) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts, after checking its header names the expected columns."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed.one("file", f"is not UTF-8 text (byte {exc.start} is not valid)") from None
    reader = csv.DictReader(io.StringIO(data))
    header = [h.strip() for h in reader.fieldnames or []]
    if not header:
        raise ValidationFailed.one("file", "is empty: the first line must name the columns")
    missing = [c for c in columns["required"] if c not in header]
    unknown = [c for c in header if c not in columns["required"] + columns["optional"]]
    problems = {}
    if missing:
        problems["columns"] = [f"missing required column(s): {', '.join(missing)}"]
    if unknown:
        allowed = ", ".join(columns["required"] + columns["optional"])
        problems.setdefault("columns", []).append(f"unknown column(s): {', '.join(unknown)} (allowed: {allowed})")
    if problems:
        raise ValidationFailed(problems, "; ".join(problems["columns"]))
    reader.fieldnames = header
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", ";").split(";") if part.strip()]


def _run(
    actor: Actor,
    report: ImportReport,
    rows: list[dict[str, str]],
    apply_row: Callable[[dict[str, str]], str],
    progress: Progress | None,
) -> ImportReport:
    if not actor.is_system:
        if actor.organisation_id is None:
            raise Forbidden("Only a person acting for an organisation can import.")
        ensure_can(actor, "import.run", Organisation.objects.get(pk=actor.organisation_id))
    report.total = len(rows)
    try:
        with transaction.atomic():
            for number, row in enumerate(rows, start=1):
                line = number + 1
                try:
                    with transaction.atomic():
                        outcome = apply_row(row)
                    setattr(report, outcome, getattr(report, outcome) + 1)
                except ValidationFailed as exc:
                    report.problems += [RowProblem(line, f, m) for f, msgs in exc.fields.items() for m in msgs]
                except (NotFound, Forbidden) as exc:
                    report.problems.append(RowProblem(line, "row", str(exc)))
                if progress:
                    progress(number)
            if report.dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report


def _organisation(actor: Actor, code: str) -> Organisation:
    if not code:
        raise ValidationFailed.one("organisation", "is required")
    try:
        return get_visible(actor, Organisation.objects, code=code)
    except NotFound:
        raise ValidationFailed.one("organisation", f"no organisation has the code {code!r}") from None


def people_import(
    *, actor: Actor, rows: Iterable[dict[str, str]], dry_run: bool, progress: Progress | None = None
) -> ImportReport:
    """Create people or add to existing ones (matched by username); roles and teams are only added."""

    def apply_row(row: dict[str, str]) -> str:
        organisation = _organisation(actor, row.get("organisation", ""))
        roles = _split(row.get("roles", "")) or ["requester"]
        details = {k: row[k] for k in ("first_name", "last_name", "email", "job_title", "phone") if row.get(k)}
        person = Person.objects.filter(username=row.get("username", "")).first()
        if person is None:
            if not row.get("username"):
                raise ValidationFailed.one("username", "is required")
            person = person_create(
                actor=actor, organisation=organisation, username=row["username"], roles=roles, **details
            )
            outcome = "created"
        else:
            version = person.version
            memberships = person.memberships.count()
            person_update(actor=actor, person=person, changes=details)
            for role in roles:
                membership_grant(actor=actor, person=person, organisation=organisation, role=role)
            changed = person.version != version or person.memberships.count() != memberships
            outcome = "updated" if changed else "unchanged"
        for code in _split(row.get("teams", "")):
            team = Team.objects.filter(code=code, organisation=organisation).first()
            if team is None:
                raise ValidationFailed.one("teams", f"{organisation.code} has no team with the code {code!r}")
            team_member_add(actor=actor, team=team, person=person)
        return outcome

    return _run(actor, ImportReport("people", dry_run), list(rows), apply_row, progress)


def teams_import(
    *, actor: Actor, rows: Iterable[dict[str, str]], dry_run: bool, progress: Progress | None = None
) -> ImportReport:
    """Create teams or update existing ones (matched by code)."""

    def apply_row(row: dict[str, str]) -> str:
        organisation = _organisation(actor, row.get("organisation", ""))
        details = {k: row.get(k, "") for k in ("name", "email", "description")}
        team = Team.objects.filter(code=row.get("code", "")).first()
        if team is None:
            team_create(actor=actor, organisation=organisation, code=row.get("code", ""), **details)
            return "created"
        if team.organisation_id != organisation.id:
            raise ValidationFailed.one("code", f"{team.code!r} is already a team of another organisation")
        version = team.version
        team_update(actor=actor, team=team, changes=details)
        return "updated" if team.version != version else "unchanged"

    return _run(actor, ImportReport("teams", dry_run), list(rows), apply_row, progress)
