"""What the change and problem routes share: the actor, paged shaping, ticket references, ids in bodies."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from towers.cmdb.selectors import ci_get
from towers.contracts.selectors import service_get
from towers.organisations.selectors import team_get
from towers.servicedesk.models import Ticket


def actor_of(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


class Mapped:
    """A queryset served a page at a time, each row shaped by `shape` (only the page is shaped)."""

    def __init__(self, queryset: Any, shape: Callable[[Any], Any]) -> None:
        self.queryset, self.shape = queryset, shape

    def __getitem__(self, index: slice) -> list[Any]:
        return [self.shape(row) for row in self.queryset[index]]

    def count(self) -> int:
        return len(self.queryset) if isinstance(self.queryset, list) else int(self.queryset.count())


def ticket_ref(ticket: Ticket) -> dict[str, Any]:
    return {"id": ticket.pk, "reference": ticket.reference, "title": ticket.title}


def resolve_refs(actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Ids in a body turned into the objects they name, each through the actor's sight (404 if not theirs)."""
    if data.get("service"):
        data["service"] = service_get(actor=actor, id=data["service"])
    if data.get("team"):
        data["team"] = team_get(actor=actor, id=data["team"])
    if data.get("cis") is not None:
        data["cis"] = [ci_get(actor=actor, id=ci) for ci in data["cis"]]
    return data
