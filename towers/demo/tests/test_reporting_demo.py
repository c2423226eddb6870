"""The demo's service reviews: packs by email for the integrator and Apex, and an exit pack for the worker."""

import pytest

from towers.demo import estate
from towers.demo.reporting import seed_reporting
from towers.reporting.models import ExitPack, PackSubscription
from towers.reporting.tasks import build_exit_pack

pytestmark = pytest.mark.django_db


def test_subscriptions_and_an_exit_pack_the_worker_builds(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setitem(estate.SIZES, "small", 20)
    estate.seed("small")
    assert seed_reporting() and not seed_reporting()  # once
    subscriptions = PackSubscription.objects.order_by("person__username")
    assert [(s.person.username, s.supplier.code if s.supplier else None) for s in subscriptions] == [
        ("apps.manager", "apex"),
        ("int.admin", None),
    ]
    pack = ExitPack.objects.get()
    assert pack.supplier.code == "carrier-networks" and pack.status == "queued"
    assert build_exit_pack.call(str(pack.pk)) > 0
    pack.refresh_from_db()
    assert pack.status == "done" and len(pack.sha256) == 64
