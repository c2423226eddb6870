from datetime import timedelta

import pytest
from django.utils import timezone

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import actor_of, sign_in
from towers.organisations.tests.test_api import bearer
from towers.soc import selectors
from towers.soc.models import Alert, AlertStatus
from towers.soc.observables import attack_tags, extract, parse_hashes
from towers.soc.services.alerts import alert_raise, alerts_acknowledge, alerts_close, alerts_suppress
from towers.soc.services.cases import case_from_alerts
from towers.soc.services.rules import rule_disable, rule_enable, rule_exception_add, suppression_create
from towers.soc.tests.factories import MD5, SHA256, detection_rule, sysmon_event

SYSTEM = Actor.system("detection")


def test_alert_takes_severity_and_attack_tactics_and_techniques_from_the_rule(soc):
    alert = soc.raise_alert()
    assert alert.severity == "high"
    assert alert.tactics == ["execution", "defense-evasion"]
    assert alert.techniques == ["T1059.001"]
    assert alert.events[0]["Computer"] == "ws-0042.force.local"
    assert alert.detected_at.isoformat().startswith("2026-03-02T09:58")


def test_repeats_of_one_entity_within_the_window_count_on_one_alert(soc):
    now = timezone.now()
    first = soc.raise_alert(now=now)
    again = soc.raise_alert(now=now + timedelta(minutes=30))
    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.count, again.last_seen, len(again.events)) == (2, now + timedelta(minutes=30), 2)
    assert AuditEntry.objects.filter(action="soc.alert.repeated", object_id=str(first.pk)).exists()


def test_a_repeat_after_the_window_or_about_another_host_is_a_new_alert(soc):
    now = timezone.now()
    first = soc.raise_alert(now=now)
    assert soc.raise_alert(now=now + timedelta(hours=2)).pk != first.pk
    assert soc.raise_alert(now=now, host="ws-0099").pk != first.pk
    assert Alert.objects.count() == 3


def test_events_kept_on_an_alert_are_capped_but_counted(soc):
    now = timezone.now()
    events = [sysmon_event() for _ in range(30)]
    alert = alert_raise(actor=SYSTEM, rule=soc.rule, events=events, now=now)
    assert (alert.count, len(alert.events)) == (30, 20)


def test_a_suppression_holds_back_matching_alerts_and_counts_them(soc):
    suppression = suppression_create(
        actor=soc.actor,
        rule=soc.rule,
        field="User",
        value="force\\jbloggs",
        until=timezone.now() + timedelta(days=1),
        reason="Pen test",
    )
    assert alert_raise(actor=SYSTEM, rule=soc.rule, events=[sysmon_event()]) is None
    assert alert_raise(actor=SYSTEM, rule=soc.rule, events=[sysmon_event(user="other")]) is not None
    suppression.refresh_from_db()
    assert suppression.hits == 1
    assert AuditEntry.objects.filter(action="soc.suppression.created").count() == 1


def test_a_rule_exception_tunes_out_matching_events_and_is_audited(soc):
    rule_exception_add(actor=soc.actor, rule=soc.rule, field="Computer", value="WS-0042.force.local", reason="Build")
    assert alert_raise(actor=SYSTEM, rule=soc.rule, events=[sysmon_event()]) is None
    entry = AuditEntry.objects.get(action="soc.rule.exception_added")
    assert entry.after["value"] == "WS-0042.force.local"


def test_a_disabled_rule_raises_nothing_until_enabled_again(soc):
    rule_disable(actor=soc.actor, rule=soc.rule)
    assert alert_raise(actor=SYSTEM, rule=soc.rule, events=[sysmon_event()]) is None
    rule_enable(actor=soc.actor, rule=soc.rule)
    assert alert_raise(actor=SYSTEM, rule=soc.rule, events=[sysmon_event()]) is not None
    actions = list(AuditEntry.objects.filter(action__startswith="soc.rule.").values_list("action", flat=True))
    assert actions == ["soc.rule.disabled", "soc.rule.enabled"]


def test_bulk_acknowledge_suppress_and_close_change_each_alert_and_audit_each(soc):
    alerts = [soc.raise_alert(host=f"ws-{n}") for n in range(3)]
    alerts_acknowledge(actor=soc.actor, alerts=alerts[:2])
    alerts_suppress(actor=soc.actor, alerts=alerts[2:], until=timezone.now() + timedelta(hours=4))
    alerts_close(actor=soc.actor, alerts=alerts[:1])
    statuses = dict(Alert.objects.values_list("host", "status"))
    assert statuses == {"ws-0": "closed", "ws-1": "acknowledged", "ws-2": "suppressed"}
    assert AuditEntry.objects.filter(action__in=["soc.alert.acknowledged", "soc.alert.closed"]).count() == 3


def test_a_suppressed_alert_counts_repeats_without_returning_to_the_queue(soc):
    alert = soc.raise_alert()
    alerts_suppress(actor=soc.actor, alerts=[alert], until=timezone.now() + timedelta(hours=4))
    soc.raise_alert()
    alert.refresh_from_db()
    assert (alert.count, alert.status) == (2, AlertStatus.SUPPRESSED)


