import pytest

from towers.cmdb.tests.factories import ConfigurationItemFactory
from towers.contracts.tests.factories import ServiceFactory
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry
from towers.servicedesk.models import State
from towers.servicedesk.selectors_problems import known_error_list, problem_get, problem_incidents
from towers.servicedesk.services.handoffs import ticket_hand_off
from towers.servicedesk.services.problems import (
    known_errors_matching,
    problem_create,
    problem_link_incidents,
    problem_mark_known_error,
    problem_record_cause,
    problem_resolve,
    problem_unlink_incident,
    symptom_words,
)
from towers.servicedesk.services.tickets import ticket_transition


def actions(ticket):
    return list(AuditEntry.objects.filter(object_id=str(ticket.pk)).values_list("action", flat=True))


def known_error(desk, title, *, service=None, cis=(), symptoms="", workaround="Restart the client"):
    agent = desk.actor(desk.agent)
    problem = problem_create(actor=agent, title=title, service=service, cis=cis, team=desk.estate.integrator_team)
    problem_mark_known_error(actor=agent, problem=problem, workaround=workaround, symptoms=symptoms)
    return problem


def test_a_problem_raised_from_an_incident_takes_its_service_and_cis_and_links_it(desk):
    ci = ConfigurationItemFactory(owner=desk.estate.integrator, name="crime-app-01")
    incident = desk.raise_incident(cis=[ci], impact=1, urgency=2)
    agent = desk.actor(desk.agent)
    problem = problem_create(actor=agent, title="Crime system keeps slowing down", incident=incident)
    incident.refresh_from_db()
    assert problem.reference.startswith("PRB") and problem.kind == "problem"
    assert problem.service == desk.service and list(problem.cis.all()) == [ci] and problem.priority == "P2"
    assert incident.problem == problem and problem_get(actor=agent, id=problem.pk).incident_count == 1
    assert "problem.created" in actions(problem) and "incident.problem_linked" in actions(incident)
    assert incident.events.filter(kind="link", body__contains=problem.reference).exists()


def test_incidents_are_linked_and_unlinked_and_only_incidents(desk):
    agent = desk.actor(desk.agent)
    problem = problem_create(actor=agent, title="VPN drops", team=desk.estate.integrator_team)
    first, second = desk.raise_incident(title="VPN down"), desk.raise_incident(title="VPN slow")
    assert problem_link_incidents(actor=agent, problem=problem, incidents=[first, second]) == [first, second]
    assert problem_link_incidents(actor=agent, problem=problem, incidents=[first]) == []  # already linked
    assert set(problem_incidents(actor=agent, problem=problem)) == {first, second}
    with pytest.raises(ValidationFailed, match="not an incident"):
        problem_link_incidents(actor=agent, problem=problem, incidents=[problem])
    problem_unlink_incident(actor=agent, problem=problem, incident=second)
    assert problem_incidents(actor=agent, problem=problem) == [first]
    assert "incident.problem_unlinked" in actions(second)
    with pytest.raises(ValidationFailed, match="not linked"):
        problem_unlink_incident(actor=agent, problem=problem, incident=second)


def test_a_known_error_needs_a_workaround_and_symptoms(desk):
    agent = desk.actor(desk.agent)
    problem = problem_create(actor=agent, title="Token expiry", team=desk.estate.integrator_team)
    with pytest.raises(ValidationFailed) as refused:
        problem_mark_known_error(actor=agent, problem=problem, workaround=" ", symptoms="")
    assert set(refused.value.fields) == {"workaround", "symptoms"}
    with pytest.raises(ValidationFailed, match="root_cause"):
        problem_record_cause(actor=agent, problem=problem, root_cause="  ")
    problem_record_cause(actor=agent, problem=problem, root_cause="Token lifetime set to 1h by the vendor update")
    detail = problem_mark_known_error(
        actor=agent, problem=problem, workaround="Re-enrol the token", symptoms="VPN token expired"
    )
    assert detail.known_error and detail.known_error_at is not None and detail.root_cause.startswith("Token")
    assert {"problem.root_cause_recorded", "problem.known_error"} <= set(actions(problem))
    assert list(known_error_list(actor=agent)) == [problem]


