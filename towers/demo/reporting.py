"""The demo's service reviews: monthly packs by email for the integrator's administrator (the estate) and Apex's
service manager (Apex's own), and an exit pack of Carrier Networks asked for by the force, which the worker builds
when the demo starts. Through the real services, once.
"""

from __future__ import annotations

from django.db import transaction

from towers.core.actor import Channel
from towers.organisations.models import Organisation, Person
from towers.organisations.selectors import actor_for
from towers.reporting.delivery import subscription_create
from towers.reporting.models import ExitPack, PackSubscription
from towers.reporting.services.exit_pack import exit_pack_create


def seed_reporting() -> bool:
    """Subscriptions and an exit pack, unless there are some already; whether it seeded."""
    if PackSubscription.objects.exists() or ExitPack.objects.exists():
        return False
    meridian, apex, authority = (Organisation.objects.get(code=c) for c in ("meridian", "apex", "northshire-police"))
    with transaction.atomic():
        for username, organisation, supplier, formats in [
            ("int.admin", meridian, None, ["pdf"]),
            ("apps.manager", apex, apex, ["pdf", "xlsx"]),
        ]:
            person = Person.objects.get(username=username)
            actor = actor_for(person, organisation=organisation, channel=Channel.WEB)
            subscription_create(actor=actor, person=person, supplier=supplier, formats=formats)
        admin = actor_for(Person.objects.get(username="admin"), organisation=authority, channel=Channel.WEB)
        exit_pack_create(actor=admin, supplier=Organisation.objects.get(code="carrier-networks"))
    return True
