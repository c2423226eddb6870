"""`towers webhooks`: the dead-letter queue from the command line (list, replay) and a one-off delivery run."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from towers.core.actor import Actor, Channel
from towers.integration.models import WebhookMessage
from towers.integration.selectors import webhook_message_list
from towers.integration.services.delivery import webhooks_deliver_all
from towers.integration.services.subscriptions import webhook_messages_replay


class Command(BaseCommand):
    help = "Webhook delivery: list dead messages, replay them, or deliver what is due now."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("list-dead", help="Dead-lettered messages, newest first.")
        replay = commands.add_parser("replay", help="Send dead messages again (by id, or --all-dead).")
        replay.add_argument("ids", nargs="*", type=int)
        replay.add_argument("--all-dead", action="store_true")
        commands.add_parser("deliver", help="Deliver every message that is due, then exit.")

    def handle(self, *args: Any, command: str, **options: Any) -> None:
        actor = Actor.system("webhooks-cli", channel=Channel.JOB)
        dead = webhook_message_list(actor=actor, status=WebhookMessage.Status.DEAD)
        if command == "list-dead":
            for message in dead:
                self.stdout.write(
                    f"{message.id}\t{message.subscription.name}\t{message.event_name}\t{message.ordering_key}\t"
                    f"attempts={message.attempts}\t{message.last_error[:120]}"
                )
            self.stdout.write(f"{dead.count()} dead message(s).")
        elif command == "replay":
            if options["all_dead"] == bool(options["ids"]):
                raise CommandError("Give message ids or --all-dead (not both).")
            chosen = list(dead if options["all_dead"] else dead.filter(pk__in=options["ids"]))
            missing = set(options["ids"]) - {m.id for m in chosen}
            if missing:
                raise CommandError(f"Not dead (or no such message): {', '.join(map(str, sorted(missing)))}")
            count = webhook_messages_replay(actor=actor, messages=chosen)
            self.stdout.write(f"Replayed {count} message(s); the worker sends them in order.")
        else:
            run = webhooks_deliver_all()
            self.stdout.write(f"sent={run.sent} delivered={run.delivered} failed={run.failed} dead={run.dead}")
