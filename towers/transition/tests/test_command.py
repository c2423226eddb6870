import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from towers.organisations.models import Organisation
from towers.transition.models import Transition
from towers.transition.tests.factories import crime_transition, desk_for_transition, incoming_supplier, onboarding_plan

pytestmark = pytest.mark.django_db


def test_onboard_dry_runs_by_default_and_creates_with_apply(estate, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(onboarding_plan()))
    out = StringIO()
    call_command("transition", "onboard", str(plan), stdout=out)
    assert "Would be created" in out.getvalue() and "nothing was created" in out.getvalue()
    assert not Organisation.objects.filter(code="apps-next").exists()
    call_command("transition", "onboard", str(plan), "--apply", stdout=StringIO())
    assert Organisation.objects.filter(code="apps-next").exists()


def test_a_bad_plan_fails_the_command_naming_the_field(estate, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(onboarding_plan(teams=[{"code": "x"}])))
    out = StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("transition", "onboard", str(plan), stdout=out)
    assert "teams[0].name" in out.getvalue()


def test_run_prints_the_report_and_applies_with_apply(estate):
    transition = crime_transition(desk_for_transition(estate), incoming_supplier(estate))
    out = StringIO()
    call_command("transition", "run", str(transition.pk), stdout=out)
    assert "Crime system to Next Apps: dry run" in out.getvalue() and "Service levels ended" in out.getvalue()
    call_command("transition", "run", str(transition.pk), "--apply", stdout=StringIO())
    assert Transition.objects.get(pk=transition.pk).status == "applied"
