"""Webhook delivery rate with ordering on, against raw HTTP posts of the same bodies from the same process.

Both sides post to the same local receiver over one keep-alive httpx client; the difference is what the
outbox delivery costs per message: claiming it (one conditional UPDATE that also checks it is first in its
key), signing it, and recording the outcome.

python -m bench.integration [--messages N] [--keys K]
"""

from __future__ import annotations

import argparse
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.support import best_of, setup_django


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--keys", type=int, default=20, help="Ordering keys (tickets) the messages spread over.")
    args = parser.parse_args()
    setup_django()

    import uuid

    import httpx
    from django.utils import timezone

    from towers.integration.models import WebhookMessage, WebhookSubscription
    from towers.integration.services.delivery import DeliveryOptions, message_body, webhooks_deliver_all
    from towers.organisations.models import Organisation, OrganisationKind

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    authority = Organisation.objects.create(code="authority", name="Authority", kind=OrganisationKind.AUTHORITY)
    subscription = WebhookSubscription.objects.create(
        organisation=authority, name="bench", target_url=url, secret=f"whsec_{uuid.uuid4().hex}", event_patterns=["*"]
    )
    keys = [str(uuid.uuid4()) for _ in range(args.keys)]
    WebhookMessage.objects.bulk_create(
        WebhookMessage(
            subscription=subscription,
            idempotency_key=uuid.uuid4(),
            event_name="servicedesk.ticket.updated",
            ordering_key=keys[n % args.keys],
            payload={"ticket_id": keys[n % args.keys], "seq": n},
        )
        for n in range(args.messages)
    )
    bodies = [message_body(m) for m in WebhookMessage.objects.select_related("subscription")]
    options = DeliveryOptions(max_attempts=8, timeout=10, lease=60, backoff_base=1, backoff_cap=10)
    client = httpx.Client(timeout=10)

    def raw() -> None:
        for body in bodies:
            client.post(url, content=body, headers={"Content-Type": "application/json"}).raise_for_status()

    def delivered() -> None:
        WebhookMessage.objects.update(
            status=WebhookMessage.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), delivered_at=None
        )
        run = webhooks_deliver_all(client=client, options=options)
        assert run.delivered == args.messages, run

    baseline = best_of(3, raw)
    measured = best_of(3, delivered)
    print(f"raw httpx POST           : {args.messages / baseline:8.0f} messages/s  (baseline)")
    print(
        f"webhook delivery, ordered: {args.messages / measured:8.0f} messages/s  "
        f"ratio {baseline / measured:.2f} of baseline rate ({args.keys} keys)"
    )
    client.close()
    server.shutdown()


if __name__ == "__main__":
    main()
