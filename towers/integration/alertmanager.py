"""The Prometheus Alertmanager webhook (payload version 4), read into plain alerts. Pure: no database.

Alertmanager posts a group of alerts: each has a status (firing or resolved), labels (which identify it),
annotations (which describe it), start and end times and a fingerprint — a hash of its labels that stays the same
while the alert fires and when it resolves, so it is what de-duplicates. A firing alert's `endsAt` is either
the zero time or a time in the future that Alertmanager keeps moving; only a resolved alert's end is final.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SUPPORTED_VERSION = "4"
STATUSES = ("firing", "resolved")
# Go's zero time, which Alertmanager sends as the end of an alert that has none yet.
_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)
# Go writes up to nine fractional digits; Python reads six.
_NANOS = re.compile(r"(\.\d{6})\d+")
# Labels that usually name the affected host or service, most specific first.
TARGET_LABELS = ("host", "hostname", "instance", "node", "service", "job")


class PayloadError(ValueError):
    """The payload is not an Alertmanager webhook message; `problems` says what is wrong, field by field."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {', '.join(found)}" for name, found in problems.items()))


@dataclass(frozen=True)
class MonitoringAlert:
    fingerprint: str
    status: str  # firing | resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None  # only when resolved, or when Alertmanager set a real end
    generator_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "") or "unnamed alert"

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "").lower()

    @property
    def summary(self) -> str:
        """What a person reads first: the summary annotation, else the alert's name and target."""
        text = self.annotations.get("summary") or self.annotations.get("description") or ""
        return text or f"{self.name} on {self.target or 'an unnamed target'}"

    @property
    def target(self) -> str:
        """The host or service the alert is about, without a port (`db1:9100` → `db1`)."""
        for label in TARGET_LABELS:
            value = self.labels.get(label, "")
            if value:
                return value.rsplit(":", 1)[0] if label == "instance" and value.count(":") == 1 else value
        return ""


@dataclass(frozen=True)
class Notification:
    receiver: str
    status: str
    group_key: str
    alerts: list[MonitoringAlert] = field(default_factory=list)
    external_url: str = ""
    truncated: int = 0  # alerts Alertmanager left out of this message (max_alerts)


def parse_time(value: object, name: str, problems: dict[str, list[str]]) -> datetime | None:
    if not isinstance(value, str) or not value:
        problems.setdefault(name, []).append("must be an RFC 3339 time")
        return None
    try:
        parsed = datetime.fromisoformat(_NANOS.sub(r"\1", value).replace("Z", "+00:00"))
    except ValueError:
        problems.setdefault(name, []).append(f"{value[:40]!r} is not an RFC 3339 time")
        return None
    if parsed.tzinfo is None:
        problems.setdefault(name, []).append("must carry a time zone")
        return None
    return parsed.astimezone(UTC)


def _strings(value: object, name: str, problems: dict[str, list[str]]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        problems.setdefault(name, []).append("must be an object of names to strings")
        return {}
    return {k: v if isinstance(v, str) else str(v) for k, v in value.items()}


def _alert(raw: object, index: int, problems: dict[str, list[str]]) -> MonitoringAlert | None:
    where = f"alerts[{index}]"
    if not isinstance(raw, dict):
        problems.setdefault(where, []).append("must be an object")
        return None
    before = sum(len(found) for found in problems.values())
    status = raw.get("status")
    if status not in STATUSES:
        problems.setdefault(f"{where}.status", []).append("must be 'firing' or 'resolved'")
    fingerprint = raw.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint.strip():
        problems.setdefault(f"{where}.fingerprint", []).append("is required (Alertmanager ≥ 0.19 sends it)")
    labels = _strings(raw.get("labels"), f"{where}.labels", problems)
    annotations = _strings(raw.get("annotations"), f"{where}.annotations", problems)
    starts_at = parse_time(raw.get("startsAt"), f"{where}.startsAt", problems)
    ends_at = parse_time(raw["endsAt"], f"{where}.endsAt", problems) if raw.get("endsAt") else None
    if sum(len(found) for found in problems.values()) > before or starts_at is None:
        return None
    if ends_at is not None and (ends_at <= _ZERO_TIME or status == "firing"):
        ends_at = None  # the zero time, or a firing alert's provisional end: not an end yet
    return MonitoringAlert(
        fingerprint=str(fingerprint).strip(),
        status=str(status),
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=str(raw.get("generatorURL") or ""),
    )


def parse_notification(payload: Any) -> Notification:
    """Read one webhook message; raises PayloadError naming every problem (nothing is half-read)."""
    if not isinstance(payload, dict):
        raise PayloadError({"body": ["must be a JSON object (the Alertmanager webhook message)"]})
    problems: dict[str, list[str]] = {}
    version = str(payload.get("version", ""))
    if version != SUPPORTED_VERSION:
        problems["version"] = [f"must be {SUPPORTED_VERSION!r} (Alertmanager's webhook format), not {version!r}"]
    raw_alerts = payload.get("alerts")
    if not isinstance(raw_alerts, list):
        problems.setdefault("alerts", []).append("must be a list")
        raw_alerts = []
    alerts = [_alert(raw, i, problems) for i, raw in enumerate(raw_alerts)]
    if problems:
        raise PayloadError(problems)
    truncated = payload.get("truncatedAlerts") or 0
    return Notification(
        receiver=str(payload.get("receiver") or ""),
        status=str(payload.get("status") or ""),
        group_key=str(payload.get("groupKey") or ""),
        alerts=[a for a in alerts if a is not None],
        external_url=str(payload.get("externalURL") or ""),
        truncated=truncated if isinstance(truncated, int) else 0,
    )