def test_an_alert_joins_the_open_case_that_holds_its_host(soc):
    case = soc.case()
    other_rule = detection_rule(soc.organisation, rule_id="lsass", title="LSASS access")
    later = alert_raise(actor=SYSTEM, rule=other_rule, events=[sysmon_event(user="someone-else")])
    unrelated = alert_raise(actor=SYSTEM, rule=other_rule, events=[sysmon_event(host="srv-9", user="x")])
    assert later.case_id == case.pk
    assert unrelated.case_id is None


def test_an_alert_joins_the_case_about_the_same_cmdb_asset_by_short_host_name(soc):
    case = soc.case()
    case.observables.all().delete()  # only the asset links them now
    alert = alert_raise(actor=SYSTEM, rule=soc.rule, events=[sysmon_event(host="WS-0042", user="y")])
    assert alert.ci_id == soc.asset.pk
    assert alert.case_id == case.pk


def test_alerts_are_enriched_with_the_cmdb_asset_of_their_host(soc):
    assert soc.raise_alert().ci_id == soc.asset.pk
    assert soc.raise_alert(host="unknown-host").ci_id is None


def test_observables_come_from_ip_host_user_hash_domain_and_url_fields():
    events = [
        sysmon_event(IpAddress="10.1.2.3", DestinationIp="not-an-ip"),
        {"QueryName": "Evil.Example.", "URL": "http://evil.example/x", "SourceIp": "10.1.2.3", "Computer": "-"},
    ]
    found = {(kind, value) for kind, value, _ in extract(events)}
    assert found == {
        ("host", "ws-0042.force.local"),
        ("user", "FORCE\\jbloggs"),
        ("ip", "10.1.2.3"),
        ("hash", MD5),
        ("hash", SHA256),
        ("domain", "evil.example"),
        ("url", "http://evil.example/x"),
    }


def test_sysmon_hashes_keep_md5_sha1_sha256_and_skip_imphash_and_malformed():
    assert parse_hashes(f"SHA1={'1' * 40},IMPHASH={'2' * 32},MD5=zz,SHA256={'F' * 64}") == ["1" * 40, "f" * 64]


def test_attack_tags_separate_tactics_from_techniques_and_ignore_groups():
    assert attack_tags(["attack.credential_access", "attack.t1003", "attack.g0016", "cve.2021"]) == (
        ["credential-access"],
        ["T1003"],
    )


def test_another_organisation_cannot_see_or_triage_the_socs_alerts(soc):
    alert = soc.raise_alert()
    network = actor_of(soc.desk.estate.network_admin)
    assert not selectors.alert_list(actor=network).exists()
    with pytest.raises(NotFound):
        alerts_acknowledge(actor=network, alerts=[alert])
    requester = actor_of(soc.desk.requester)
    with pytest.raises(Forbidden):
        alerts_acknowledge(actor=requester, alerts=[alert])
    assert Alert.objects.get().status == AlertStatus.NEW


def test_the_alert_list_takes_a_constant_number_of_queries(soc, django_assert_num_queries):
    for n in range(3):
        case_from_alerts(actor=soc.actor, alerts=[soc.raise_alert(host=f"h{n}", user=f"u{n}")])
    for n in range(20):
        soc.raise_alert(host=f"q{n}", user=f"v{n}")
    actor = soc.actor
    with django_assert_num_queries(1):
        rows = [(a.rule.rule_id, a.ci, a.case and a.case.reference) for a in selectors.alert_list(actor=actor)]
    assert len(rows) == 23


@pytest.mark.django_db(transaction=True)
def test_two_workers_raising_the_same_new_alert_at_once_make_one_alert(estate):
    """The race two detection workers run on a new fingerprint: on PostgreSQL both could create it otherwise."""
    import threading

    from django.db import connection as main_connection

    from towers.core.actor import Actor
    from towers.soc.models import Alert
    from towers.soc.services.alerts import alert_raise
    from towers.soc.tests.factories import detection_rule, sysmon_event

    rule = detection_rule(estate.integrator)
    event = sysmon_event()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        from django.db import connection

        try:
            start.wait()
            alert_raise(actor=Actor.system("detector"), rule=rule, events=[event])
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    alert = Alert.objects.get(organisation=estate.integrator)
    assert alert.count == 2
    main_connection.close()


def _repeat_audits(alert):
    entries = AuditEntry.objects.filter(action="soc.alert.repeated", object_id=str(alert.pk)).order_by("seq")
    return [e.after["count"] for e in entries]


