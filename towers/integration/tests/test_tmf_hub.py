"""TMF621 /hub: registering listeners, and the notifications the delivery worker POSTs to them."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from towers.core import events
from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.integration.models import WebhookMessage, WebhookSubscription
from towers.integration.services.delivery import DeliveryOptions, webhooks_deliver_all
from towers.organisations.models import ApiToken
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import State
from towers.servicedesk.services.tickets import ticket_transition
from towers.servicedesk.tests.factories import build_desk, foreign_ticket

pytestmark = pytest.mark.django_db
HUB = "/tmf-api/troubleTicket/v5/hub"
FAST = DeliveryOptions(max_attempts=2, timeout=5, lease=30, backoff_base=0.0, backoff_cap=0.0)
LISTENER = "/tmf-api/troubleTicket/v5/listener/troubleTicketStatusChangeEvent"


class Listener:
    """A TMF621 listener on a real socket: it keeps every POST (path and JSON) and answers 204."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append((self.path, json.loads(self.rfile.read(length))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{LISTENER}"


@pytest.fixture
def listener():
    listener = Listener()
    yield listener
    listener.server.shutdown()
    listener.server.server_close()


@pytest.fixture
def desk(estate):
    desk = build_desk(estate)
    desk.slow = desk.raise_incident(title="Crime system slow")
    events.deliver_all_pending()
    return desk


def register(client, headers, callback, query=None):
    body = {"callback": callback} | ({"query": query} if query is not None else {})
    return client.post(HUB, json.dumps(body), content_type="application/json", **headers)


def deliver() -> None:
    events.deliver_all_pending()
    webhooks_deliver_all(options=FAST)


def test_a_listener_is_registered_read_and_removed(client, desk, estate):
    admin = bearer(estate.integrator_admin, estate.integrator)
    got = register(client, admin, "https://tool.example/listener", "eventType=TroubleTicketStatusChangeEvent")
    assert got.status_code == 201, got.json()
    hub = got.json()
    assert hub == {"id": hub["id"], "callback": "https://tool.example/listener",
                   "query": "eventType=TroubleTicketStatusChangeEvent", "@type": "Hub"}  # fmt: skip
    assert got["Location"].endswith(f"{HUB}/{hub['id']}")
    subscription = WebhookSubscription.objects.get(pk=hub["id"])
    assert (subscription.flavour, subscription.organisation, subscription.active) == ("tmf621", estate.integrator, True)
    assert client.get(f"{HUB}/{hub['id']}", **admin).json() == hub
    other = bearer(estate.network_admin, estate.network)
    assert client.get(f"{HUB}/{hub['id']}", **other).status_code == 404  # another organisation's listener
    assert client.delete(f"{HUB}/{hub['id']}", **other).status_code == 404
    assert client.delete(f"{HUB}/{hub['id']}", **admin).status_code == 204
    assert client.get(f"{HUB}/{hub['id']}", **admin).status_code == 404
    subscription.refresh_from_db()
    assert subscription.active is False
    actions = set(AuditEntry.objects.filter(object_id=str(subscription.pk)).values_list("action", flat=True))
    assert actions == {"integration.tmf_hub.registered", "integration.tmf_hub.unregistered"}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"callback": "ftp://tool.example/x"}, "callback: must be an http or https URL"),
        ({"callback": "not a url"}, "callback: must be an http or https URL"),
        ({"query": "eventType=X"}, "callback: is required"),
        ({"callback": "https://t.example/", "query": "eventType=Nope"}, "no event type Nope"),
        ({"callback": "https://t.example/", "query": "status=resolved"}, "eventType only, not status"),
    ],
)
def test_a_bad_registration_is_a_400(client, desk, estate, body, words):
    admin = bearer(estate.integrator_admin, estate.integrator)
    got = client.post(HUB, json.dumps(body), content_type="application/json", **admin)
    assert got.status_code == 400 and words in got.json()["message"], got.json()


