"""The contracts, catalogue, calendar and service level screens, driven through Django's test client."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from towers.contracts.forms import DurationTextField
from towers.contracts.models import (
    Calendar,
    CalendarClosure,
    CalendarHours,
    Contract,
    ContractCharge,
    Service,
    ServiceLevel,
)
from towers.contracts.tests.factories import (
    CalendarFactory,
    ContractChargeFactory,
    ContractFactory,
    ServiceFactory,
    ServiceLevelFactory,
    ServiceOfferingFactory,
    office_hours_calendar,
)
from towers.contracts.views.service_levels import duration_label
from towers.core.models import AuditEntry
from towers.core.roles import Role
from towers.organisations.tests.factories import CommercialGrantFactory, person_with_roles, sign_in

pytestmark = pytest.mark.django_db


def listed(response):
    return list(response.context["page"].object_list)


# Contracts


def test_the_authority_records_a_contract_and_sets_a_periods_charge_through_the_forms(client, estate):
    sign_in(client, estate.authority_admin)
    assert client.get(reverse("contract_create")).status_code == 200
    response = client.post(
        reverse("contract_create"),
        {
            "reference": "APP-2025",
            "title": "Applications tower",
            "supplier": estate.applications.id,
            "tower": estate.applications_tower.id,
            "starts_on": "2025-04-01",
            "ends_on": "2030-03-31",
            "period_charge": "310000.00",
            "credit_regime": "ccs",
            "credit_cap_percent": "12.5",
        },
    )
    contract = Contract.objects.get(reference="APP-2025")
    assert response.status_code == 302 and response.url == reverse("contract_detail", args=[contract.pk])
    charged = client.post(reverse("contract_charge_set", args=[contract.pk]), {"period": "2026-03", "amount": "325000"})
    assert charged.status_code == 302
    assert ContractCharge.objects.get(contract=contract).period == date(2026, 3, 1)
    entries = AuditEntry.objects.filter(object_id=str(contract.pk)).order_by("seq")
    assert [e.action for e in entries] == ["contract.created", "contract.charge_set"]
    assert {e.channel for e in entries} == {"web"} and entries[1].person_id == estate.authority_admin.id
    page = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert "£310,000.00" in page and "March 2026" in page and "+£15,000.00" in page
    history = client.get(reverse("contract_history", args=[contract.pk])).content.decode()
    assert "contract.charge_set" in history and "contract.created" in history


def test_the_contract_forms_show_what_the_service_refuses_on_the_field(client, estate):
    contract = ContractFactory(supplier=estate.applications)
    sign_in(client, estate.authority_admin)
    early = client.post(
        reverse("contract_edit", args=[contract.pk]),
        {
            "title": "T",
            "ends_on": "2020-01-01",
            "period_charge": "1",
            "credit_regime": "ccs",
            "credit_cap_percent": "10",
        }
        | {"version": 1},
    )
    assert early.status_code == 200 and "ends_on" in early.context["form"].errors
    mid_month = client.post(reverse("contract_charge_set", args=[contract.pk]), {"period": "2026-03-15", "amount": "1"})
    assert mid_month.status_code == 200 and "first day" in mid_month.context["charge_form"].errors["period"][0]
    assert not ContractCharge.objects.exists()


def test_a_supplier_sees_its_own_contract_without_edit_buttons_and_is_refused_changes(client, estate):
    contract = ContractFactory(supplier=estate.applications)
    sign_in(client, estate.applications_admin)
    assert [c.pk for c in listed(client.get(reverse("contract_list")))] == [contract.pk]
    page = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert contract.title in page
    assert reverse("contract_edit", args=[contract.pk]) not in page
    assert reverse("contract_charge_set", args=[contract.pk]) not in page
    assert 'id="credits"' in page and "Service credits and delivery score" in page
    audit_before = AuditEntry.objects.count()
    charge = client.post(reverse("contract_charge_set", args=[contract.pk]), {"period": "2026-03", "amount": "1"})
    assert charge.status_code == 403
    assert client.get(reverse("contract_edit", args=[contract.pk])).status_code == 403
    assert client.post(reverse("contract_edit", args=[contract.pk]), {"title": "Ours"}).status_code == 403
    assert client.get(reverse("contract_create")).status_code == 403
    assert AuditEntry.objects.count() == audit_before and not ContractCharge.objects.exists()


def test_another_supplier_cannot_find_the_contract(client, estate):
    contract = ContractFactory(supplier=estate.applications)
    sign_in(client, estate.network_admin)
    assert listed(client.get(reverse("contract_list"))) == []
    for name in ("contract_detail", "contract_edit", "contract_history"):
        assert client.get(reverse(name, args=[contract.pk])).status_code == 404, name
    assert client.post(reverse("contract_charge_set", args=[contract.pk]), {"period": "2026-03"}).status_code == 404


def test_the_integrator_sees_another_suppliers_contract_only_once_granted(client, estate):
    contract = ContractFactory(supplier=estate.applications)
    sign_in(client, estate.integrator_admin)
    assert listed(client.get(reverse("contract_list"))) == []
    assert client.get(reverse("contract_detail", args=[contract.pk])).status_code == 404
    CommercialGrantFactory(grantee=estate.integrator, supplier=estate.applications)
    assert [c.pk for c in listed(client.get(reverse("contract_list")))] == [contract.pk]
    assert client.get(reverse("contract_detail", args=[contract.pk])).status_code == 200


def test_contracts_are_searched_and_filtered_by_supplier(client, estate):
    ContractFactory(supplier=estate.applications, reference="APP-1", title="Applications")
    ContractFactory(supplier=estate.integrator, reference="INF-1", title="Infrastructure and integration")
    sign_in(client, estate.auditor)
    assert [c.reference for c in listed(client.get(reverse("contract_list") + "?search=infra"))] == ["INF-1"]
    by_supplier = listed(client.get(reverse("contract_list") + f"?supplier={estate.applications.id}"))
    assert [c.reference for c in by_supplier] == ["APP-1"]


def test_an_edit_from_a_stale_copy_of_a_contract_is_refused(client, estate):
    contract = ContractFactory(supplier=estate.applications, version=2)
    sign_in(client, estate.authority_admin)
    form = {"title": "New", "ends_on": "2030-03-31", "period_charge": "1", "credit_regime": "none"}
    response = client.post(
        reverse("contract_edit", args=[contract.pk]), form | {"credit_cap_percent": 10, "version": 1}
    )
    assert response.status_code == 409
    contract.refresh_from_db()
    assert contract.title != "New"


# Catalogue


def test_the_catalogue_lists_services_by_category_with_the_levels_the_actor_may_see(client, estate):
    desk = ServiceFactory(owner=estate.integrator, name="Service desk", category="service_desk")
    apps = ServiceFactory(owner=estate.applications, name="Application support", category="application_support")
    ServiceOfferingFactory(service=desk, name="24x7 telephone")
    ServiceLevelFactory(service=desk, customer=estate.authority)
    ServiceLevelFactory(service=desk, provider=estate.integrator, customer=estate.integrator, kind="ola")
    sign_in(client, estate.applications_admin)
    response = client.get(reverse("service_list"))
    assert [s.name for s in listed(response)] == ["Application support", "Service desk"]
    page = response.content.decode()
    assert "Application support" in page and "24x7 telephone" in page
    # The applications supplier is party to neither of the desk's levels.
    assert [s.visible_level_count for s in listed(response)] == [0, 0]
    sign_in(client, estate.authority_admin)
    counts = {s.name: s.visible_level_count for s in listed(client.get(reverse("service_list")))}
    assert counts == {"Application support": 0, "Service desk": 2}
    filtered = listed(client.get(reverse("service_list") + "?category=application_support"))
    assert filtered == [apps]


def test_the_authority_adds_a_service_and_an_offering_and_a_supplier_may_not(client, estate):
    sign_in(client, estate.authority_admin)
    response = client.post(
        reverse("service_create"),
        {"code": "app-support", "name": "Application support", "category": "application_support"}
        | {"owner": estate.applications.id},
    )
    service = Service.objects.get(code="app-support")
    assert response.status_code == 302
    offered = client.post(reverse("offering_create", args=[service.pk]), {"code": "app-3rd-line", "name": "Third line"})
    assert offered.status_code == 302 and service.offerings.get().supplier == estate.applications
    assert [e.action for e in AuditEntry.objects.filter(object_id=str(service.pk)).order_by("seq")] == [
        "service.created",
        "service.offering_added",
    ]
    assert "Third line" in client.get(reverse("service_detail", args=[service.pk])).content.decode()
    sign_in(client, estate.applications_admin)
    assert client.get(reverse("service_create")).status_code == 403
    assert client.post(reverse("offering_create", args=[service.pk]), {"code": "x", "name": "x"}).status_code == 403
    assert service.offerings.count() == 1


# Calendars


def _hours_form(effective_from: date, **days: tuple[str, str]) -> dict[str, str]:
    form = {"effective_from": effective_from.isoformat()}
    for weekday, (start, end) in days.items():
        form |= {f"start_{weekday[-1]}": start, f"end_{weekday[-1]}": end}
    return form


def test_hours_set_from_a_date_keep_the_earlier_version(client, estate):
    calendar = office_hours_calendar(estate.authority)
    sign_in(client, estate.authority_admin)
    form = client.get(reverse("calendar_hours_set", args=[calendar.pk])).context["form"]
    assert form["start_0"].value() == "08:00" and form["start_5"].value() is None
    next_week = timezone.localdate() + timedelta(days=7)
    weekdays = {f"day{d}": ("07:00", "19:00") for d in range(5)}
    response = client.post(
        reverse("calendar_hours_set", args=[calendar.pk]), _hours_form(next_week, **weekdays, day5=("09:00", "13:00"))
    )
    assert response.status_code == 302
    assert CalendarHours.objects.filter(calendar=calendar, effective_from=date(2020, 1, 1)).count() == 5
    new = CalendarHours.objects.filter(calendar=calendar, effective_from=next_week)
    assert sorted((h.weekday, h.start) for h in new)[-1] == (5, time(9))
    detail = client.get(reverse("calendar_detail", args=[calendar.pk]))
    versions = detail.context["versions"]
    assert [(v.effective_from, v.status) for v in versions] == [
        (next_week, "scheduled"),
        (date(2020, 1, 1), "in force"),
    ]
    assert versions[0].summary == "Mon–Fri 07:00–19:00, Sat 09:00–13:00"
    assert AuditEntry.objects.get(object_id=str(calendar.pk)).action == "calendar.hours_set"


def test_the_hours_form_needs_both_ends_of_a_day_and_an_end_after_the_start(client, estate):
    calendar = office_hours_calendar(estate.authority)
    sign_in(client, estate.authority_admin)
    url = reverse("calendar_hours_set", args=[calendar.pk])
    half = client.post(url, {"effective_from": "2030-01-07", "start_0": "08:00"})
    assert half.status_code == 200 and "end_0" in half.context["form"].errors
    backwards = client.post(url, _hours_form(date(2030, 1, 7), day0=("18:00", "08:00")))
    assert backwards.status_code == 200 and "end after its start" in backwards.content.decode()
    assert not CalendarHours.objects.filter(effective_from=date(2030, 1, 7)).exists()


def test_a_calendar_is_created_for_ones_own_organisation_then_given_hours(client, estate):
    sign_in(client, estate.integrator_admin)
    form = client.get(reverse("calendar_create")).context["form"]
    assert list(form.fields["owner"].objects) == [str(estate.integrator.id)]
    response = client.post(
        reverse("calendar_create"),
        {"owner": estate.integrator.id, "code": "desk-hours", "name": "Desk hours", "bank_holidays": "on"},
    )
    calendar = Calendar.objects.get(code="desk-hours")
    assert response.status_code == 302 and response.url == reverse("calendar_hours_set", args=[calendar.pk])
    assert calendar.owner == estate.integrator and calendar.bank_holidays and not calendar.always_open
    sign_in(client, estate.network_resolver)
    assert client.get(reverse("calendar_create")).status_code == 403


def test_a_closure_is_added_in_uk_time_and_others_may_not_add_one(client, estate):
    calendar = CalendarFactory(owner=estate.authority)
    sign_in(client, estate.authority_admin)
    url = reverse("calendar_closure_add", args=[calendar.pk])
    response = client.post(url, {"starts_at": "2026-07-01T08:00", "ends_at": "2026-07-01T12:00", "reason": "Move"})
    assert response.status_code == 302
    closure = CalendarClosure.objects.get(calendar=calendar)
    assert closure.starts_at == datetime(2026, 7, 1, 7, tzinfo=UTC)  # 08:00 BST
    assert "Move" in client.get(reverse("calendar_detail", args=[calendar.pk])).content.decode()
    sign_in(client, estate.integrator_admin)
    assert client.get(url).status_code == 403  # the integrator sees the authority's calendar, may not change it


# Service levels


def _level_form(estate, service, calendar, **changes):
    return {
        "code": "int-app-p2",
        "name": "P2 resolution by applications",
        "kind": "ola",
        "service": service.id,
        "provider": estate.applications.id,
        "customer": estate.integrator.id,
        "metric": "resolution",
        "priority": "P2",
        "target": "8h",
        "calendar": calendar.id,
        "pause_states": "pending_requester, pending_supplier",
        "performance_measure": "95",
        "threshold": "90",
        "higher_is_better": "on",
    } | changes


def test_a_resolution_level_without_a_target_shows_the_error_on_the_target_field(client, estate):
    service = ServiceFactory(owner=estate.applications)
    calendar = office_hours_calendar(estate.integrator)
    sign_in(client, estate.integrator_admin)
    response = client.post(reverse("service_level_create"), _level_form(estate, service, calendar, target=""))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["target"]
    assert "positive target" in response.context["form"].errors["target"][0]
    unreadable = client.post(reverse("service_level_create"), _level_form(estate, service, calendar, target="soon"))
    assert "8h, 30m or 2d 4h" in unreadable.context["form"].errors["target"][0]
    assert not ServiceLevel.objects.exists()


def test_the_customer_defines_and_edits_a_level_and_the_provider_may_not_edit_it(client, estate):
    service = ServiceFactory(owner=estate.applications)
    calendar = office_hours_calendar(estate.integrator)
    sign_in(client, estate.integrator_admin)
    created = client.post(reverse("service_level_create"), _level_form(estate, service, calendar))
    level = ServiceLevel.objects.get(code="int-app-p2")
    assert created.status_code == 302 and level.target == timedelta(hours=8)
    assert level.pause_states == ["pending_requester", "pending_supplier"]
    edit_url = reverse("service_level_edit", args=[level.pk])
    form = client.get(edit_url).context["form"]
    assert form["target"].value() == "8 h" and form["pause_states"].value() == "pending_requester, pending_supplier"
    edited = client.post(
        edit_url,
        _level_form(estate, service, calendar, target="2d 4h", point_bands="95: 0\n90: 2") | {"version": 1},
    )
    assert edited.status_code == 302
    level.refresh_from_db()
    assert level.target == timedelta(hours=52) and level.point_bands == [["95", 0], ["90", 2]]
    assert "52 business hours" in client.get(reverse("service_level_detail", args=[level.pk])).content.decode()
    sign_in(client, estate.applications_admin)
    detail = client.get(reverse("service_level_detail", args=[level.pk])).content.decode()
    assert edit_url not in detail
    assert client.post(edit_url, _level_form(estate, service, calendar) | {"version": 2}).status_code == 403


def test_a_supplier_defines_levels_only_as_their_customer(client, estate):
    service = ServiceFactory(owner=estate.applications)
    sign_in(client, estate.applications_admin)
    form = client.get(reverse("service_level_create")).context["form"]
    assert list(form.fields["customer"].objects) == [str(estate.applications.id)]
    sign_in(client, estate.network_resolver)
    assert client.get(reverse("service_level_create")).status_code == 403
    assert client.get(reverse("service_level_list") + f"?service={service.pk}").status_code == 200


def test_service_levels_are_filtered_by_kind_service_and_metric(client, estate):
    service = ServiceFactory(owner=estate.applications)
    sla = ServiceLevelFactory(service=service, customer=estate.authority, metric="resolution")
    ola = ServiceLevelFactory(kind="ola", customer=estate.integrator, metric="response")
    ServiceLevelFactory(kind="uc", customer=estate.authority, metric="availability", target=None)
    sign_in(client, estate.auditor)
    url = reverse("service_level_list")
    assert listed(client.get(url + "?kind=ola")) == [ola]
    assert listed(client.get(url + f"?service={service.pk}")) == [sla]
    assert listed(client.get(url + "?metric=response")) == [ola]
    assert len(listed(client.get(url))) == 3


@pytest.mark.parametrize(
    ("delta", "business", "label"),
    [
        (timedelta(hours=8), True, "8 business hours"),
        (timedelta(hours=1), True, "1 business hour"),
        (timedelta(minutes=30), True, "30 business minutes"),
        (timedelta(hours=4), False, "4 h"),
        (timedelta(hours=52), False, "2 d 4 h"),
        (timedelta(hours=4, minutes=30), False, "4 h 30 min"),
    ],
)
def test_targets_read_as_business_hours_or_clock_time(delta, business, label):
    assert duration_label(delta, business=business) == label


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("8h", timedelta(hours=8)),
        ("2 d 4 h", timedelta(hours=52)),
        ("4 h 30 min", timedelta(hours=4, minutes=30)),
        ("8 business hours", timedelta(hours=8)),
        ("PT4H", timedelta(hours=4)),
        ("", None),
    ],
)
def test_targets_are_written_as_people_write_them(text, delta):
    assert DurationTextField(required=False).clean(text) == delta


def test_a_level_on_a_contract_page_shows_its_target(client, estate):
    contract = ContractFactory(supplier=estate.applications)
    ServiceLevelFactory(
        contract=contract,
        service=ServiceFactory(owner=estate.applications),
        customer=estate.authority,
        calendar=CalendarFactory(owner=estate.authority, always_open=True),
        target=timedelta(hours=4),
    )
    ContractChargeFactory(contract=contract, amount=Decimal("240000"))
    sign_in(client, estate.authority_admin)
    page = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert "<td>4 h</td>" in page and "−£10,000.00" in page


# Navigation and list costs


def _nav(client, person):
    sign_in(client, person)
    return {item.label for item in client.get(reverse("home")).context["nav"]}


def test_contracts_are_in_the_navigation_of_commercial_roles_and_the_catalogue_of_every_member(client, estate):
    assert {"Contracts", "Catalogue"} <= _nav(client, estate.authority_admin)
    assert {"Contracts", "Catalogue"} <= _nav(client, estate.auditor)
    assert "Contracts" in _nav(client, person_with_roles(estate.applications, Role.SERVICE_MANAGER))
    resolver = _nav(client, estate.network_resolver)
    assert "Catalogue" in resolver and "Contracts" not in resolver


def _calendars(estate, n):
    office_hours_calendar(estate.authority, code=f"bulk-{n}")


@pytest.mark.parametrize(
    ("url_name", "build"),
    [
        ("contract_list", lambda e, n: ContractFactory(supplier=e.applications)),
        (
            "service_list",
            lambda e, n: ServiceLevelFactory(service=ServiceOfferingFactory().service, customer=e.authority),
        ),
        ("service_level_list", lambda e, n: ServiceLevelFactory(customer=e.authority)),
        ("calendar_list", _calendars),
    ],
)
def test_a_list_page_of_fifty_costs_a_fixed_number_of_queries(
    client, estate, django_assert_max_num_queries, url_name, build
):
    for n in range(60):
        build(estate, n)
    sign_in(client, estate.authority_admin)
    # Session, person, actor (organisation, memberships, scope), switcher, filter choices, count, page, prefetches.
    with django_assert_max_num_queries(12):
        response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert len(listed(response)) == 50
