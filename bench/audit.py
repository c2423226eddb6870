"""What the audit chain and outbox cost a write: a service update against a bare ORM update.

python -m bench.audit [--writes N]
"""

from __future__ import annotations

import argparse

from bench.support import best_of, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=2000)
    args = parser.parse_args()
    setup_django()

    from django.db import transaction

    from towers.core import audit
    from towers.core.actor import Actor
    from towers.organisations.models import Organisation, OrganisationKind, Team
    from towers.organisations.services.organisations import team_update

    authority = Organisation.objects.create(code="authority", name="Authority", kind=OrganisationKind.AUTHORITY)
    team = Team.objects.create(organisation=authority, code="bench", name="Bench")
    actor = Actor.system("bench")
    counter = iter(range(10**9))

    def bare() -> None:
        for _ in range(args.writes):
            with transaction.atomic():
                team.name = f"bare {next(counter)}"
                team.save(update_fields=["name"])

    def audited() -> None:
        for _ in range(args.writes):
            team_update(actor=actor, team=team, changes={"name": f"audited {next(counter)}"})

    baseline = best_of(3, bare)
    measured = best_of(3, audited)
    verify = best_of(1, audit.verify)
    print(f"bare ORM update      : {args.writes / baseline:10.0f} writes/s  (baseline)")
    print(f"service, audited     : {args.writes / measured:10.0f} writes/s  ratio {measured / baseline:.2f}x baseline")
    print(f"audit verify         : {audit.verify().checked / verify:10.0f} entries/s")


if __name__ == "__main__":
    main()
