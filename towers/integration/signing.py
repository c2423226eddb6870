"""Webhook signatures and retry timing: pure functions, no Django (receivers can copy this module).

`Towers-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`. Signing the timestamp
with the body lets a receiver refuse a captured request replayed outside its tolerance window.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from fnmatch import fnmatchcase


def sign(secret: str, body: bytes, timestamp: int, *older: str) -> str:
    """The Towers-Signature header value for `body` sent at `timestamp`: one v1 per secret, the current first
    (while a rotated-out secret is still honoured, receivers holding either one can verify)."""
    macs = [
        hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest() for key in (secret, *older)
    ]
    return f"t={timestamp}," + ",".join(f"v1={mac}" for mac in macs)


def verify_signature(secret: str, header: str, body: bytes, now: float, tolerance: int = 300) -> bool:
    """Whether `header` signs `body` with `secret` and was made within `tolerance` seconds of `now`."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures or abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).partition(",v1=")[2]  # the one signature made with `secret`
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)


def matches(patterns: list[str], event_name: str) -> bool:
    """Whether an event name matches any subscription pattern ("servicedesk.ticket.*", "*")."""
    return any(fnmatchcase(event_name, pattern) for pattern in patterns)


def backoff_seconds(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Delay before the next try after `attempts` failures: exponential, capped, with "equal jitter"."""
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
