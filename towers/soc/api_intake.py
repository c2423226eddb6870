"""REST routes for SOC event intake (thin): a batch of events in, and the quarantine and counters out."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from towers.core.api import Page
from towers.core.errors import Forbidden
from towers.core.permissions import get_visible, visible_to
from towers.organisations.models import Organisation
from towers.soc.intake.event import Event, Quarantined
from towers.soc.intake.http import MAX_BATCH, parse_batch
from towers.soc.models.intake import IntakeCounter, QuarantinedEvent
from towers.soc.services.intake import events_accept

router = Router(tags=["SOC intake"])
RAW_SHOWN = 4096  # bytes of a quarantined input shown in a listing; the row keeps all of it

_BATCH_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "anyOf": [
                    {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object"}}}},
                    {"type": "array", "items": {"type": "object"}, "maxItems": MAX_BATCH},
                ]
            }
        }
    },
}


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


class QuarantineReason(Schema):
    offset: int | None
    reason: str


class BatchOut(Schema):
    accepted: int
    quarantined: int
    duplicates: int
    reasons: list[QuarantineReason]


class QuarantineOut(Schema):
    id: UUID
    organisation: UUID
    source: str
    reason: str
    offset: int | None
    received_at: datetime
    raw: str

    @staticmethod
    def resolve_organisation(obj: QuarantinedEvent) -> UUID:
        return obj.organisation_id

    @staticmethod
    def resolve_raw(obj: QuarantinedEvent) -> str:
        return bytes(obj.raw[:RAW_SHOWN]).decode("utf-8", "replace")


class CounterOut(Schema):
    organisation: UUID
    source: str
    day: date
    accepted: int
    quarantined: int

    @staticmethod
    def resolve_organisation(obj: IntakeCounter) -> UUID:
        return obj.organisation_id


@router.post(
    "/events/batch",
    response={200: BatchOut, 400: BatchOut},
    summary='Submit security events: a JSON array of objects, or {"events": [...]}; bad items are quarantined',
    openapi_extra={"requestBody": _BATCH_BODY},
)
def events_batch(request: HttpRequest) -> Any:
    actor = _actor(request)
    if actor.organisation_id is None:
        raise Forbidden("Submitting events needs an organisation to act for.")
    organisation = get_visible(actor, Organisation.objects, pk=actor.organisation_id)
    results = parse_batch(request.body)
    result = events_accept(
        actor=actor,
        events=[r for r in results if isinstance(r, Event)],
        quarantined=[r for r in results if isinstance(r, Quarantined)],
        organisation=organisation,
    )
    out = BatchOut(
        accepted=result.accepted,
        quarantined=result.quarantined,
        duplicates=result.duplicates,
        reasons=[QuarantineReason(offset=o, reason=r) for o, r in result.reasons],
    )
    # A body that is not a batch at all is the client's error (kept in quarantine all the same).
    whole_body_bad = len(results) == 1 and isinstance(results[0], Quarantined) and results[0].offset is None
    return Status(400, out) if whole_body_bad else out


@router.get("/intake/quarantine", response=list[QuarantineOut], summary="Inputs that could not be parsed, newest first")
@paginate(Page)
def quarantine_list(request: HttpRequest, source: str = "") -> Any:
    rows = visible_to(_actor(request), QuarantinedEvent.objects)
    return rows.filter(source=source) if source else rows


@router.get("/intake/counters", response=list[CounterOut], summary="Events accepted and quarantined per source and day")
@paginate(Page)
def counter_list(request: HttpRequest, day: date | None = None) -> Any:
    rows = visible_to(_actor(request), IntakeCounter.objects)
    return rows.filter(day=day) if day else rows
