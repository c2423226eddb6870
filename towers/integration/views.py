"""Pages of the integration hub: webhook subscriptions (pause, resume, rotate the secret) and their messages by
status, with replay of dead ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from towers.core.errors import Forbidden
from towers.integration import selectors
from towers.integration.models import WebhookMessage
from towers.integration.services.subscriptions import (
    webhook_messages_replay,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)
from towers.organisations.views.common import paginate, request_actor, ui_view


@ui_view
def message_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    status = request.GET.get("status", WebhookMessage.Status.DEAD)
    if status not in WebhookMessage.Status.values:
        status = ""
    page = paginate(request, selectors.webhook_message_list(actor=actor, status=status))
    context = {"page": page, "status": status, "statuses": WebhookMessage.Status.choices}
    return render(request, "integration/messages.html", context)


def replay_and_tell(request: HttpRequest, message: Any, replay: Callable[..., int]) -> None:
    """Replay one dead message (webhook or partner) with `replay` and say on the next page what became of it."""
    try:
        replayed = replay(actor=request_actor(request), messages=[message])
    except Forbidden as exc:
        messages.error(request, str(exc))
        return
    if replayed:
        messages.success(request, f"Message {message.pk} will be sent again, in order with its ticket.")
    else:
        messages.info(request, f"Message {message.pk} is not dead; nothing to replay.")


@require_POST
@ui_view
def message_replay(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.webhook_message_get(actor=request_actor(request), id=pk)  # 404 when not the actor's
    replay_and_tell(request, message, webhook_messages_replay)
    return redirect("integration_webhook_messages")


@ui_view
def subscription_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    page = paginate(request, selectors.webhook_subscription_list_with_counts(actor=actor))
    return render(request, "integration/subscriptions.html", {"page": page})


@require_POST
@ui_view
def subscription_toggle(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Pause a subscription (its messages wait, in order) or resume it."""
    actor = request_actor(request)
    subscription = selectors.webhook_subscription_get(actor=actor, id=pk)
    try:
        webhook_subscription_update(actor=actor, subscription=subscription, changes={"active": not subscription.active})
    except Forbidden as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{subscription.name} is {'resumed' if subscription.active else 'paused'}.")
    return redirect("integration_webhook_subscriptions")


@require_POST
@ui_view
def subscription_rotate(request: HttpRequest, pk: UUID) -> HttpResponse:
    """A new signing secret, shown once on the next page; the old one signs beside it for a day."""
    actor = request_actor(request)
    subscription = selectors.webhook_subscription_get(actor=actor, id=pk)
    try:
        secret = webhook_subscription_rotate_secret(actor=actor, subscription=subscription)
    except Forbidden as exc:
        messages.error(request, str(exc))
    else:
        messages.warning(
            request,
            f"New signing secret for {subscription.name}: {secret} — store it now, it is not shown again. "
            "The old secret also signs for 24 hours.",
        )
    return redirect("integration_webhook_subscriptions")