def test_registering_needs_the_write_scope_and_the_webhook_permission(client, desk, estate):
    reader = bearer(estate.integrator_admin, estate.integrator, scope=ApiToken.Scope.READ)
    assert register(client, reader, "https://tool.example/l").status_code == 403
    resolver = bearer(estate.network_resolver, estate.network)
    assert register(client, resolver, "https://tool.example/l").status_code == 403
    assert not WebhookSubscription.objects.exists()


def test_a_status_change_is_posted_to_the_listener_as_a_tmf_notification(client, desk, estate, listener):
    admin = bearer(estate.integrator_admin, estate.integrator)
    register(client, admin, listener.url, "eventType=TroubleTicketStatusChangeEvent")
    ticket_transition(actor=desk.actor(desk.agent), ticket=desk.slow, state=State.IN_PROGRESS, note="On it")
    deliver()
    ((path, note),) = listener.received  # the update's create and comment events are not asked for
    assert path == LISTENER
    assert note["eventType"] == note["@type"] == "TroubleTicketStatusChangeEvent" and note["@baseType"] == "Event"
    assert note["eventId"] and note["eventTime"].endswith("Z") and note["domain"] == "troubleTicket"
    ticket = note["event"]["troubleTicket"]
    assert ticket["id"] == desk.slow.pk.hex and ticket["status"] == "inProgress" and ticket["@type"] == "TroubleTicket"
    assert ticket["statusChangeReason"] == "On it" and ticket["href"].endswith(f"/troubleTicket/{desk.slow.pk.hex}")
    assert note["source"]["name"] == desk.slow.reference


def test_each_change_is_sent_as_its_most_specific_event_type(client, desk, estate, listener):
    register(client, bearer(estate.integrator_admin, estate.integrator), listener.url)
    worker = desk.actor(desk.agent)
    ticket_transition(actor=worker, ticket=desk.slow, state=State.PENDING, pending_reason="requester")
    ticket_transition(actor=worker, ticket=desk.slow, state=State.IN_PROGRESS)
    ticket_transition(actor=worker, ticket=desk.slow, state=State.RESOLVED, resolution_code="fixed")
    another = desk.raise_incident(title="Another")
    deliver()
    kinds: dict[str, list[str]] = {}
    for _, note in listener.received:  # in order per ticket (the delivery's ordering key)
        kinds.setdefault(note["event"]["troubleTicket"]["id"], []).append(note["eventType"])
    assert kinds[desk.slow.pk.hex] == ["TroubleTicketInformationRequiredEvent", "TroubleTicketStatusChangeEvent",
                                       "TroubleTicketResolvedEvent"]  # fmt: skip
    assert kinds[another.pk.hex][0] == "TroubleTicketCreateEvent"


def test_a_listener_asking_for_status_changes_hears_of_resolutions_as_status_changes(client, desk, estate, listener):
    register(client, bearer(estate.integrator_admin, estate.integrator), listener.url,
             "eventType=TroubleTicketStatusChangeEvent")  # fmt: skip
    ticket_transition(actor=desk.actor(desk.agent), ticket=desk.slow, state=State.RESOLVED, resolution_code="fixed")
    deliver()
    ((_, note),) = listener.received
    assert (
        note["eventType"] == "TroubleTicketStatusChangeEvent" and note["event"]["troubleTicket"]["status"] == "resolved"
    )


def test_a_supplier_is_never_notified_of_tickets_it_may_not_see(client, desk, estate, listener):
    register(client, bearer(estate.network_admin, estate.network), listener.url)
    theirs = foreign_ticket(estate)  # held by the applications supplier
    ticket_transition(actor=Actor.system("tests"), ticket=theirs, state=State.IN_PROGRESS)
    deliver()
    assert listener.received == []
    assert not WebhookMessage.objects.filter(subscription__organisation=estate.network).exists()
