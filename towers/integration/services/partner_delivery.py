"""Sending owed messages to partners' TMF621 endpoints: in order per ticket, retried with back-off, then dead.

The same discipline as webhook delivery (services/delivery.py): a short claiming transaction takes due heads
(SKIP LOCKED on PostgreSQL), counts the attempt and leases them; HTTP happens outside any transaction; an
outcome is recorded only while the attempt is still this worker's. A message waits while an earlier message of
its integration and ticket is pending or dead, so an update never overtakes the create that gives it the
partner's id, and a dead message holds its ticket's later messages until it is replayed.

Every request carries `Idempotency-Key` (the message's, the same on every retry) and `X-Correlation-ID` (the
bond's correlation id, also sent as the ticket's externalIdentifier).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from towers.integration.models_partners import PartnerMessage, TicketBond
from towers.integration.services.delivery import DeliveryOptions, DeliveryRun
from towers.integration.signing import backoff_seconds
from towers.integration.targets import target_refusal

Status = PartnerMessage.Status


def due_partner_messages() -> QuerySet[PartnerMessage]:
    """Outbound messages whose time has come and that are first in their (integration, ticket)."""
    earlier = PartnerMessage.objects.filter(
        integration=OuterRef("integration"),
        ordering_key=OuterRef("ordering_key"),
        direction="out",
        id__lt=OuterRef("id"),
        status__in=[Status.PENDING, Status.DEAD],
    )
    return PartnerMessage.objects.filter(
        Q(ordering_key="") | ~Exists(earlier),
        direction="out",
        status=Status.PENDING,
        next_attempt_at__lte=timezone.now(),
        integration__active=True,  # a switched-off integration keeps its messages until it is switched on again
    ).order_by("id")


def _claim(limit: int, options: DeliveryOptions) -> list[PartnerMessage]:
    now = timezone.now()
    with transaction.atomic():
        heads = list(
            due_partner_messages()
            .select_related("integration", "bond")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        PartnerMessage.objects.filter(pk__in=[m.pk for m in heads]).update(
            attempts=F("attempts") + 1, next_attempt_at=now + timedelta(seconds=options.lease)
        )
    for message in heads:
        message.attempts += 1
    return heads


def _request(client: httpx.Client, message: PartnerMessage, timeout: float) -> httpx.Response:
    integration, bond = message.integration, message.bond
    headers = {
        "Accept": "application/json",
        "Idempotency-Key": str(message.idempotency_key),
        "X-Correlation-ID": message.correlation_id,
        "User-Agent": "Towers-Partners/1",
    }
    if integration.auth_token:
        headers["Authorization"] = f"Bearer {integration.auth_token}"
    refused = target_refusal(integration.base_url)
    if refused:
        raise LookupError(f"Refused: {refused}")
    root = integration.base_url.rstrip("/")
    if message.operation == "create":
        return client.post(f"{root}/troubleTicket", json=message.payload, headers=headers, timeout=timeout)
    if bond is None or not bond.remote_id:
        raise LookupError("the partner has not given its id for this ticket yet (its create is not answered)")
    headers["Content-Type"] = "application/merge-patch+json"
    url = f"{root}/troubleTicket/{bond.remote_id}"
    return client.patch(url, json=message.payload, headers=headers, timeout=timeout)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {"text": response.text[:2000]}
    return data if isinstance(data, dict) else {"body": data}


def _held(message: PartnerMessage) -> QuerySet[PartnerMessage]:
    return PartnerMessage.objects.filter(pk=message.pk, attempts=message.attempts, status=Status.PENDING)


def _record(message: PartnerMessage, response: httpx.Response | None, error: str, options: DeliveryOptions) -> str:
    fields: dict[str, Any] = {"last_error": error[:2000]}
    if response is not None:
        fields |= {"http_status": response.status_code, "response": _body(response)}
    if not error:
        fields |= {"status": Status.SENT, "completed_at": timezone.now()}
    elif message.attempts >= options.max_attempts:
        fields |= {"status": Status.DEAD, "completed_at": timezone.now()}
    else:
        delay = backoff_seconds(message.attempts, base=options.backoff_base, cap=options.backoff_cap)
        fields["next_attempt_at"] = timezone.now() + timedelta(seconds=delay)
    with transaction.atomic():
        if not _held(message).update(**fields):
            return "lost"  # the lease ran out and another worker has it now
        if not error and message.bond_id and response is not None:
            _remember_remote(message, fields["response"])
    return str(fields.get("status", Status.PENDING))


def _remember_remote(message: PartnerMessage, body: dict[str, Any]) -> None:
    """The partner's id, href and status of the ticket, as its answer gave them."""
    remote: dict[str, Any] = {"synced_at": timezone.now()}
    if message.operation == "create" and body.get("id"):
        remote |= {"remote_id": str(body["id"])[:200], "remote_href": str(body.get("href") or "")[:500]}
    if isinstance(body.get("status"), str):
        remote["remote_status"] = body["status"][:60]
    TicketBond.objects.filter(pk=message.bond_id or 0).update(**remote)


def partners_deliver_due(
    *, client: httpx.Client | None = None, options: DeliveryOptions | None = None, limit: int = 100
) -> DeliveryRun:
    """One pass: claim the due heads (at most one per ticket and partner), send each, record each outcome."""
    options = options or DeliveryOptions.from_settings()
    run = DeliveryRun()
    heads = _claim(limit, options)
    own_client = client is None
    client = client or httpx.Client(timeout=options.timeout)
    try:
        for message in heads:
            response, error = None, ""
            try:
                response = _request(client, message, options.timeout)
                if not 200 <= response.status_code < 300:
                    error = f"HTTP {response.status_code}: {response.text[:500]}"
            except (httpx.HTTPError, LookupError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            run.sent += 1
            outcome = _record(message, response, error, options)
            run.delivered += outcome == Status.SENT
            run.dead += outcome == Status.DEAD
            run.failed += outcome == Status.PENDING
    finally:
        if own_client:
            client.close()
    return run


def partners_deliver_all(*, client: httpx.Client | None = None, options: DeliveryOptions | None = None) -> DeliveryRun:
    """Passes until nothing is due (messages backing off wait for a later run)."""
    total = DeliveryRun()
    while (run := partners_deliver_due(client=client, options=options)).sent:
        total.add(run)
    return total


def partner_next_due_at() -> Any:
    first = PartnerMessage.objects.filter(direction="out", status=Status.PENDING).order_by("next_attempt_at").first()
    return first.next_attempt_at if first else None
