"""`towers cmdb import FILE --source CODE [--dry-run]` and `towers cmdb sources`: load CIs reported by a source."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from towers.cmdb.reconciliation import CmdbImportReport
from towers.cmdb.selectors import source_get, source_list
from towers.cmdb.services.reconcile import MAX_ITEMS, ci_import_batches, read_items_csv
from towers.core.actor import Actor, Channel
from towers.core.console import command_console, progress_bar
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.organisations.models import Person
from towers.organisations.selectors import actor_for

SHOWN = 50  # rows of each table printed; --report writes every one


class Command(BaseCommand):
    help = "Import CIs reported by a data source, or list the sources. Use --dry-run first: it changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("import", help=f"Import a CSV or JSON file of CIs, {MAX_ITEMS} a batch.")
        run.add_argument("file", type=Path)
        run.add_argument("--source", required=True, help="The code of the data source (see `towers cmdb sources`).")
        run.add_argument("--dry-run", action="store_true", help="Check every item and report; change nothing.")
        run.add_argument("--format", choices=["csv", "json"], help="Default: from the file's extension, else csv.")
        run.add_argument("--as", dest="username", help="Act as this person (default: the import job itself).")
        run.add_argument("--report", type=Path, help="Also write the full report, item by item, to this JSON file.")
        run.add_argument(
            "--batch-size", type=int, default=MAX_ITEMS, help=f"Items a transaction (1 to {MAX_ITEMS}, the default)."
        )
        sub.add_parser("sources", help="List the data sources and their default priorities.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        console = command_console(self.stdout)
        if action == "sources":
            self._sources(console)
        else:
            self._import(console, **options)

    def _actor(self, username: str | None) -> Actor:
        if not username:
            return Actor.system("cli-cmdb-import", channel=Channel.IMPORT)
        person = Person.objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"--as: nobody has the username {username!r}")
        return actor_for(person, channel=Channel.IMPORT)

    def _sources(self, console: Console) -> None:
        table = Table("Code", "Name", "Organisation", "Priority", title="Data sources (lower priority wins)")
        for source in source_list(actor=Actor.system("cli-cmdb")):
            table.add_row(source.code, source.name, source.organisation.name, str(source.priority))
        console.print(table)

    def _import(self, console: Console, *, file: Path, source: str, dry_run: bool, **options: Any) -> None:
        actor = self._actor(options.get("username"))
        if not 1 <= options["batch_size"] <= MAX_ITEMS:
            raise CommandError(f"--batch-size: must be from 1 to {MAX_ITEMS}")
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            data_source = source_get(actor=actor, code=source)
        except NotFound:
            raise CommandError(
                f"--source: no source has the code {source!r}; `towers cmdb sources` lists them"
            ) from None
        try:
            items = _read(file, options.get("format") or ("json" if file.suffix.lower() == ".json" else "csv"))
        except ValidationFailed as exc:
            raise CommandError(f"{file}: {exc.message}") from None
        with progress_bar(console, disable=not items) as progress:
            task = progress.add_task(f"{'Checking' if dry_run else 'Importing'} {len(items)} CIs", total=len(items))
            try:
                report = ci_import_batches(
                    actor=actor,
                    source=data_source,
                    items=items,
                    dry_run=dry_run,
                    progress=lambda n: progress.update(task, completed=n),
                    batch_size=options["batch_size"],
                )
            except (Forbidden, NotFound) as exc:
                raise CommandError(f"--source {source}: {exc}") from None
        if options.get("report"):
            options["report"].write_text(json.dumps(report.as_dict(), indent=2, default=str))
        self._print(console, report)
        if report.totals()["rejected"]:
            raise CommandError(f"{report.totals()['rejected']} item(s) rejected; fix them and run again")

    def _print(self, console: Console, report: CmdbImportReport) -> None:
        totals, verb = report.totals(), "would be" if report.dry_run else "were"
        console.print(
            f"{totals['items']} items in {report.batches} batch(es) from {report.source}: "
            f"{totals['created']} {verb} created, {totals['updated']} {verb} updated, {totals['unchanged']} unchanged, "
            f"{totals['rejected']} rejected, {totals['conflicts']} conflict(s)"
            + (" (dry run: nothing changed)" if report.dry_run else "")
        )
        rejected = [item for item in report.items if item.outcome == "rejected" or item.problems]
        if rejected:
            table = Table("Item", "Native key", "Field", "Problem", title="Rejected items")
            for item in rejected[:SHOWN]:
                for field, messages in item.problems.items():
                    table.add_row(_where(item), item.native_key, field, "; ".join(messages))
            console.print(table)
        conflicts = [(item, c) for item in report.items for c in item.conflicts]
        if conflicts:
            table = Table("Item", "Attribute", "Current (source)", "Incoming", "Reason", title="Values not written")
            for item, c in conflicts[:SHOWN]:
                current = f"{c.current_value} ({c.current_source or '-'})"
                table.add_row(_where(item), c.attribute, current, str(c.incoming_value), c.reason.replace("_", " "))
            console.print(table)
        if len(rejected) > SHOWN or len(conflicts) > SHOWN:
            console.print(f"Only the first {SHOWN} of each are shown; --report FILE writes them all.")
        elif conflicts:
            console.print("--report FILE writes each conflict with its detail (who holds the value, and until when).")


def _where(item: Any) -> str:
    return f"line {item.line}" if item.line else f"#{item.index}"


def _read(file: Path, format: str) -> list[dict[str, Any]]:
    data = file.read_bytes()
    if format == "csv":
        return read_items_csv(data)
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed.one("file", f"is not JSON: {exc}") from None
    items = parsed.get("items") if isinstance(parsed, dict) else parsed
    if not isinstance(items, list):
        raise ValidationFailed.one("file", 'must hold a list of items, or {"items": [...]}')
    return items
