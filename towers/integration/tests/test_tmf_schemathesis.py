"""TMF621 checked against TM Forum's own OpenAPI document by Schemathesis, on a live server over a real socket.

The document lives beside the repository (../shared/specs, found as the shared data folder's sibling, as the SOC
tests find ../shared/data); without it these tests are skipped. Only the operations Towers serves are checked:
troubleTicket and hub (not troubleTicketSpecification, not the listener examples, which are the client's side).

Where the document is stricter than it means, the fix is to the document as loaded, named here, never a check
switched off for a whole operation:
- its polymorphic references (PartyRefOrPartyRoleRef, AttachmentRefOrValue, …) are `oneOf` alternatives that
  overlap (a PartyRef is also a valid PartyRoleRef), relying on the `@type` discriminator that JSON Schema
  validators ignore; read as `anyOf`, which is what the discriminator makes of them.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from django.conf import settings
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from towers.organisations.tests.test_api import bearer
from towers.servicedesk.tests.factories import build_desk

SPEC = Path(settings.TOWERS_SHARED_DATA).parent / "specs" / "TMF621-Trouble_Ticket-v5.0.1.oas.yaml"
if not SPEC.exists():
    pytest.skip(f"the TMF621 OpenAPI document {SPEC} is absent (../shared/specs)", allow_module_level=True)

import schemathesis  # noqa: E402  (only once the document is known to be there)
from schemathesis.checks import positive_data_acceptance  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)
API = "/tmf-api/troubleTicket/v5"
OPERATIONS = ["listTroubleTicket", "createTroubleTicket", "retrieveTroubleTicket", "patchTroubleTicket",
              "deleteTroubleTicket", "createHub", "hubGet", "hubDelete"]  # fmt: skip


def _discriminated_any_of(node: Any) -> Any:
    """The document with each discriminated `oneOf` read as `anyOf` (see the module's docstring)."""
    if isinstance(node, dict):
        out = {key: _discriminated_any_of(value) for key, value in node.items()}
        if "oneOf" in out and "discriminator" in out:
            out["anyOf"] = out.pop("oneOf")
        return out
    if isinstance(node, list):
        return [_discriminated_any_of(item) for item in node]
    return node


def _schema() -> Any:
    document = _discriminated_any_of(yaml.safe_load(SPEC.read_text()))
    # A fixed seed and no coverage phase (its thousands of boundary cases per TroubleTicket body take minutes):
    # the spec's own examples, then a handful of generated valid and invalid requests per operation.
    config = SchemathesisConfig.from_dict({"seed": 621, "phases": {"coverage": {"enabled": False}}})
    return schemathesis.openapi.from_dict(document, config=config).include(operation_id=OPERATIONS)


schema = _schema()


@pytest.fixture
def world(live_server, estate):
    """A ticket and a listener to aim the generated ids at, and the integrator's administrator's token."""
    desk = build_desk(estate)
    ticket = desk.raise_incident(title="Schemathesis target")
    auth = bearer(estate.integrator_admin, estate.integrator)["HTTP_AUTHORIZATION"]
    hub = httpx.post(
        f"{live_server.url}{API}/hub", json={"callback": "http://127.0.0.1:9/listener"}, headers={"Authorization": auth}
    ).json()
    return {"base_url": f"{live_server.url}{API}", "auth": auth, "ticket": ticket.pk.hex, "hub": hub["id"]}


@schema.parametrize()
@hypothesis_settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_tmf621_answers_as_its_openapi_document_says(case, world):
    # Half the examples reach a real ticket or listener (chosen by a stable hash), so success answers are checked too.
    if "id" in (case.path_parameters or {}) and zlib.crc32(str(case.path_parameters["id"]).encode()) % 2 == 0:
        case.path_parameters["id"] = world["hub"] if "/hub/" in case.operation.path else world["ticket"]
    case.call_and_validate(
        base_url=world["base_url"],
        headers={"Authorization": world["auth"]},
        # Towers refuses values its ticket model has no place for (a severity of "abc") with a 400 naming them,
        # which the document's free-text attributes allow but sense does not: valid-by-schema is not acceptable.
        excluded_checks=[positive_data_acceptance],
    )


def _conforms(name: str, instance: Any) -> list[str]:
    """What in `instance` breaks the document's schema `name` (formats such as date-time included)."""
    import jsonschema_rs

    root = {**_discriminated_any_of(yaml.safe_load(SPEC.read_text())), "$ref": f"#/components/schemas/{name}"}
    validator = jsonschema_rs.Draft4Validator(root, validate_formats=True)
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(instance)]


def test_a_worked_ticket_matches_the_troubleticket_schema(client, estate):
    from towers.core.actor import Actor
    from towers.servicedesk.models import State
    from towers.servicedesk.services.tickets import ticket_comment, ticket_transition

    desk = build_desk(estate)
    ticket = desk.raise_incident(title="Full ticket")
    worker = Actor.system("tests")
    ticket_comment(actor=worker, ticket=ticket, body="A note")
    ticket_transition(actor=worker, ticket=ticket, state=State.RESOLVED, resolution_code="fixed", resolution_notes="ok")
    auth = bearer(estate.integrator_admin, estate.integrator)
    one = client.get(f"{API}/troubleTicket/{ticket.pk.hex}", **auth).json()
    assert _conforms("TroubleTicket", one) == [] and one["note"] and one["resolutionDate"]
    for item in client.get(f"{API}/troubleTicket", **auth).json():
        assert _conforms("TroubleTicket", item) == []
    assert _conforms("Error", client.get(f"{API}/troubleTicket/nope", **auth).json()) == []


def test_notifications_match_the_documents_event_schemas(estate):
    from towers.core import events
    from towers.core.actor import Actor
    from towers.integration.models import WebhookMessage, WebhookSubscription
    from towers.servicedesk.models import State
    from towers.servicedesk.services.tickets import ticket_transition

    WebhookSubscription.objects.create(organisation=estate.integrator, name="l", target_url="http://l.test/",
                                       secret="s", event_patterns=["servicedesk.*"], flavour="tmf621")  # fmt: skip
    desk = build_desk(estate)
    ticket = desk.raise_incident(title="Notified")
    worker = Actor.system("tests")
    ticket_transition(actor=worker, ticket=ticket, state=State.PENDING, pending_reason="requester")
    ticket_transition(actor=worker, ticket=ticket, state=State.RESOLVED, resolution_code="fixed")
    events.deliver_all_pending()
    notes = [m.payload for m in WebhookMessage.objects.filter(subscription__flavour="tmf621")]
    assert {n["eventType"] for n in notes} >= {"TroubleTicketCreateEvent", "TroubleTicketResolvedEvent",
                                               "TroubleTicketInformationRequiredEvent"}  # fmt: skip
    for note in notes:
        assert _conforms(note["eventType"], note) == [], note["eventType"]
