"""A webhook delivery worker for test_webhook_chaos: the real delivery service with test-speed timings,
looping until nothing is pending (so the test can SIGKILL it mid-run and start another)."""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lease", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--max-attempts", type=int, default=50)
    parser.add_argument("--deadline", type=float, default=120.0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "towers.settings.base")
    import django

    django.setup()
    import httpx

    from towers.integration.models import WebhookMessage
    from towers.integration.services.delivery import DeliveryOptions, DeliveryRun, webhooks_deliver_all

    options = DeliveryOptions(
        max_attempts=args.max_attempts, timeout=args.timeout, lease=args.lease, backoff_base=0.01, backoff_cap=0.05
    )
    total = DeliveryRun()
    stop_at = time.monotonic() + args.deadline
    with httpx.Client(timeout=args.timeout) as client:
        while WebhookMessage.objects.filter(status=WebhookMessage.Status.PENDING).exists():
            assert time.monotonic() < stop_at, "messages still pending at the deadline"
            total.add(webhooks_deliver_all(client=client, options=options))
            time.sleep(0.01)
    print(f"sent={total.sent} delivered={total.delivered} failed={total.failed} dead={total.dead}", flush=True)


if __name__ == "__main__":
    main()
