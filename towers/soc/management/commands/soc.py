"""Security operations from the command line.

    towers soc hunt PATH… [--rules DIR …] [--format jsonl|table] [--min-level LEVEL]
    towers soc rules import PATH… --organisation CODE [--dry-run] [--disabled]
    towers soc rules validate FILE

`hunt` runs Sigma over event files: hits go to stdout, one JSON line each (or a table); the compile summary,
progress and totals go to stderr, so `towers soc hunt logs/ > hits.jsonl` leaves a clean file.
`rules import` makes a SOC run the rules of these files (one audit entry); `rules validate` checks one rule file.
"""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from towers.core.actor import Actor, Channel
from towers.core.console import command_console, progress_bar
from towers.core.errors import Forbidden
from towers.organisations.models import Organisation
from towers.soc.hunt import LEVELS, HuntStats, event_files, hit_document, hunt, rules_at_least, table_row
from towers.soc.services.rules_import import rules_import
from towers.soc.sigma.engine import Engine
from towers.soc.sigma.rules import load_rules
from towers.soc.sigma.validation import rule_validate


class Command(BaseCommand):
    help = "Security operations: `hunt` runs Sigma rules over event files offline; `rules` imports and validates."

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
        rules = sub.add_parser("rules", help="Detection rules a SOC runs.").add_subparsers(dest="rules_action")
        rules.required = True
        take = rules.add_parser("import", help="Create or update a SOC's rules from Sigma files or folders.")
        take.add_argument("rule_paths", nargs="+", type=Path, metavar="PATH")
        take.add_argument("--organisation", required=True, help="Code of the SOC's organisation.")
        take.add_argument("--dry-run", action="store_true", help="Say what would change; write nothing.")
        take.add_argument("--disabled", action="store_true", help="New rules start switched off.")
        check = rules.add_parser("validate", help="Check one rule file as the rule editor does.")
        check.add_argument("rule_file", type=Path, metavar="FILE")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "rules":
            self._rules(**options)
            return
        self._hunt(**options)

    def _rules(self, *, rules_action: str, **options: Any) -> None:
        if rules_action == "validate":
            path = options["rule_file"]
            try:
                result = rule_validate(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"{path}: {error}") from None
            if result.errors:
                raise CommandError("\n".join([f"{path}: not valid", *(f"  {e}" for e in result.errors)]))
            self.stdout.write(f"{path}: valid {result.kind} rule {result.rule_id} ({result.title}, {result.level})")
            return
        organisation = Organisation.objects.filter(code=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"--organisation: no organisation has the code {options['organisation']!r}")
        actor = Actor.system("soc-rules-import", channel=Channel.IMPORT)
        try:
            report = rules_import(
                actor=actor,
                organisation=organisation,
                roots=options["rule_paths"],
                dry_run=options["dry_run"],
                enable=not options["disabled"],
            )
        except Forbidden as error:
            raise CommandError(str(error)) from None
        self.stdout.write(report.summary())

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