def test_known_errors_match_an_incident_by_service_ci_and_symptom_words_best_first(desk):
    gateway = ConfigurationItemFactory(owner=desk.estate.integrator, name="vpn-gw-01")
    other_service = ServiceFactory(owner=desk.estate.integrator)
    by_ci = known_error(desk, "Gateway memory leak", service=other_service, cis=[gateway], symptoms="tunnel")
    by_service = known_error(desk, "Slow search", service=desk.service, symptoms="search slow")
    by_words = known_error(desk, "Token expiry", service=other_service, symptoms="VPN token expired overnight")
    known_error(desk, "Printer jam", service=other_service, symptoms="printer paper jam")
    one_word = known_error(desk, "Badge", service=other_service, symptoms="reader token badge")
    incident = desk.raise_incident(title="VPN says my token expired", cis=[gateway], service=desk.service)
    matches = known_errors_matching(actor=desk.actor(desk.agent), ticket=incident)
    # by_ci: one shared CI (3) + "vpn" in its symptoms? No: "tunnel" and its title share nothing with the incident.
    assert [(m.problem, m.score) for m in matches] == [(by_ci, 3), (by_service, 3), (by_words, 3)]
    assert matches[0].reasons == ("shares vpn-gw-01",) and matches[1].reasons == (f"same service: {desk.service}",)
    assert matches[2].reasons == ("symptoms: expired, token, vpn",) and matches[2].workaround == "Restart the client"
    assert one_word not in [m.problem for m in matches]  # one shared word out of three is chance
    # The problem the incident is linked to comes first whatever else matches.
    problem_link_incidents(actor=desk.actor(desk.agent), problem=by_words, incidents=[incident])
    incident.refresh_from_db()
    first = known_errors_matching(actor=desk.actor(desk.agent), ticket=incident)[0]
    assert first.problem == by_words and first.reasons[0] == "linked to this incident"


def test_fixed_problems_and_other_suppliers_known_errors_are_not_offered(desk):
    fixed = known_error(desk, "Search index", service=desk.service, symptoms="search slow")
    problem_resolve(actor=desk.actor(desk.agent), problem=fixed, resolution_code="fixed")
    incident = desk.raise_incident(title="Search slow")
    assert known_errors_matching(actor=desk.actor(desk.agent), ticket=incident) == []
    mine = known_error(desk, "Search cache", service=desk.service, symptoms="search slow")
    assert [m.problem for m in known_errors_matching(actor=desk.actor(desk.agent), ticket=incident)] == [mine]
    outsider = desk.actor(desk.estate.network_resolver)
    assert known_errors_matching(actor=outsider, ticket=incident) == []


def test_resolving_a_problem_resolves_the_open_incidents_its_resolver_may_work(desk):
    agent = desk.actor(desk.agent)
    desk.settings.resolution_codes = ["fixed", "known_error"]
    desk.settings.save()
    problem = problem_create(actor=agent, title="Crime slow", team=desk.estate.integrator_team)
    open_one, resolved_one = desk.raise_incident(), desk.raise_incident()
    problem_link_incidents(actor=agent, problem=problem, incidents=[open_one, resolved_one])
    ticket_transition(actor=agent, ticket=resolved_one, state=State.RESOLVED, resolution_code="fixed")
    result = problem_resolve(
        actor=agent, problem=problem, notes="Index rebuilt", resolve_incidents=True, incident_resolution_code="fixed"
    )
    open_one.refresh_from_db()
    assert result.incidents_resolved == [open_one] and result.incidents_skipped == []
    assert open_one.state == State.RESOLVED and open_one.resolution_code == "fixed"
    assert problem.reference in open_one.resolution_notes and problem.state == State.RESOLVED
    assert "problem.resolved" in actions(problem) and "ticket.resolved" in actions(open_one)


def test_incidents_the_resolver_may_not_work_are_left_open_and_reported(desk):
    agent = desk.actor(desk.agent)
    problem = problem_create(actor=agent, title="App fault", team=desk.estate.integrator_team)
    ticket_hand_off(actor=agent, ticket=problem, to_team=desk.apps_team, reason="Yours")
    theirs, desks = desk.raise_incident(), desk.raise_incident()
    problem_link_incidents(actor=agent, problem=problem, incidents=[theirs, desks])
    ticket_hand_off(actor=agent, ticket=theirs, to_team=desk.apps_team, reason="App fault")
    result = problem_resolve(actor=desk.actor(desk.apps_resolver), problem=problem, resolve_incidents=True)
    assert [i.pk for i in result.incidents_resolved] == [theirs.pk]
    assert [i.pk for i in result.incidents_skipped] == [desks.pk]


def test_another_supplier_neither_sees_nor_changes_a_problem_it_is_not_party_to(desk):
    agent = desk.actor(desk.agent)
    problem = problem_create(actor=agent, title="Desk-only problem", team=desk.estate.integrator_team)
    outsider = desk.actor(desk.estate.network_resolver)
    with pytest.raises(NotFound):
        problem_get(actor=outsider, id=problem.pk)
    with pytest.raises(NotFound):
        problem_mark_known_error(actor=outsider, problem=problem, workaround="x", symptoms="y")
    with pytest.raises(NotFound):
        problem_link_incidents(actor=outsider, problem=problem, incidents=[])
    with pytest.raises(Forbidden):
        problem_create(actor=desk.actor(desk.requester), title="Not for requesters")


def test_symptom_words_ignore_case_punctuation_and_common_words():
    assert symptom_words("The VPN token has EXPIRED; error 0x80!") == {"vpn", "token", "expired", "0x80"}
