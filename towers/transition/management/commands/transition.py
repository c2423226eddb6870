"""`towers transition onboard PLAN.json [--apply]` and `towers transition run ID [--apply]`: dry run by default."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from towers.core.actor import Actor, Channel
from towers.core.console import command_console
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.organisations.models import Person
from towers.organisations.selectors import actor_for
from towers.transition.selectors import transition_get
from towers.transition.services.move import transition_run
from towers.transition.services.onboard import supplier_onboard


class Command(BaseCommand):
    help = "Onboard a supplier from a plan, or run a supplier transition. Both dry-run unless --apply is given."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        onboard = sub.add_parser("onboard", help="Create a supplier from a JSON plan.")
        onboard.add_argument("plan", type=Path)
        run = sub.add_parser("run", help="Dry-run or apply a transition.")
        run.add_argument("id", help="The transition's id.")
        for command in (onboard, run):
            command.add_argument("--apply", action="store_true", help="Make the changes (default: dry run).")
            command.add_argument("--as", dest="username", help="Act as this person (default: the command itself).")

    def _actor(self, username: str | None) -> Actor:
        if not username:
            return Actor.system("cli-transition", channel=Channel.IMPORT)
        person = Person.objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"--as: nobody has the username {username!r}")
        return actor_for(person, channel=Channel.IMPORT)

    def handle(self, *args: Any, action: str, apply: bool, username: str | None, **options: Any) -> None:
        console = command_console(self.stdout)
        actor = self._actor(username)
        try:
            if action == "onboard":
                self._onboard(console, actor, options["plan"], apply)
            else:
                self._run(console, actor, options["id"], apply)
        except ValidationFailed as exc:
            lines = [f"  {name}: {m}" for name, messages in exc.fields.items() for m in messages]
            raise CommandError("\n".join([exc.message, *lines])) from None
        except (NotFound, Forbidden) as exc:
            raise CommandError(str(exc)) from None

    def _onboard(self, console: Console, actor: Actor, file: Path, apply: bool) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            plan = json.loads(file.read_text())
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file}: not JSON ({exc})") from None
        report = supplier_onboard(actor=actor, plan=plan, dry_run=not apply)
        table = Table("Kind", "Plan item", "Name", title="Would be created" if report.dry_run else "Created")
        for item in report.created:
            table.add_row(item["kind"], item["where"], item["name"])
        console.print(table)
        for where, messages in report.problems.items():
            for message in messages:
                console.print(f"[red]{where}[/red]: {message}")
        if report.problems:
            raise CommandError(f"{sum(map(len, report.problems.values()))} problem(s) in the plan; nothing was created")
        if report.dry_run:
            console.print("Dry run: nothing was created. Run again with --apply.")

    def _run(self, console: Console, actor: Actor, id: str, apply: bool) -> None:
        transition = transition_get(actor=actor, id=id)
        report = transition_run(actor=actor, transition=transition, dry_run=not apply).as_dict()
        table = Table("Step", "Count", "First items", title=f"{transition.name}: {'dry run' if not apply else 'apply'}")
        for step in report["steps"]:
            table.add_row(step["label"], str(step["count"]), "; ".join(i["repr"] for i in step["items"][:5]))
        console.print(table)
        for heading, key in (("Problem", "problems"), ("Note", "notes"), ("To set up", "to_set_up")):
            for line in report[key]:
                console.print(f"{heading}: {line}")
        if report["problems"]:
            raise CommandError(f"{len(report['problems'])} problem(s); fix the plan and dry-run again")
