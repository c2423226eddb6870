"""`towers demo [--size small|large]`: seed the demo estate (once) and print the demo log-ins."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.table import Table

from towers.cmdb import largeestate
from towers.core.console import command_console, progress_bar
from towers.demo.estate import DEMO_PASSWORD, SIZES, seed

LARGE_CMDB = 1_000_000


class Command(BaseCommand):
    help = "Seed a realistic demo estate (small for trying out and tests, large for benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=sorted(SIZES), default="small")

    def handle(self, *args: Any, size: str, **options: Any) -> None:
        console = command_console(self.stdout)
        with progress_bar(console) as progress:
            task = progress.add_task("Seeding people", total=SIZES[size])
            result = seed(size, progress=lambda done, total: progress.update(task, completed=done, total=total))
        if not result.created:
            console.print(f"The demo estate is already there ({result.people} people); nothing changed.")
        if size == "large" and largeestate.loaded() is None:
            # The benchmark-sized CMDB: bulk-loaded (no audit entries), a million CIs and three million links.
            with progress_bar(console) as progress:
                task = progress.add_task("Loading the large CMDB", total=LARGE_CMDB)
                written = largeestate.generate(
                    cis=LARGE_CMDB, progress=lambda done, total: progress.update(task, completed=done, total=total)
                )
            console.print(f"Large CMDB: {written['cis']:,} CIs, {written['relationships']:,} relationships.")
        table = Table("Username", "Organisation", "Roles", title=f"Demo log-ins (password: {DEMO_PASSWORD})")
        for row in result.logins:
            table.add_row(*row)
        console.print(table)
