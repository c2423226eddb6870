"""Shapes of the rule management API: custom rule texts, their validation, and rules as stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema


class SocRuleTextIn(Schema):
    text: str = Field(..., min_length=1, description="One Sigma rule (YAML) with an id, a title and a detection.")


class SocRuleValidateIn(SocRuleTextIn):
    sample_events: list[dict[str, Any]] = Field(
        default_factory=list, max_length=100, description="Flat events: the answer says whether the rule matches each."
    )


class SocSampleOut(Schema):
    index: int
    matched: bool
    error: str
    detail: str


class SocRuleValidationOut(Schema):
    valid: bool
    errors: list[str]
    rule_id: str
    title: str
    level: str
    kind: str
    tags: list[str]
    samples: list[SocSampleOut]
    notes: list[str]


class SocCustomRuleOut(Schema):
    id: UUID
    rule_id: str
    title: str
    level: str
    kind: str
    tags: list[str]
    enabled: bool
    custom_text: str
    exceptions: list[dict[str, Any]]
    version: int
    updated_at: datetime
