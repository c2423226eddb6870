from datetime import timedelta

import pytest
from django.utils import timezone

from towers.core import events
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import actor_of
from towers.servicedesk import selectors as desk_selectors
from towers.servicedesk.models import HandOff
from towers.servicedesk.services.handoffs import handoff_accept
from towers.servicedesk.services.tickets import ticket_transition
from towers.soc import selectors
from towers.soc.models import CaseEvent, SecurityCase
from towers.soc.services.alerts import alerts_acknowledge
from towers.soc.services.cases import (
    alert_attach_to_case,
    case_add_note,
    case_add_observable,
    case_add_task,
    case_hand_off,
    case_transition,
)
from towers.soc.tests.factories import SHA256, foreign_soc_object


def test_a_case_from_alerts_has_a_sec_reference_the_alerts_observables_and_their_asset(soc):
    case = soc.case(IpAddress="10.9.8.7")
    assert case.reference == "SEC0000001"
    observables = set(case.observables.values_list("type", "value"))
    assert {("host", "ws-0042.force.local"), ("ip", "10.9.8.7"), ("hash", SHA256)} <= observables
    assert case.ci_id == soc.asset.pk
    assert case.severity == "high"
    assert AuditEntry.objects.filter(action="soc.case.opened", object_id=str(case.pk)).exists()
    assert list(case.events.values_list("kind", flat=True)) == ["opened", "alert_attached"]


def test_an_observable_is_one_per_case_type_and_value_with_tlp_and_pap(soc):
    case = soc.case()
    case_add_observable(actor=soc.actor, case=case, type="domain", value="evil.example", tlp="red", pap="green")
    again = case_add_observable(actor=soc.actor, case=case, type="domain", value="evil.example", tlp="amber")
    assert case.observables.filter(type="domain").count() == 1
    assert (again.tlp, again.pap) == ("amber", "amber")
    with pytest.raises(ValidationFailed):
        case_add_observable(actor=soc.actor, case=case, type="phone", value="999")


def test_tasks_and_notes_land_on_the_timeline_and_in_the_audit_log(soc):
    case = soc.case()
    case_add_task(actor=soc.actor, case=case, title="Isolate the host")
    case_add_note(actor=soc.actor, case=case, body="Download cradle from a phishing mail.")
    assert list(case.events.values_list("kind", flat=True))[-2:] == ["task_added", "note"]
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"soc.case.task_added", "soc.case.note_added"} <= actions


def test_mttd_mtta_and_mttr_derive_from_the_case_times(soc):
    case = soc.case()
    alerted = case.alerted_at
    assert case.detected_at < alerted
    alerts_acknowledge(actor=soc.actor, alerts=list(case.alerts.all()))
    case_transition(actor=soc.actor, case=case, status="resolved")
    case.refresh_from_db()
    metrics = selectors.case_metrics(case)
    assert metrics.mttd == alerted - case.detected_at
    assert metrics.mtta == case.acknowledged_at - alerted
    assert metrics.mttr == case.resolved_at - case.opened_at
    SecurityCase.objects.filter(pk=case.pk).update(resolved_at=case.opened_at + timedelta(hours=2))
    other = soc.case(host="srv-2", user="u2")
    SecurityCase.objects.filter(pk=other.pk).update(resolved_at=other.opened_at + timedelta(hours=4))
    assert selectors.case_metrics_average(actor=soc.actor).mttr == timedelta(hours=3)


def test_alerts_of_another_soc_cannot_join_a_case(soc):
    # The integrator's analyst may see the applications supplier's SOC (a tower it integrates) but not work it.
    case = soc.case()
    foreign = foreign_soc_object(soc.desk.estate, "alert")
    with pytest.raises(Forbidden):
        alert_attach_to_case(actor=soc.actor, alert=foreign, case=case)
    foreign.refresh_from_db()
    assert foreign.case_id is None


def test_hand_off_raises_an_incident_to_the_assets_supplier_team_the_supplier_sees_but_not_the_case(soc):
    estate = soc.desk.estate
    case = soc.case()
    incident = case_hand_off(actor=soc.actor, case=case, note="Please isolate WS-0042.")
    case.refresh_from_db()
    assert case.incident_id == incident.pk
    assert (incident.channel, incident.service_id) == ("security", soc.desk.service.pk)
    assert list(incident.cis.all()) == [soc.asset]
    handoff = HandOff.objects.get(ticket=incident)
    assert handoff.to_team == estate.applications_team
    supplier = actor_of(soc.desk.apps_resolver)
    assert desk_selectors.ticket_get(actor=supplier, reference=incident.reference).pk == incident.pk
    with pytest.raises(NotFound):
        selectors.case_get(actor=supplier, id=case.pk)
    assert not selectors.case_list(actor=supplier).exists()
    assert CaseEvent.objects.filter(case=case, kind="handed_off").exists()
    assert AuditEntry.objects.filter(action="soc.case.handed_off", object_id=str(case.pk)).exists()
    with pytest.raises(ValidationFailed):
        case_hand_off(actor=soc.actor, case=case)


def test_hand_off_without_an_asset_needs_a_team(soc):
    case = soc.case(host="unknown", user="nobody")
    with pytest.raises(ValidationFailed) as error:
        case_hand_off(actor=soc.actor, case=case)
    assert "team" in error.value.fields
    assert case_hand_off(actor=soc.actor, case=case, team=soc.desk.apps_team).team is not None


def test_the_authority_sees_cases_and_the_case_page_reads_in_constant_queries(soc, django_assert_num_queries):
    case = soc.case()
    case_add_task(actor=soc.actor, case=case, title="Collect triage image")
    authority = actor_of(soc.desk.estate.authority_admin)
    assert selectors.case_get(actor=authority, id=case.pk).pk == case.pk
    actor = soc.actor
    loaded = selectors.case_get(actor=actor, id=case.pk)
    with django_assert_num_queries(5):
        detail = selectors.case_detail(actor=actor, case=loaded)
    assert detail["enrichment"]["supplier"] == soc.desk.estate.applications
    assert detail["enrichment"]["criticality"].startswith("2")
    assert timezone.is_aware(detail["timeline"][0].at)


def test_the_case_timeline_follows_the_incident_the_supplier_accepts_and_resolves(soc):
    case = soc.case()
    incident = case_hand_off(actor=soc.actor, case=case)
    supplier = actor_of(soc.desk.apps_resolver)
    handoff_accept(actor=supplier, handoff=HandOff.objects.get(ticket=incident))
    incident.refresh_from_db()
    ticket_transition(actor=supplier, ticket=incident, state="resolved", resolution_code="fixed")
    events.deliver_all_pending()
    followed = list(case.events.filter(kind="incident").values_list("body", flat=True))
    assert followed[0].startswith(f"{incident.reference}: incident accepted by the supplier")
    assert followed[-1] == f"{incident.reference}: incident resolved — now Resolved with Application support"
