"""The one visibility and permission mechanism: every selector, route, export and report goes through it.

Each model registers a policy saying which of its lookups lead to the organisations party to a record
(a ticket's requester and assignee organisations, a contract's supplier...) and how sensitive it is.
`visible_to` turns the actor's scope into a filter on those lookups; `ensure_can` adds role and
ownership checks for writes. A model with no policy cannot be read through here at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet

from towers.core.actor import Actor, Sensitivity
from towers.core.errors import Forbidden, NotFound
from towers.core.roles import Role

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Policy:
    parties: tuple[str, ...]
    owner: str | Callable[[Any], Iterable[UUID]]
    sensitivity: Sensitivity
    directory: bool
    spans_many: bool
    party_rows: PartyRows | None


@dataclass(frozen=True)
class PartyRows:
    """A table listing the organisations party to each record, filtered with EXISTS so pages stay index-driven.

    model: the party table; record: its foreign key to the record; organisation: its organisation field;
    outer: the field of the registered model holding the record's id ("pk", or "ticket" for a child row).
    """

    model: type[models.Model]
    record: str
    organisation: str = "organisation"
    outer: str = "pk"


_policies: dict[type[models.Model], Policy] = {}
_actions: dict[str, frozenset[str]] = {}


def register(
    model: type[models.Model],
    *,
    parties: Iterable[str],
    owner: str | Callable[[Any], Iterable[UUID]],
    sensitivity: Sensitivity = Sensitivity.OPERATIONAL,
    directory: bool = False,
    spans_many: bool = False,
    party_rows: PartyRows | None = None,
) -> None:
    """Declare how `model` is segregated.

    parties: lookups to the organisations party to a record ("pk" for Organisation itself).
    owner: attribute path to the organisation that administers it ("team.organisation"), or a
        function of the object returning the ids of the organisations that do.
    directory: who-is-who data, also visible to the actor's counterparties.
    spans_many: a party lookup crosses a to-many relation, so filter through a subquery.
    party_rows: a party table, checked with EXISTS in addition to `parties`.
    """
    _policies[model] = Policy(tuple(parties), owner, sensitivity, directory, spans_many, party_rows)


def define_action(action: str, *, roles: Iterable[str]) -> None:
    """Name an action and the roles that may perform it (within the actor's own organisation)."""
    _actions[action] = frozenset(roles)


def policy_for(model: type[models.Model]) -> Policy:
    try:
        return _policies[model]
    except KeyError:
        raise ImproperlyConfigured(f"{model.__name__} has no visibility policy; call permissions.register") from None


def registered_models() -> list[type[models.Model]]:
    return list(_policies)


def visible_to(actor: Actor, queryset: QuerySet[M] | models.Manager[M]) -> QuerySet[M]:
    """Only the rows of `queryset` that `actor` may see."""
    qs = queryset.all()
    policy = policy_for(qs.model)
    organisation_ids = actor.scope.organisations(policy.sensitivity, directory=policy.directory)
    if organisation_ids is None:
        return qs
    condition = Q()
    for lookup in policy.parties:
        condition |= Q(**{f"{lookup}__in": organisation_ids})
    if policy.party_rows is not None:
        rows = policy.party_rows
        condition |= Q(
            Exists(
                rows.model._default_manager.filter(
                    **{rows.record: OuterRef(rows.outer), f"{rows.organisation}__in": organisation_ids}
                )
            )
        )
    if policy.spans_many:
        return qs.filter(pk__in=qs.model._default_manager.filter(condition).values("pk"))
    return qs.filter(condition)


def get_visible(actor: Actor, queryset: QuerySet[M] | models.Manager[M], **lookup: Any) -> M:
    """One visible object, or NotFound whether it is missing or merely not the actor's to see."""
    try:
        return visible_to(actor, queryset).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"No {queryset.model._meta.verbose_name} matches {lookup}.") from exc


def owner_ids(obj: models.Model) -> frozenset[UUID]:
    """The ids of the organisations that administer `obj`, by its policy's owner rule."""
    owner = policy_for(type(obj)).owner
    if callable(owner):
        return frozenset(owner(obj))
    if owner == "pk":
        return frozenset({obj.pk})
    *hops, last = owner.split(".")
    target: Any = obj
    for hop in hops:
        target = getattr(target, hop)
    return frozenset({getattr(target, f"{last}_id")})


def ensure_can(actor: Actor, action: str, target: models.Model) -> None:
    """Raise unless `actor` may perform `action` on `target` (or, for creation, within `target`)."""
    try:
        roles = _actions[action]
    except KeyError:
        raise ImproperlyConfigured(f"unknown action {action!r}; call permissions.define_action") from None
    # An object being created (its UUID is assigned before it is saved) is checked on ownership alone.
    exists = not target._state.adding
    if exists and not visible_to(actor, type(target)._default_manager).filter(pk=target.pk).exists():
        raise NotFound(f"No such {target._meta.verbose_name}.")
    if actor.read_only:
        raise Forbidden("Auditors have read-only access.")
    if actor.is_system:
        return
    if not actor.has_role(*roles):
        needed = ", ".join(sorted(Role(r).label for r in roles))
        raise Forbidden(f"{action} needs one of these roles: {needed}.")
    if not actor.scope.everything and actor.organisation_id not in owner_ids(target):
        raise Forbidden(f"{action} is for {target._meta.verbose_name}s of your own organisation.")


def permitted(actor: Actor, action: str, queryset: QuerySet[M] | models.Manager[M]) -> QuerySet[M]:
    """The objects of `queryset` on which `actor` may perform `action`, in one query (e.g. for a form's choices)."""
    roles = _actions[action]
    visible = visible_to(actor, queryset)
    if actor.read_only or not actor.has_role(*roles):
        return visible.none()
    if actor.is_system or actor.scope.everything:
        return visible
    owner = policy_for(visible.model).owner
    if callable(owner):
        return visible.filter(pk__in=[obj.pk for obj in visible if actor.organisation_id in owner_ids(obj)])
    return visible.filter(**{"pk" if owner == "pk" else owner.replace(".", "__"): actor.organisation_id})


def can(actor: Actor, action: str, target: models.Model) -> bool:
    try:
        ensure_can(actor, action, target)
    except (Forbidden, NotFound):
        return False
    return True
