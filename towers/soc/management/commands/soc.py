"""`towers soc hunt PATH… [--rules DIR …] [--format jsonl|table] [--min-level LEVEL]`: Sigma over event files.

Hits go to stdout, one JSON line each (or a table); the compile summary, progress and totals go to stderr,
so `towers soc hunt logs/ > hits.jsonl` leaves a clean file.
"""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from towers.core.console import command_console, progress_bar
from towers.soc.hunt import LEVELS, HuntStats, event_files, hit_document, hunt, rules_at_least, table_row
from towers.soc.sigma.engine import Engine
from towers.soc.sigma.rules import load_rules


class Command(BaseCommand):
    help = "Security operations: `hunt` runs Sigma rules over EVTX and JSON-lines files offline."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("hunt", help="Scan EVTX / JSON-lines files, zips of them, or folders (recursively).")
        run.add_argument("paths", nargs="+", type=Path)
        run.add_argument(
            "--rules", action="append", type=Path, help="Sigma rule folder or file (repeatable; default: shared data)."
        )
        run.add_argument("--format", choices=["jsonl", "table"], default="jsonl")
        run.add_argument("--min-level", choices=LEVELS[1:], help="Only rules of this level or above.")
        run.add_argument("--quiet", action="store_true", help="No progress bar or summary on stderr.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        self._hunt(**options)

    def _hunt(
        self, *, paths: list[Path], rules: list[Path] | None, format: str, min_level: str | None, quiet: bool, **_: Any
    ) -> None:
        err = command_console(self.stderr)
        err.soft_wrap = True  # a quarantine line names a file and a reason: never break it at the console's width
        roots = rules or [settings.TOWERS_SHARED_DATA / "sigma" / "rules"]
        missing = [str(p) for p in [*roots, *paths] if not p.exists()]
        if missing:
            hint = "" if rules else " (no default rule set: pass --rules DIR)"
            raise CommandError(f"not found: {', '.join(missing)}{hint}")
        report = load_rules(roots)
        selected = rules_at_least(report.rules, min_level)
        if not quiet:
            err.print(f"{report.summary().splitlines()[0]}; {len(selected)} selected, {len(report.failures)} failed")
        files = event_files(paths)
        stats = HuntStats()
        with progress_bar(err, disable=quiet) as progress:
            task = progress.add_task("hunting", total=len(files))
            for hit in hunt(Engine(selected), files, stats, on_file=lambda _p: progress.advance(task)):
                document = hit_document(hit)
                line = json.dumps(document, default=str) if format == "jsonl" else table_row(document)
                self.stdout.write(line)
        if not quiet:
            err.print(
                f"{stats.files} files, {stats.events} events, {stats.hits} hits, {len(stats.quarantined)} quarantined"
            )
            for name, number, reason in stats.quarantined[:20]:
                err.print(f"  quarantined {name}#{number}: {reason}")
