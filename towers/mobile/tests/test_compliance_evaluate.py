"""devices_evaluate: the fleet against its rules in bulk, history on change, one ticket per newly failing device."""

from datetime import timedelta

from django.utils import timezone

from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.mobile.models import Compliance, ComplianceRule, Device, DeviceEvent, DeviceStatus
from towers.mobile.services.compliance import devices_evaluate
from towers.mobile.tests.factories import Fleet
from towers.servicedesk.models import Ticket
from towers.servicedesk.tests.factories import build_desk


def test_breaching_devices_are_non_compliant_with_reasons_and_the_rest_compliant(fleet: Fleet) -> None:
    fleet.rule(kind=ComplianceRule.Kind.ENCRYPTION)
    fleet.rule(kind=ComplianceRule.Kind.OS_FLOOR, platform="ios", value="17.4")
    good, bad = fleet.device(), fleet.device(os_version="16.7", encrypted=False)
    run = devices_evaluate(actor=fleet.actor, devices=Device.objects.all())
    assert (run.evaluated, run.non_compliant, run.newly_non_compliant, run.tickets) == (2, 1, 1, 0)
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.compliance == Compliance.COMPLIANT and good.compliance_reasons == []
    assert bad.compliance == Compliance.NON_COMPLIANT
    assert sorted(bad.compliance_reasons) == ["iOS 16.7 is below the floor 17.4", "not encrypted"]
    assert bad.compliance_checked_at is not None


def test_inactive_rules_and_other_organisations_rules_do_not_apply(fleet: Fleet) -> None:
    fleet.rule(kind=ComplianceRule.Kind.ENCRYPTION, active=False)
    fleet.rule(kind=ComplianceRule.Kind.PASSCODE, organisation=fleet.estate.applications)
    device = fleet.device(encrypted=False, passcode=False)
    devices_evaluate(actor=fleet.actor, devices=[device])
    device.refresh_from_db()
    assert device.compliance == Compliance.COMPLIANT


def test_history_records_only_changes_of_compliance(fleet: Fleet) -> None:
    fleet.rule(kind=ComplianceRule.Kind.ENCRYPTION)
    device = fleet.device(encrypted=False)
    devices_evaluate(actor=fleet.actor, devices=[device])
    devices_evaluate(actor=fleet.actor, devices=Device.objects.all())
    device.encrypted = True
    devices_evaluate(actor=fleet.actor, devices=[device])
    changes = list(DeviceEvent.objects.filter(device=device, kind="compliance_changed").values_list("data", flat=True))
    assert [c["from"] for c in changes] == [Compliance.UNKNOWN, Compliance.NON_COMPLIANT]
    assert AuditEntry.objects.filter(action="mobile.compliance.evaluated").count() == 3


def test_a_ticket_is_raised_once_per_newly_non_compliant_device_on_the_rules_team(fleet: Fleet) -> None:
    build_desk(fleet.estate)
    fleet.rule(kind=ComplianceRule.Kind.JAILBREAK, raises_ticket=True, ticket_team=fleet.team)
    from towers.mobile.services.devices import device_register

    device = device_register(
        actor=fleet.actor, organisation=fleet.owner, support_team=fleet.team, imei="356938035643809", jailbroken=True
    )
    fleet.device(jailbroken=True, status=DeviceStatus.LOST)  # a lost device has its own process: no ticket
    first = devices_evaluate(actor=Actor.system("tests"), devices=Device.objects.all())
    again = devices_evaluate(actor=Actor.system("tests"), devices=Device.objects.all())
    assert (first.tickets, again.tickets, again.newly_non_compliant) == (1, 0, 0)
    ticket = Ticket.objects.get()
    assert ticket.team == fleet.team and list(ticket.cis.all()) == [device.ci]
    assert "jailbroken or rooted" in ticket.description
    raised = DeviceEvent.objects.get(kind="compliance_ticket")
    assert (raised.device_id, raised.ticket_id) == (device.id, ticket.id)


def test_a_large_fleet_is_evaluated_in_a_bounded_number_of_queries(fleet: Fleet, django_assert_max_num_queries) -> None:
    fleet.rule(kind=ComplianceRule.Kind.CHECK_IN_AGE, value="30")
    old = timezone.now() - timedelta(days=60)
    Device.objects.bulk_create(
        [Device(organisation=fleet.owner, imei=f"{i:015d}", last_check_in=old) for i in range(3000)]
    )
    # Batches, not rows: SQLite's limit on bound variables sets how many rows go in each statement.
    with django_assert_max_num_queries(100):
        run = devices_evaluate(actor=Actor.system("tests"), devices=Device.objects.all())
    assert run.non_compliant == 3000
    assert DeviceEvent.objects.filter(kind="compliance_changed").count() == 3000
