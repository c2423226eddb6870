"""`towers audit verify`: prove the audit chain has not been edited, reordered or truncated."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from towers.core import audit


class Command(BaseCommand):
    help = "Work with the hash-chained audit log."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Recompute every entry's hash and link; report OK or the first broken entry.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        result = audit.verify()
        if not result.ok:
            raise CommandError(
                f"BROKEN at entry {result.broken_seq}: {result.reason} ({result.checked} entries before it are intact)"
            )
        self.stdout.write(self.style.SUCCESS(f"OK: {result.checked} entries, chain intact"))
