"""Human references (INC0001234, REQ…): one counter row per prefix, incremented under its row lock."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from towers.servicedesk.models import ReferenceCounter


def next_number(prefix: str) -> int:
    """The next number for `prefix`, inside the caller's transaction (the lock is held until it commits)."""
    if not ReferenceCounter.objects.filter(prefix=prefix).update(value=F("value") + 1):
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(prefix=prefix, value=1)
            return 1
        except IntegrityError:  # another transaction created it first
            ReferenceCounter.objects.filter(prefix=prefix).update(value=F("value") + 1)
    return ReferenceCounter.objects.values_list("value", flat=True).get(prefix=prefix)


def next_reference(prefix: str) -> str:
    return f"{prefix}{next_number(prefix):07d}"
