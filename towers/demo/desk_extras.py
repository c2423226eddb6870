"""The rest of the demo desk, through the real services: the request catalogue, knowledge, problems with
known errors, change templates, a freeze, changes in every state of approval, and an active major incident.

Everything here is done as the demo's people would do it (the integrator's administrator sets up the
catalogue, an agent raises a problem, Apex's team lead raises a change…), so each step is audited and
notified like any other.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.contracts.models import Service
from towers.core.actor import Actor, Channel
from towers.organisations.models import Organisation, Person, Team
from towers.organisations.selectors import actor_for
from towers.servicedesk.models import Article, CatalogItem, Ticket
from towers.servicedesk.services.catalogue import catalog_item_create
from towers.servicedesk.services.change_approvals import approval_decide, change_submit_for_approval
from towers.servicedesk.services.change_config import change_template_create, freeze_window_create
from towers.servicedesk.services.changes import change_assess_risk, change_create
from towers.servicedesk.services.knowledge import article_create, article_publish
from towers.servicedesk.services.major import major_declare, major_update
from towers.servicedesk.services.problems import problem_create, problem_mark_known_error, problem_record_cause
from towers.servicedesk.services.tickets import ticket_create

PHONE_FORM = [
    {"name": "model", "label": "Model", "type": "choice", "required": True, "choices": ["Standard", "Rugged"]},
    {"name": "reason", "label": "Why is it needed?", "type": "textarea", "required": True},
    {"name": "needed_by", "label": "Needed by", "type": "date"},
    {"name": "budget_holder", "label": "Budget holder (username)", "type": "person", "required": True},
]
ACCESS_FORM = [
    {"name": "system", "label": "System", "type": "choice", "required": True, "choices": ["Crime records", "ERP"]},
    {"name": "role", "label": "Role needed", "type": "text", "required": True, "max_length": 100},
]
ARTICLES = [
    (
        "Resetting your password",
        "Use the self-service page from any force device: choose 'Forgotten password', answer your security "
        "questions and set a password of at least 14 characters. Your new password works on the crime system "
        "within five minutes.",
        "everyone",
    ),
    (
        "Crime records: 'session expired' when saving",
        "Save your draft, close every crime records window, sign in again and reopen the draft. The fault is "
        "a known error while the session timeout is corrected.",
        "everyone",
    ),
    (
        "VPN token expired on a mobile device",
        "Agents: re-enrol the token from the MDM console, then ask the officer to restart the device.",
        "internal",
    ),
]


def _actor(username: str) -> Actor:
    return actor_for(Person.objects.get(username=username), channel=Channel.WEB)


def seed_desk_extras() -> bool:
    """Seed once (skipped when the catalogue already has items); return whether anything was made."""
    if CatalogItem.objects.exists():
        return False
    teams = {t.code: t for t in Team.objects.all()}
    services = {s.code: s for s in Service.objects.all()}
    with transaction.atomic():
        _catalogue(services, teams)
        problem = _problem(services)
        _articles(services, problem)
        _changes(services, teams)
        _major(services)
    return True


def _catalogue(services: dict[str, Service], teams: dict[str, Team]) -> None:
    admin = _actor("int.admin")
    catalog_item_create(
        actor=admin,
        code="mobile-phone",
        name="Mobile phone",
        description="A force smartphone, enrolled and ready to use.",
        service=services.get("mobile") or next(iter(services.values())),
        form=PHONE_FORM,
        approvals=["line_manager", "budget_holder"],
        tasks=[
            {"title": "Enrol the device", "team": str(teams["mer-mobile"].id)},
            {"title": "Activate a SIM and line", "team": str(teams["aw-lines"].id), "after": 0},
        ],
    )
    catalog_item_create(
        actor=admin,
        code="system-access",
        name="Access to a business system",
        description="A role on crime records or ERP.",
        service=services["application-support"],
        form=ACCESS_FORM,
        approvals=["line_manager"],
        tasks=[{"title": "Grant the role", "team": str(teams["apex-crime"].id), "fields": ["system", "role"]}],
    )


def _problem(services: dict[str, Service]) -> Ticket:
    agent = _actor("sd.agent")
    problem = problem_create(
        actor=agent,
        title="Crime records sessions expire while officers are saving",
        description="Several incidents a week: drafts lost when the session times out mid-save.",
        service=services["application-support"],
        impact=2,
        urgency=2,
    )
    problem_record_cause(
        actor=agent, problem=problem, root_cause="The application server's session timeout is shorter than the SSO's."
    )
    problem_mark_known_error(
        actor=agent,
        problem=problem,
        workaround="Save the draft, sign out of every crime records window, sign in again and reopen the draft.",
        symptoms="crime records session expired saving draft lost",
    )
    return problem


def _articles(services: dict[str, Service], problem: Ticket) -> None:
    agent = _actor("sd.agent")
    meridian = Organisation.objects.get(code="meridian")
    for title, body, audience in ARTICLES:
        article = article_create(
            actor=agent,
            title=title,
            body=body,
            audience=audience,
            service=services["application-support"] if "Crime" in title else None,
            problem=problem if "Crime" in title else None,
            organisation=meridian,
        )
        if article.status == Article.Status.DRAFT:
            article_publish(actor=agent, article=article)


def _changes(services: dict[str, Service], teams: dict[str, Team]) -> None:
    admin, lead, manager = _actor("int.admin"), _actor("apps.lead"), _actor("mim")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    template = change_template_create(
        actor=admin,
        code="vm-patch",
        name="Monthly operating-system patching of a virtual machine",
        implementation_plan="Snapshot, apply the month's patches, reboot, run the smoke tests.",
        backout_plan="Revert to the snapshot.",
        test_plan="Service smoke tests pass; monitoring green for 30 minutes.",
        risk="low",
        service=services["hosting"],
        team=teams["mer-hosting"],
    )
    freeze_window_create(
        actor=admin,
        name="Year-end payroll freeze",
        starts_at=now + timedelta(days=20),
        ends_at=now + timedelta(days=24),
        services=[services["application-support"]],
        reason="Payroll runs: no change to ERP or its platform.",
    )
    database = ConfigurationItem.objects.filter(name="CRIMEDB").first()
    cis = [database] if database else []
    window = (now + timedelta(days=3, hours=20), now + timedelta(days=3, hours=23))
    upgrade = change_create(
        actor=lead,
        title="Upgrade the crime records database to the supported release",
        service=services["application-support"],
        cis=cis,
        team=teams["apex-crime"],
        planned_start=window[0],
        planned_end=window[1],
        justification="The current release leaves vendor support next month.",
        implementation_plan="Fail over to the standby, upgrade it, fail back, upgrade the former primary.",
        backout_plan="Fail back to the untouched primary.",
        test_plan="Officers' smoke tests on crime records; replication healthy.",
    )
    change_assess_risk(
        actor=lead,
        change=upgrade,
        outage_required=True,
        backout_tested=True,
        done_before=False,
        services_affected=2,
        ci_criticality=1,
    )
    submitted = change_submit_for_approval(actor=lead, change=upgrade)
    if submitted:
        approval_decide(actor=manager, approval=submitted[0], approve=True, comment="Agreed at CAB.")
    # A second change in the same window on the same database: the calendar flags the conflict.
    change_create(
        actor=lead,
        title="Re-index the crime records search tables",
        service=services["application-support"],
        cis=cis,
        team=teams["apex-crime"],
        planned_start=window[0] + timedelta(hours=1),
        planned_end=window[1] + timedelta(hours=1),
        implementation_plan="Rebuild the search indexes online.",
        backout_plan="Drop the new indexes; the old ones stay until the end.",
    )
    change_create(
        actor=admin,
        title="Patch the crime records application servers",
        change_type="standard",
        template=template,
        planned_start=now + timedelta(days=1, hours=21),
        planned_end=now + timedelta(days=1, hours=22),
    )


def _major(services: dict[str, Service]) -> None:
    agent, mim = _actor("sd.agent"), _actor("mim")
    incident = ticket_create(
        actor=agent,
        title="Command and control unavailable across the force",
        description="Control room reports no incident creation since 07:40; radios unaffected.",
        impact=1,
        urgency=1,
        service=services["application-support"],
        channel="phone",
    )
    major = major_declare(
        actor=mim,
        ticket=incident,
        bridge="Teams: 'MI – Command and control'; dial-in 0300 000 0000, PIN 4417",
        manager=Person.objects.get(username="mim"),
        stakeholders=["duty.inspector@northshire.police.invalid", "ict.client@northshire.police.invalid"],
    )
    major_update(
        actor=mim,
        major=major,
        body="Apex and Hostwell are on the bridge. The database cluster lost quorum; fail-over is in progress.",
    )
