from datetime import timedelta

import pytest
from django.utils import timezone

from towers.core.actor import Actor
from towers.organisations.tests.factories import actor_of, sign_in
from towers.soc.selectors_attack import TACTIC_ORDER, attack_heatmap, heat
from towers.soc.services.alerts import alert_raise
from towers.soc.tests.factories import detection_rule, sysmon_event

pytestmark = pytest.mark.django_db


def _raise(rule, host, now=None):
    assert alert_raise(actor=Actor.system("detection"), rule=rule, events=[sysmon_event(host=host)], now=now)


@pytest.fixture
def detections(soc):
    """Three execution alerts (T1059.001, also under defense evasion), one phishing, one discovery of last month."""
    for n in range(3):
        soc.raise_alert(host=f"ws-{n}")
    phishing = detection_rule(soc.organisation, tags=["attack.initial_access", "attack.t1566.001", "attack.t1566.002"])
    _raise(phishing, "mail-1")
    discovery = detection_rule(soc.organisation, tags=["attack.discovery", "attack.t1082"])
    _raise(discovery, "ws-old", now=timezone.now() - timedelta(days=30))
    return soc


def _cells(matrix):
    return {column.tactic: {c.technique: c.alerts for c in column.techniques} for column in matrix.columns}


def test_alerts_are_counted_by_tactic_and_technique(detections):
    matrix = attack_heatmap(actor=detections.actor)
    cells = _cells(matrix)
    assert cells["execution"] == {"T1059.001": 3} and cells["defense-evasion"] == {"T1059.001": 3}
    assert cells["initial-access"] == {"T1566.001": 1, "T1566.002": 1}
    assert cells["discovery"] == {"T1082": 1} and cells["impact"] == {}
    assert matrix.alerts == 5 and matrix.busiest == 3
    assert {c.tactic: c.alerts for c in matrix.columns}["execution"] == 3
    recent = _cells(attack_heatmap(actor=detections.actor, since=timezone.now() - timedelta(days=7)))
    assert recent["discovery"] == {} and recent["execution"] == {"T1059.001": 3}


def test_columns_follow_the_enterprise_tactic_order_and_heat_scales_to_the_busiest(detections):
    matrix = attack_heatmap(actor=detections.actor)
    assert [c.tactic for c in matrix.columns] == list(TACTIC_ORDER)
    execution = next(c for c in matrix.columns if c.tactic == "execution")
    assert execution.label == "Execution" and execution.techniques[0].heat == 5
    assert next(c for c in matrix.columns if c.tactic == "command-and-control").label == "Command and Control"
    assert [heat(n, 3) for n in (0, 1, 2, 3)] == [0, 2, 4, 5]


def test_unknown_and_missing_tactics_come_after_the_matrix(soc):
    _raise(detection_rule(soc.organisation, tags=["attack.t1204"]), "ws-a")
    _raise(detection_rule(soc.organisation, tags=["attack.something_new", "attack.t1000"]), "ws-b")
    tactics = [c.tactic for c in attack_heatmap(actor=soc.actor).columns]
    assert tactics[len(TACTIC_ORDER) :] == ["something-new", "unmapped"]


def test_another_organisation_sees_none_of_the_socs_detections(detections):
    matrix = attack_heatmap(actor=actor_of(detections.desk.estate.network_admin))
    assert matrix.alerts == 0 and all(not c.techniques for c in matrix.columns)


def test_the_heat_map_takes_one_query(detections, django_assert_num_queries):
    for n in range(10):
        detections.raise_alert(host=f"bulk-{n}")
    actor = detections.actor
    with django_assert_num_queries(1):
        matrix = attack_heatmap(actor=actor)
    assert matrix.alerts == 15


def test_the_page_shows_the_matrix_with_counts(client, detections):
    sign_in(client, detections.analyst, detections.organisation)
    page = client.get("/attack/").content.decode()
    assert "Initial Access" in page and "Command and Control" in page
    assert 'class="attack-cell heat-5" href="/alerts/?status=any&amp;technique=T1059.001&amp;tactic=execution"' in page
    assert '<span class="technique">T1059.001</span> <span class="count">3</span>' in page
    assert "T1082" not in client.get("/attack/?days=7").content.decode()
    assert "T1082" in client.get("/attack/?days=nonsense").content.decode()


def test_each_heat_map_cell_links_to_the_queue_filtered_to_its_alerts(client, detections):
    sign_in(client, detections.analyst, detections.organisation)
    page = client.get("/attack/").content.decode()
    link = "/alerts/?status=any&amp;technique=T1566.002&amp;tactic=initial-access"
    assert link in page
    queue = client.get(link.replace("&amp;", "&")).content.decode()
    assert "mail-1" in queue and "ws-0" not in queue


def test_a_cell_of_the_unmapped_column_links_by_technique_alone(client, soc):
    _raise(detection_rule(soc.organisation, tags=["attack.t1027"]), "ws-odd")
    sign_in(client, soc.analyst, soc.organisation)
    page = client.get("/attack/").content.decode()
    assert 'href="/alerts/?status=any&amp;technique=T1027"' in page