def test_repeats_are_audited_first_then_on_doubling_or_every_fifteen_minutes(soc):
    start = timezone.now()
    alert = soc.raise_alert(now=start)
    for minute in range(1, 12):  # counts 2..12, a minute apart
        soc.raise_alert(now=start + timedelta(minutes=minute))
    assert _repeat_audits(alert) == [2, 4, 8]  # the first repeat, then each doubling
    soc.raise_alert(now=start + timedelta(minutes=20))  # count 13: 13 minutes after the entry for 8
    assert _repeat_audits(alert) == [2, 4, 8]
    soc.raise_alert(now=start + timedelta(minutes=22))  # count 14: 15 minutes on
    assert _repeat_audits(alert) == [2, 4, 8, 14]
    alert.refresh_from_db()
    assert (alert.count, alert.last_seen) == (14, start + timedelta(minutes=22))  # always kept


def test_a_repeat_that_brings_a_suppressed_alert_back_is_always_audited(soc):
    start = timezone.now()
    alert = soc.raise_alert(now=start)
    alert_raise(actor=SYSTEM, rule=soc.rule, events=[sysmon_event()] * 5, now=start + timedelta(minutes=1))
    alert.refresh_from_db()
    alerts_suppress(actor=soc.actor, alerts=[alert], until=start + timedelta(minutes=2, seconds=30))
    soc.raise_alert(now=start + timedelta(minutes=2))  # still suppressed: count 7, not audited
    soc.raise_alert(now=start + timedelta(minutes=3))  # the suppression ran out: count 8, back to new
    assert _repeat_audits(alert) == [6, 8]
    back = AuditEntry.objects.filter(action="soc.alert.repeated", object_id=str(alert.pk)).order_by("-seq").first()
    assert (back.before["status"], back.after["status"]) == ("suppressed", "new")


@pytest.fixture
def tagged(soc):
    """One alert for each of T1059.001 (execution), T1059 (execution), T1566.001 (initial access)."""
    soc.raise_alert(host="ps-host")
    cmd = detection_rule(soc.organisation, rule_id="cmd", tags=["attack.execution", "attack.t1059"])
    mail = detection_rule(soc.organisation, rule_id="mail", tags=["attack.initial_access", "attack.t1566.001"])
    for rule, host in ((cmd, "cmd-host"), (mail, "mail-host")):
        alert_raise(actor=SYSTEM, rule=rule, events=[sysmon_event(host=host)])
    return soc


def _hosts(actor, **filters):
    return sorted(a.host for a in selectors.alert_list(actor=actor, **filters))


def test_the_technique_filter_finds_the_technique_and_its_sub_techniques(tagged):
    actor = tagged.actor
    assert _hosts(actor, technique="T1059") == ["cmd-host", "ps-host"]
    assert _hosts(actor, technique="t1059.001") == ["ps-host"]
    assert _hosts(actor, technique="T1566") == ["mail-host"]
    assert _hosts(actor, technique="T1003") == []


def test_the_tactic_filter_matches_whole_tactics_and_combines_with_technique(tagged):
    actor = tagged.actor
    assert _hosts(actor, tactic="execution") == ["cmd-host", "ps-host"]
    assert _hosts(actor, tactic="initial_access") == ["mail-host"]
    assert _hosts(actor, tactic="defense-evasion") == ["ps-host"]
    assert _hosts(actor, tactic="evasion") == []
    assert _hosts(actor, tactic="execution", technique="T1566") == []


@pytest.mark.parametrize(("name", "value"), [("technique", "T105"), ("technique", 'T1059"'), ("tactic", "exec%")])
def test_malformed_attack_filters_are_refused_naming_the_field(tagged, name, value):
    with pytest.raises(ValidationFailed) as refused:
        selectors.alert_list(actor=tagged.actor, **{name: value})
    assert name in refused.value.fields


def test_the_queue_page_and_the_api_filter_by_technique_and_tactic(client, tagged):
    sign_in(client, tagged.analyst, tagged.organisation)
    page = client.get("/alerts/?technique=T1059").content.decode()
    assert "cmd-host" in page and "ps-host" in page and "mail-host" not in page
    assert 'value="T1059"' in page
    refused = client.get("/alerts/?technique=nonsense")
    assert refused.status_code == 400 and "mail-host" not in refused.content.decode()
    analyst = bearer(tagged.analyst, tagged.organisation)
    listed = client.get("/api/v1/alerts?tactic=initial-access", **analyst).json()["items"]
    assert [a["host"] for a in listed] == ["mail-host"]
    bad = client.get("/api/v1/alerts?technique=T1", **analyst)
    assert bad.status_code == 422 and "technique" in bad.json()["error"]["fields"]


def test_another_organisation_filtering_by_technique_sees_nothing(tagged):
    network = actor_of(tagged.desk.estate.network_admin, tagged.desk.estate.network)
    assert _hosts(network, technique="T1059") == []


def test_the_queue_shows_open_alerts_unless_asked_for_any_status(client, tagged):
    mail = Alert.objects.get(host="mail-host")
    alerts_close(actor=tagged.actor, alerts=[mail])
    sign_in(client, tagged.analyst, tagged.organisation)
    assert "mail-host" not in client.get("/alerts/?technique=T1566").content.decode()
    assert "mail-host" in client.get("/alerts/?status=any&technique=T1566").content.decode()
