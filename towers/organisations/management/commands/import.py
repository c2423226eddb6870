"""`towers import people|teams FILE [--dry-run]`: bulk-load the directory from CSV with a row-level report."""

from dataclasses import replace
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from towers.core.actor import Actor, Channel
from towers.core.console import command_console, progress_bar
from towers.core.errors import ValidationFailed
from towers.organisations.models import Person
from towers.organisations.selectors import actor_for
from towers.organisations.services import imports

KINDS = {
    "people": (imports.people_import, imports.PEOPLE_COLUMNS),
    "teams": (imports.teams_import, imports.TEAM_COLUMNS),
}


class Command(BaseCommand):
    help = "Import people or teams from a CSV file. Use --dry-run first: it checks every row and changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check every row and report; change nothing.")
        parser.add_argument("--as", dest="username", help="Act as this person (default: the import job itself).")

    def _actor(self, username: str | None) -> Actor:
        if not username:
            return Actor.system("cli-import", channel=Channel.IMPORT)
        person = Person.objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"--as: nobody has the username {username!r}")
        return replace(actor_for(person, channel=Channel.IMPORT))

    def handle(self, *args: Any, kind: str, file: Path, dry_run: bool, username: str | None, **options: Any) -> None:
        run, columns = KINDS[kind]
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            rows = imports.read_csv(file.read_bytes(), columns)
        except ValidationFailed as exc:
            raise CommandError(f"{file}: {exc.message}") from None
        console = command_console(self.stdout)
        with progress_bar(console, disable=not rows) as progress:
            task = progress.add_task(f"{'Checking' if dry_run else 'Importing'} {kind}", total=len(rows))
            report = run(
                actor=self._actor(username),
                rows=rows,
                dry_run=dry_run,
                progress=lambda n: progress.update(task, completed=n),
            )
        self._print(console, report)
        if report.problems:
            raise CommandError(f"{report.rejected} row(s) rejected; fix them and run again")

    def _print(self, console: Console, report: imports.ImportReport) -> None:
        verb = "would be" if report.dry_run else "were"
        console.print(
            f"{report.total} rows: {report.created} {verb} created, {report.updated} {verb} updated, "
            f"{report.unchanged} unchanged, {report.rejected} rejected"
            + (" (dry run: nothing changed)" if report.dry_run else "")
        )
        if report.problems:
            table = Table("Row", "Field", "Problem", title="Rejected rows")
            for problem in report.problems:
                table.add_row(str(problem.row), problem.field, problem.message)
            console.print(table)
