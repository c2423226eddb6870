"""API shapes of the integration hub."""

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema


class WebhookSubscriptionIn(Schema):
    name: str = Field(max_length=200)
    target_url: str = Field(max_length=500, description="Where events are POSTed (http or https).")
    event_patterns: list[str] = Field(description='Event names or patterns, e.g. ["servicedesk.ticket.*"].')


class WebhookSubscriptionPatch(Schema):
    name: str | None = Field(default=None, max_length=200)
    target_url: str | None = Field(default=None, max_length=500)
    event_patterns: list[str] | None = None
    active: bool | None = Field(default=None, description="False pauses delivery; what is owed waits.")


class WebhookSecretRotateIn(Schema):
    overlap_hours: int = Field(
        default=24, ge=0, le=168, description="How long the old secret keeps signing beside the new one."
    )


class WebhookSecretOut(Schema):
    secret: str = Field(description="The new HMAC-SHA256 signing secret. Shown once: store it now.")
    old_secret_valid_until: datetime | None


class WebhookSubscriptionOut(Schema):
    id: UUID
    organisation: UUID = Field(alias="organisation_id")
    name: str
    target_url: str
    event_patterns: list[str]
    active: bool
    flavour: str
    created_at: datetime
    version: int


class WebhookSubscriptionCreatedOut(WebhookSubscriptionOut):
    secret: str = Field(description="The HMAC-SHA256 signing secret. Shown once: store it now.")


class WebhookMessageOut(Schema):
    id: int
    subscription: UUID = Field(alias="subscription_id")
    idempotency_key: UUID
    event_name: str
    ordering_key: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


class WebhookReplayOut(Schema):
    replayed: int
