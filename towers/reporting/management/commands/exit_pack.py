"""`towers exit_pack SUPPLIER_CODE --out FILE.zip`: build a supplier's exit data pack now and save a copy."""

import os
import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.table import Table

from towers.core.actor import Actor
from towers.core.console import command_console
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.organisations.models import Organisation
from towers.reporting.services.exit_pack import exit_pack_build, exit_pack_create

JOB = "cli-exit-pack"
ATTACHED = "attachments/"  # the folder of the tickets' attached files inside the pack


class Command(BaseCommand):
    help = "Build a supplier's exit data pack (JSON and CSV, manifest, checksums) and write it to --out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("supplier", help="The code of the outgoing supplier.")
        parser.add_argument("--out", type=Path, required=True, help="Where to write the ZIP.")
        parser.add_argument("--since", type=date.fromisoformat, help="Only tickets opened and periods from this date.")
        parser.add_argument("--until", type=date.fromisoformat, help="Only tickets opened and periods to this date.")

    def handle(self, *args: Any, supplier: str, out: Path, since: date | None, until: date | None, **_: Any) -> None:
        console = command_console(self.stdout)
        organisation = Organisation.objects.filter(code=supplier).first()
        if organisation is None:
            raise CommandError(f"no organisation has the code {supplier!r}")
        _check_writable(out)
        started = time.monotonic()
        try:
            pack = exit_pack_create(
                actor=Actor.system(JOB), supplier=organisation, since=since, until=until, queue=False
            )
        except (ValidationFailed, Forbidden, NotFound) as exc:
            raise CommandError(str(exc)) from None
        with console.status(f"Building the exit pack of {organisation.name}…") as status:
            try:
                exit_pack_build(pack, progress=lambda part, rows: status.update(f"{part}: {rows} rows"))
            except Exception as exc:
                raise CommandError(f"the pack failed: {type(exc).__name__}: {exc}") from None
        with pack.file.open("rb") as source, out.open("wb") as target:
            shutil.copyfileobj(source, target)
        table = Table("File", "Rows", "Bytes", "SHA-256", title=f"Exit pack {pack.pk}")
        attached = [e for e in pack.manifest["files"] if e["name"].startswith(ATTACHED)]
        for entry in pack.manifest["files"]:
            if not entry["name"].startswith(ATTACHED):
                table.add_row(entry["name"], str(entry["rows"]), str(entry["bytes"]), entry["sha256"])
        if attached:  # one line for however many files: each is in manifest.json and checksums.sha256
            size = sum(e["bytes"] for e in attached)
            table.add_row(ATTACHED, f"{len(attached)} files", str(size), "each in manifest.json and checksums.sha256")
        console.print(table)
        if problems := pack.manifest.get("attachment_problems"):
            console.print(f"[yellow]{len(problems)} attached file(s) not as recorded: see attachments.csv[/yellow]")
        console.print(
            f"{out} ({pack.size} bytes, SHA-256 {pack.sha256}) in {time.monotonic() - started:.1f}s; "
            f"kept in Towers as {pack.file.name}"
        )


def _check_writable(out: Path) -> None:
    """Refuse a path the ZIP could not be written to before any work is done."""
    if out.is_dir():
        raise CommandError(f"--out {out}: is a directory; name the ZIP file")
    parent = out.parent
    if not parent.is_dir():
        raise CommandError(f"--out {out}: the directory {parent} does not exist")
    if not os.access(out if out.exists() else parent, os.W_OK):
        raise CommandError(f"--out {out}: you may not write there")
