"""`towers serve`: the production web server (gunicorn), with static files served by WhiteNoise."""

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Imported here, after collectstatic, so that WhiteNoise indexes the files just collected.
        from towers.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve the UI and API with gunicorn (several processes, threads, graceful restarts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("TOWERS_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--timeout", type=int, default=60)

    def handle(self, *args: Any, bind: str, workers: int, threads: int, timeout: int, **options: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Towers is serving on http://{bind}/ (API docs at /api/v1/docs). Ctrl+C stops it.")
        _Gunicorn(
            {
                "bind": bind,
                "workers": workers,
                "threads": threads,
                "timeout": timeout,
                "accesslog": None,  # RequestLogMiddleware writes one structured line per request
                "errorlog": "-",
                "graceful_timeout": 20,
            }
        ).run()
