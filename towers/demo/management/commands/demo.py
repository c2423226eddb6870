"""`towers demo [--size small|large]`: seed the demo estate (once) and print the demo log-ins."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.table import Table

from towers.core.console import command_console, progress_bar
from towers.demo.estate import DEMO_PASSWORD, SIZES, seed


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
        table = Table("Username", "Organisation", "Roles", title=f"Demo log-ins (password: {DEMO_PASSWORD})")
        for row in result.logins:
            table.add_row(*row)
        console.print(table)
