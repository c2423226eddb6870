"""`towers partners`: supplier integrations from the command line: list them, send what is due now, register
a listener at a partner's hub, and read one ticket's message log."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from towers.core import events
from towers.core.actor import Actor, Channel
from towers.core.errors import NotFound, ValidationFailed
from towers.integration import selectors_partners as selectors
from towers.integration.services.partner_delivery import partners_deliver_all
from towers.integration.services.partner_hub import partner_hub_register, partner_hub_unregister
from towers.servicedesk.selectors import ticket_get


class Command(BaseCommand):
    help = "Supplier integrations (TMF621 e-bonding): list, deliver, register-hub, unregister-hub, log."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("list", help="Integrations, their endpoints and hub registrations.")
        commands.add_parser("deliver", help="Send every outbound message that is due, then exit.")
        for name in ("register-hub", "unregister-hub"):
            sub = commands.add_parser(
                name, help=f"{name.split('-')[0].capitalize()} our listener at the partner's /hub."
            )
            sub.add_argument("id", help="The integration's id.")
        log = commands.add_parser("log", help="One ticket's message log (both directions), oldest first.")
        log.add_argument("ticket", help="The ticket's reference (INC0001234) or id.")

    def handle(self, *args: Any, command: str, **options: Any) -> None:
        actor = Actor.system("partners-cli", channel=Channel.JOB)
        try:
            getattr(self, "_" + command.replace("-", "_"))(actor, options)
        except (NotFound, ValidationFailed) as exc:
            raise CommandError(str(getattr(exc, "fields", "") or exc)) from exc

    def _list(self, actor: Actor, options: dict[str, Any]) -> None:
        for i in selectors.partner_integration_list(actor=actor):
            hub = i.hub_subscription_id or "-"
            self.stdout.write(f"{i.id}\t{i.name}\t{i.organisation.name}\t{i.base_url}\thub={hub}\tactive={i.active}")

    def _deliver(self, actor: Actor, options: dict[str, Any]) -> None:
        # Changes just committed owe their messages only once their domain events reach the handler.
        events.deliver_all_pending()
        run = partners_deliver_all()
        self.stdout.write(f"sent={run.sent} delivered={run.delivered} failed={run.failed} dead={run.dead}")

    def _register_hub(self, actor: Actor, options: dict[str, Any]) -> None:
        integration = selectors.partner_integration_get(actor=actor, id=options["id"])
        partner_hub_register(actor=actor, integration=integration)
        self.stdout.write(f"Registered at {integration.base_url}/hub as {integration.hub_subscription_id}.")

    def _unregister_hub(self, actor: Actor, options: dict[str, Any]) -> None:
        integration = selectors.partner_integration_get(actor=actor, id=options["id"])
        partner_hub_unregister(actor=actor, integration=integration)
        self.stdout.write("Unregistered.")

    def _log(self, actor: Actor, options: dict[str, Any]) -> None:
        ticket = ticket_get(actor=actor, reference=options["ticket"])
        for m in reversed(selectors.partner_message_list(actor=actor, ticket=ticket.id)):
            self.stdout.write(
                f"{m.id}\t{m.created_at:%Y-%m-%d %H:%M:%S}\t{m.direction}\t{m.operation}\t{m.status}\t"
                f"http={m.http_status or '-'}\tattempts={m.attempts}\tcorrelation={m.correlation_id}\t{m.outcome[:120]}"
            )
