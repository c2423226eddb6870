"""A detection worker for test_stream: the real consume loop and evaluation, but it stops between committing a batch
and acknowledging it (and says so in a file), so the test can SIGKILL it at the worst possible moment."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--stream", required=True)
    parser.add_argument("--subjects", required=True)
    parser.add_argument("--rules", type=Path, required=True)
    parser.add_argument("--ack-wait", type=float, required=True)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--hold-after", type=int, default=2, help="Batches committed before holding the next ack.")
    parser.add_argument("--held", type=Path, required=True, help="Written once a committed batch is held unacked.")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "towers.settings.base")
    import django

    django.setup()
    from towers.soc.services.intake import events_evaluate
    from towers.soc.sigma.engine import Engine
    from towers.soc.sigma.rules import load_rules
    from towers.soc.stream import StreamEvent, StreamSettings, consume

    engine = Engine(load_rules([args.rules]).rules)
    settings = StreamSettings(url=args.url, stream=args.stream, subjects=args.subjects, ack_wait=args.ack_wait)
    batches = 0

    def handler(items: list[StreamEvent]) -> None:
        nonlocal batches
        events_evaluate(engine=engine, items=items)  # committed when this returns...
        batches += 1
        if batches > args.hold_after:
            args.held.write_text(str(len(items)))
            time.sleep(120)  # ...and never acknowledged: the test kills this process here

    def poison(data: bytes, reason: str) -> None:
        raise AssertionError(f"unexpected poison message: {reason}")

    consume(handler, settings=settings, poison=poison, batch=args.batch)


if __name__ == "__main__":
    main()
