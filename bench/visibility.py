"""What segregation costs a list: a supplier's page of 50 people, filtered, against the unfiltered query.

python -m bench.visibility [--people N]
"""

from __future__ import annotations

import argparse

from bench.support import best_of, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=50000)
    args = parser.parse_args()
    setup_django()

    from django.db.models import Prefetch

    from towers.core.actor import Channel
    from towers.core.roles import Role
    from towers.organisations.models import Membership, Organisation, OrganisationKind, Person
    from towers.organisations.selectors import actor_for, person_list

    authority = Organisation.objects.create(code="authority", name="Authority", kind=OrganisationKind.AUTHORITY)
    suppliers = [Organisation.objects.create(code=f"s{n}", name=f"Supplier {n}", kind="supplier") for n in range(20)]
    people = Person.objects.bulk_create(Person(username=f"p{n:07d}", last_name=f"P{n:07d}") for n in range(args.people))
    homes = [authority, *suppliers]
    Membership.objects.bulk_create(
        Membership(person=p, organisation=homes[n % len(homes)], role=Role.RESOLVER) for n, p in enumerate(people)
    )
    reader = Person.objects.create(username="reader")
    Membership.objects.create(person=reader, organisation=suppliers[3], role=Role.ADMINISTRATOR)
    actor = actor_for(reader, channel=Channel.API)

    def unfiltered() -> int:
        qs = Person.objects.prefetch_related(Prefetch("memberships", to_attr="visible_memberships"))
        return len(list(qs.order_by("last_name", "first_name", "username")[:50]))

    def segregated() -> int:
        return len(list(person_list(actor=actor)[:50]))

    baseline = best_of(20, unfiltered)
    measured = best_of(20, segregated)
    print(f"{args.people} people in 21 organisations; one supplier's page of 50")
    print(f"unfiltered page      : {baseline * 1000:8.2f} ms  (baseline)")
    print(f"segregated page      : {measured * 1000:8.2f} ms  ratio {measured / baseline:.2f}x baseline")


if __name__ == "__main__":
    main()
