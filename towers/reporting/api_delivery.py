"""REST routes of scheduled pack delivery (thin): subscribe to a monthly pack by email, list, stop."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status

from towers.core.permissions import get_visible
from towers.organisations.models import Person
from towers.organisations.selectors import person_get
from towers.reporting.access import supplier_by_code, tower_by_code
from towers.reporting.delivery import subscription_cancel, subscription_create, subscriptions_for
from towers.reporting.models import PackSubscription
from towers.reporting.schemas_delivery import SubscriptionIn, SubscriptionOut

router = Router(tags=["Reporting"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


@router.get("/review-subscriptions", response=list[SubscriptionOut], summary="Monthly packs sent by email")
def subscriptions(request: HttpRequest) -> Any:
    return list(subscriptions_for(_actor(request)))


@router.post("/review-subscriptions", response={201: SubscriptionOut})
def subscribe(request: HttpRequest, body: SubscriptionIn) -> Any:
    actor = _actor(request)
    person = person_get(actor=actor, id=body.person) if body.person else Person.objects.get(pk=actor.person_id)
    supplier = supplier_by_code(actor, body.supplier) if body.supplier else None
    tower = tower_by_code(actor, body.tower) if body.tower and supplier is None else None
    subscription = subscription_create(
        actor=actor, person=person, supplier=supplier, tower=tower, formats=body.formats, day_of_month=body.day_of_month
    )
    return Status(201, subscriptions_for(actor).get(pk=subscription.pk))


@router.delete("/review-subscriptions/{id}", response={204: None}, summary="Stop a subscription")
def unsubscribe(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    subscription_cancel(actor=actor, subscription=get_visible(actor, PackSubscription.objects, pk=id))
    return Status(204, None)
