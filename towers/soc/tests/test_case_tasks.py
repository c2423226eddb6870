import pytest

from towers.core.errors import Forbidden, NotFound, StaleVersion, ValidationFailed
from towers.core.models import AuditEntry
from towers.core.roles import Role
from towers.organisations.tests.factories import actor_of, person_with_roles, sign_in
from towers.organisations.tests.test_api import bearer
from towers.soc import selectors
from towers.soc.models import CaseEvent, CaseTask
from towers.soc.services.cases import case_add_task, case_task_update

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def task(soc):
    return case_add_task(actor=soc.actor, case=soc.case(), title="Collect triage image")


def _lines(task):
    return list(CaseEvent.objects.filter(case=task.case, kind="task").values_list("body", flat=True))


def test_a_task_is_marked_done_and_reopened_with_timeline_and_audit(soc, task):
    case_task_update(actor=soc.actor, task=task, done=True)
    assert CaseTask.objects.get(pk=task.pk).done
    case_task_update(actor=soc.actor, task=task, done=False)
    assert not CaseTask.objects.get(pk=task.pk).done
    assert _lines(task) == ["Collect triage image: done", "Collect triage image: reopened"]
    entries = AuditEntry.objects.filter(action="soc.case.task_updated", object_id=str(task.pk)).order_by("seq")
    assert [(e.before["done"], e.after["done"]) for e in entries] == [(False, True), (True, False)]


def test_a_task_is_assigned_to_a_person_of_the_soc_only(soc, task):
    colleague = person_with_roles(soc.organisation, Role.SOC_ANALYST, username="soc.colleague")
    case_task_update(actor=soc.actor, task=task, assignee=colleague)
    assert CaseTask.objects.get(pk=task.pk).assignee == colleague
    assert _lines(task) == [f"Collect triage image: assigned to {colleague}"]
    outsider = soc.desk.apps_resolver
    with pytest.raises(ValidationFailed) as refused:
        case_task_update(actor=soc.actor, task=task, assignee=outsider)
    assert "assignee" in refused.value.fields
    assert CaseTask.objects.get(pk=task.pk).assignee == colleague


def test_an_update_that_changes_nothing_writes_nothing(soc, task):
    before = AuditEntry.objects.count()
    case_task_update(actor=soc.actor, task=task, done=False)
    assert AuditEntry.objects.count() == before and _lines(task) == []


def test_only_the_socs_analysts_update_tasks(soc, task):
    with pytest.raises(Forbidden):
        case_task_update(actor=actor_of(soc.desk.requester), task=task, done=True)
    with pytest.raises(NotFound):
        case_task_update(actor=actor_of(soc.desk.apps_resolver), task=task, done=True)
    assert not CaseTask.objects.get(pk=task.pk).done


def test_a_stale_version_is_refused(soc, task):
    with pytest.raises(StaleVersion):
        case_task_update(actor=soc.actor, task=task, done=True, expected_version=task.version + 1)


def test_the_case_page_buttons_mark_done_reopen_and_assign(client, soc, task):
    sign_in(client, soc.analyst, soc.organisation)
    url = f"/security-cases/{task.case_id}/tasks/{task.pk}/"
    page = client.get(f"/security-cases/{task.case_id}/").content.decode()
    assert f'action="{url}done/"' in page and f'action="{url}assign/"' in page
    assert client.post(f"{url}done/").status_code == 302
    assert CaseTask.objects.get(pk=task.pk).done
    assert f'action="{url}reopen/"' in client.get(f"/security-cases/{task.case_id}/").content.decode()
    client.post(f"{url}reopen/")
    client.post(f"{url}assign/", {"person": str(soc.analyst.pk)})
    task.refresh_from_db()
    assert (task.done, task.assignee) == (False, soc.analyst)
    assert AuditEntry.objects.filter(action="soc.case.task_updated", channel="web").count() == 3
    client.post(f"{url}assign/", {"person": "not-a-uuid"})
    assert CaseTask.objects.get(pk=task.pk).assignee == soc.analyst


def test_another_organisations_user_gets_404_for_task_routes(client, soc, task):
    sign_in(client, soc.desk.apps_resolver, soc.desk.estate.applications)
    url = f"/security-cases/{task.case_id}/tasks/{task.pk}/"
    for change in ("done", "reopen", "assign"):
        assert client.post(f"{url}{change}/").status_code == 404
    apps = bearer(soc.desk.apps_resolver, soc.desk.estate.applications)
    patched = client.patch(f"/api/v1/security-cases/{task.case_id}/tasks/{task.pk}", {"done": True}, JSON, **apps)
    assert patched.status_code == 404
    assert not CaseTask.objects.get(pk=task.pk).done


def test_a_task_of_another_case_is_not_reached_through_this_case(client, soc, task):
    other = soc.case(host="ws-0777", user="FORCE\\other")
    sign_in(client, soc.analyst, soc.organisation)
    assert client.post(f"/security-cases/{other.pk}/tasks/{task.pk}/done/").status_code == 404
    with pytest.raises(NotFound):
        selectors.case_task_get(actor=soc.actor, case=other, id=task.pk)


def test_the_api_patches_a_task_with_etag_and_if_match(client, soc, task):
    analyst = bearer(soc.analyst, soc.organisation)
    url = f"/api/v1/security-cases/{task.case_id}/tasks/{task.pk}"
    body = {"done": True, "assignee": str(soc.analyst.pk)}
    done = client.patch(url, body, JSON, HTTP_IF_MATCH=f'"{task.version}"', **analyst)
    assert done.status_code == 200, done.content
    assert done.json() == {"id": str(task.pk), "title": task.title, "done": True, "assignee": str(soc.analyst.pk)}
    assert done["ETag"] == f'"{task.version + 1}"'
    stale = client.patch(url, {"done": False}, JSON, HTTP_IF_MATCH=f'"{task.version}"', **analyst)
    assert stale.status_code == 412
    assert CaseTask.objects.get(pk=task.pk).done
    detail = client.get(f"/api/v1/security-cases/{task.case_id}", **analyst).json()
    assert detail["tasks"][0]["assignee"] == str(soc.analyst.pk)
