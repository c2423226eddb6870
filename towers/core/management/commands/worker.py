"""`towers worker`: deliver what is pending, then run background tasks as they are queued."""

import logging
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from towers.core import events, schedule

logger = logging.getLogger("towers.worker")


class Command(BaseCommand):
    help = "Run a background worker: deliver pending domain events, then run queued tasks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Exit when no task is left (for cron and tests).")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")
        parser.add_argument("--queues", default="*", help="Comma-separated queue names ('*' for all).")

    def handle(self, *args: Any, batch: bool, interval: float, queues: str, **options: Any) -> None:
        # A worker that died may have left committed events undelivered: they go first.
        delivered = events.deliver_all_pending()
        self.stdout.write(f"Delivered {delivered} pending event(s) on start.")
        if not batch:  # a batch run drains the queue and exits; periodic jobs would keep it busy forever
            self.stdout.write(f"Started {schedule.start_periodic()} periodic job(s).")
        call_command(
            "db_worker",
            queue_name=queues,
            interval=interval,
            batch=batch,
            reload=False,
            startup_delay=False,
            verbosity=options["verbosity"],
        )
