"""API tokens: created by their owner, shown once, stored only as a hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.records import validate
from towers.organisations.models import ApiToken, Person

TOKEN_PREFIX = "twr_"  # noqa: S105  (a label, not a secret)
TOKEN_FIELDS = ["name", "organisation", "scope", "expires_at"]


def token_digest(secret: str) -> str:
    # The secret has 256 bits of entropy, so a plain SHA-256 is enough (no slow KDF needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *, actor: Actor, name: str, scope: str = ApiToken.Scope.READ, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for the acting person and organisation; return it with its secret (shown once)."""
    if actor.person_id is None or actor.organisation_id is None:
        raise Forbidden("Only a person acting for an organisation can create API tokens.")
    if actor.read_only and scope != ApiToken.Scope.READ:
        raise Forbidden("Auditors can create read-only tokens only.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed.one("expires_at", "must be in the future")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        person=Person.objects.get(pk=actor.person_id),
        organisation_id=actor.organisation_id,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(secret),
        scope=scope,
        expires_at=expires_at,
    )
    validate(token)
    with transaction.atomic():
        token.save()
        audit.record(actor, "api_token.created", token, after=audit.snapshot(token, TOKEN_FIELDS))
    return token, secret


def token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    if token.person_id != actor.person_id:
        raise Forbidden("Only the token's owner can revoke it.")
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at", "updated_at"])
            audit.record(actor, "api_token.revoked", token, after={"revoked_at": token.revoked_at})
    return token


def token_authenticate(secret: str) -> ApiToken | None:
    """The live token matching `secret`, or None if unknown, expired or revoked."""
    token = (
        ApiToken.objects.select_related("person", "organisation")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, person__is_active=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= timezone.now()):
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        # Bounded to once a minute so that a busy integration does not write on every call.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
