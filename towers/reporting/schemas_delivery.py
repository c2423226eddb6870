"""API shapes of scheduled pack delivery: subscriptions."""

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema


class SubscriptionIn(Schema):
    supplier: str | None = Field(None, description="The supplier's organisation code; none for the whole estate.")
    tower: str | None = Field(None, description="A tower's code, for the tower's pack (instead of a supplier).")
    formats: list[str] = Field(["pdf"], description="pdf and/or xlsx")
    day_of_month: int = Field(3, description="1–28: the day last month's pack is sent.")
    person: UUID | None = Field(None, description="An administrator may subscribe someone else.")


class SubscriptionOut(Schema):
    id: UUID
    person: str = Field(alias="person.username")
    supplier: str | None = Field(None, alias="supplier.code")
    tower: str | None = Field(None, alias="tower.code")
    formats: list[str]
    day_of_month: int
    active: bool
    created_at: datetime
