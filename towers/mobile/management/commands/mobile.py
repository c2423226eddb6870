"""`towers mobile import FILE --organisation CODE [--dry-run]`: load an MDM export into an organisation's fleet."""

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from towers.core.actor import Actor, Channel
from towers.core.console import command_console, progress_bar
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.permissions import visible_to
from towers.mobile.mdm_formats import FORMATS, MdmFormatError, mapping_from_json
from towers.mobile.models import MdmImport
from towers.mobile.services.mdm_import import mdm_import
from towers.organisations.models import Organisation, Team

SHOWN = 50  # rejected rows printed; --report writes every row


class Command(BaseCommand):
    help = "Mobile services. `import` reads an MDM export (Intune CSV or Graph JSON, or any CSV/JSON with --mapping)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("import", help="Import an MDM export. Use --dry-run first: it changes nothing.")
        run.add_argument("file", type=Path)
        run.add_argument("--organisation", required=True, help="The code of the organisation whose fleet it is.")
        run.add_argument("--supplier", help="The code of the mobile supplier of new devices.")
        run.add_argument("--support-team", help="The code of the supplier's team that supports the devices' CIs.")
        run.add_argument("--format", choices=FORMATS, help="Default: detected from the file's header.")
        run.add_argument("--mapping", type=Path, help="A JSON file {canonical field: source column}.")
        run.add_argument("--dry-run", action="store_true", help="Check every row and report; change nothing.")
        run.add_argument("--report", type=Path, help="Also write the row-level report to this JSON file.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        self._import(command_console(self.stdout), **options)

    def _import(self, console: Console, *, file: Path, dry_run: bool, **options: Any) -> None:
        actor = Actor.system("cli-mobile-import", channel=Channel.IMPORT)
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        organisation = self._organisation(actor, "--organisation", options["organisation"])
        supplier = self._organisation(actor, "--supplier", options["supplier"]) if options.get("supplier") else None
        team = self._team(options["support_team"]) if options.get("support_team") else None
        try:
            mapping = mapping_from_json(options["mapping"].read_text()) if options.get("mapping") else None
        except (OSError, MdmFormatError) as exc:
            raise CommandError(f"--mapping: {exc}") from None
        started = time.monotonic()
        with progress_bar(console) as progress:
            task = progress.add_task(f"{'Checking' if dry_run else 'Importing'} {file.name}", total=None)
            try:
                run = mdm_import(
                    actor=actor, organisation=organisation, supplier=supplier, support_team=team,
                    data=file.read_bytes(), filename=file.name, source_format=options.get("format"), mapping=mapping,
                    dry_run=dry_run,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )  # fmt: skip
            except ValidationFailed as exc:
                raise CommandError(f"{file}: {exc.message}") from None
            except (Forbidden, NotFound) as exc:
                raise CommandError(f"--organisation {organisation.code}: {exc}") from None
        if options.get("report"):
            options["report"].write_text(json.dumps(run.report, indent=2, default=str))
        self._print(console, run, time.monotonic() - started)

    def _organisation(self, actor: Actor, option: str, code: str) -> Organisation:
        found = visible_to(actor, Organisation.objects).filter(code=code).first()
        if found is None:
            raise CommandError(f"{option}: no organisation you can see has the code {code!r}")
        return found

    def _team(self, code: str) -> Team:
        found = Team.objects.filter(code=code).select_related("organisation").first()
        if found is None:
            raise CommandError(f"--support-team: no team has the code {code!r}")
        return found

    def _print(self, console: Console, run: MdmImport, seconds: float) -> None:
        verb = "would be" if run.dry_run else "were"
        console.print(
            f"{run.total} rows ({run.source_format}) in {seconds:.1f}s: {run.created} {verb} created, "
            f"{run.updated} {verb} updated, {run.unchanged} unchanged, {run.rejected} rejected"
            + (" (dry run: nothing changed)" if run.dry_run else f"; {run.non_compliant} non-compliant")
        )
        rejected = [row for row in run.report if row["outcome"] == "rejected"]
        if rejected:
            table = Table("Line", "IMEI", "Serial", "Field", "Problem", title="Rejected rows")
            for row in rejected[:SHOWN]:
                for field, messages in row["problems"].items():
                    table.add_row(str(row["line"]), row["imei"], row["serial"], field, "; ".join(messages))
            console.print(table)
            if len(rejected) > SHOWN:
                console.print(f"Only the first {SHOWN} of {len(rejected)} are shown; --report FILE writes them all.")
