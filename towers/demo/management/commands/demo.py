"""`towers demo [--size small|large]`: seed the demo estate (once) and print the demo log-ins."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.table import Table

from towers.cmdb import largeestate
from towers.core.console import command_console, progress_bar
from towers.demo.desk_extras import seed_desk_extras
from towers.demo.estate import DEMO_PASSWORD, SIZES, seed
from towers.demo.mobile import seed_mobile
from towers.demo.reporting import seed_reporting
from towers.demo.servicedesk import seed_history
from towers.demo.soc import seed_soc

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
        with progress_bar(console) as progress:
            task = progress.add_task("Loading service desk history", total=None)
            history = seed_history(size, lambda done, total: progress.update(task, completed=done, total=total))
        if history.created:
            counts = history.counts
            console.print(
                f"Service desk: {counts['tickets']:,} tickets of history ({counts['handoffs']:,} hand-offs, "
                f"{counts['breached']:,} breached, {counts['open']:,} still open) and tickets open now."
            )
        if seed_desk_extras():
            console.print("Service desk: request catalogue, knowledge, a known error, changes and a major incident.")
        with progress_bar(console) as progress:
            progress.add_task("Seeding the SOC: rules, intelligence, events, alerts and cases", total=None)
            soc = seed_soc(size)
        if soc is not None:
            console.print(
                f"SOC: {soc.rules} custom rules, {soc.indicators} indicators, {soc.events} events, {soc.alerts} "
                f"alerts, {soc.cases} security cases ({soc.incident} handed off to the asset's supplier)."
            )
        with progress_bar(console) as progress:
            progress.add_task("Seeding the mobile fleet: compliance rules and an Intune export", total=None)
            fleet = seed_mobile(size)
        if fleet is not None:
            console.print(
                f"Mobile: {fleet.devices:,} devices imported from Intune, {fleet.non_compliant:,} non-compliant, "
                f"{fleet.losses} reported lost or stolen, {fleet.steps} repair, swap and refresh steps."
            )
        if seed_reporting():
            console.print(
                "Service reviews: two monthly packs by email, and Carrier Networks' exit pack for the worker."
            )
        table = Table("Username", "Organisation", "Roles", title=f"Demo log-ins (password: {DEMO_PASSWORD})")
        for row in result.logins:
            table.add_row(*row)
        console.print(table)
