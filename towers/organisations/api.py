"""REST routes for organisations, teams, people, memberships, tokens, audit and imports (thin)."""

from dataclasses import replace
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Status, UploadedFile
from ninja.pagination import paginate

from towers.core.actor import Channel
from towers.core.api import Page, expected_version, set_etag
from towers.core.permissions import get_visible
from towers.organisations import selectors
from towers.organisations.models import Organisation, Person, Team, Tower
from towers.organisations.schemas import (
    AuditEntryOut,
    CommercialGrantIn,
    CommercialGrantOut,
    ImportReportOut,
    MembershipIn,
    MembershipOut,
    MeOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    PersonIn,
    PersonOut,
    PersonPatch,
    TeamIn,
    TeamMemberIn,
    TeamMemberOut,
    TeamOut,
    TeamPatch,
    TokenCreated,
    TokenIn,
    TokenOut,
    TowerOut,
)
from towers.organisations.services import imports, organisations, people, tokens

router = Router(tags=["Organisations"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


def _changes(request: HttpRequest, body: Any, references: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fields a PATCH body set, with ids of referenced objects replaced by the visible objects."""
    changes = body.dict(exclude_unset=True)
    for name, resolve in (references or {}).items():
        if changes.get(name) is not None:
            changes[name] = resolve(actor=_actor(request), id=changes[name])
    return changes


@router.get("/me", response=MeOut, summary="Who am I acting as")
def me(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    person = Person.objects.get(pk=actor.person_id)
    return {
        "id": person.id,
        "username": person.username,
        "name": str(person),
        "roles": sorted(actor.roles),
        "organisation": {"id": actor.organisation_id, "name": actor.organisation_name}
        if actor.organisation_id
        else None,
        "organisations": selectors.person_organisations(person),
    }


# Organisations and towers


@router.get("/organisations", response=list[OrganisationOut])
@paginate(Page)
def organisation_list(request: HttpRequest, kind: str | None = None, search: str = "") -> Any:
    return selectors.organisation_list(actor=_actor(request), kind=kind, search=search)


@router.post("/organisations", response={201: OrganisationOut})
def organisation_create(request: HttpRequest, body: OrganisationIn) -> Any:
    tower = selectors.tower_get(actor=_actor(request), id=body.tower) if body.tower else None
    organisation = organisations.organisation_create(
        actor=_actor(request), code=body.code, name=body.name, kind=body.kind, tower=tower, email=body.email
    )
    return Status(201, organisation)


@router.get("/organisations/{id}", response=OrganisationOut)
def organisation_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Organisation:
    organisation = selectors.organisation_get(actor=_actor(request), id=id)
    set_etag(response, organisation)
    return organisation


@router.patch("/organisations/{id}", response=OrganisationOut)
def organisation_update(
    request: HttpRequest, response: HttpResponse, id: UUID, body: OrganisationPatch
) -> Organisation:
    organisation = organisations.organisation_update(
        actor=_actor(request),
        organisation=selectors.organisation_get(actor=_actor(request), id=id),
        changes=_changes(request, body, {"tower": selectors.tower_get}),
        expected_version=expected_version(request),
    )
    set_etag(response, organisation)
    return organisation


@router.get("/organisations/{id}/history", response=list[AuditEntryOut])
@paginate(Page)
def organisation_history(request: HttpRequest, id: UUID) -> Any:
    return selectors.audit_history(obj=selectors.organisation_get(actor=_actor(request), id=id))


@router.get("/towers", response=list[TowerOut])
@paginate(Page)
def tower_list(request: HttpRequest) -> Any:
    return selectors.tower_list(actor=_actor(request))


@router.get("/towers/{id}", response=TowerOut)
def tower_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Tower:
    tower = selectors.tower_get(actor=_actor(request), id=id)
    set_etag(response, tower)
    return tower


# Teams


@router.get("/teams", response=list[TeamOut])
@paginate(Page)
def team_list(request: HttpRequest, organisation: UUID | None = None, search: str = "") -> Any:
    return selectors.team_list(actor=_actor(request), organisation=organisation, search=search)


@router.post("/teams", response={201: TeamOut})
def team_create(request: HttpRequest, body: TeamIn) -> Any:
    organisation = selectors.organisation_get(actor=_actor(request), id=body.organisation)
    team = organisations.team_create(
        actor=_actor(request),
        organisation=organisation,
        code=body.code,
        name=body.name,
        email=body.email,
        description=body.description,
    )
    return Status(201, team)


@router.get("/teams/{id}", response=TeamOut)
def team_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Team:
    team = selectors.team_get(actor=_actor(request), id=id)
    set_etag(response, team)
    return team


@router.patch("/teams/{id}", response=TeamOut)
def team_update(request: HttpRequest, response: HttpResponse, id: UUID, body: TeamPatch) -> Team:
    team = organisations.team_update(
        actor=_actor(request),
        team=selectors.team_get(actor=_actor(request), id=id),
        changes=_changes(request, body),
        expected_version=expected_version(request),
    )
    set_etag(response, team)
    return team


@router.get("/teams/{id}/history", response=list[AuditEntryOut])
@paginate(Page)
def team_history(request: HttpRequest, id: UUID) -> Any:
    return selectors.audit_history(obj=selectors.team_get(actor=_actor(request), id=id))


@router.get("/teams/{id}/members", response=list[TeamMemberOut])
@paginate(Page)
def team_member_list(request: HttpRequest, id: UUID) -> Any:
    return selectors.team_members(actor=_actor(request), team=selectors.team_get(actor=_actor(request), id=id))


@router.post("/teams/{id}/members", response={201: TeamMemberOut})
def team_member_add(request: HttpRequest, id: UUID, body: TeamMemberIn) -> Any:
    actor = _actor(request)
    team = selectors.team_get(actor=actor, id=id)
    person = selectors.person_get(actor=actor, id=body.person)
    return Status(201, people.team_member_add(actor=actor, team=team, person=person))


@router.delete("/teams/{id}/members/{member_id}", response={204: None})
def team_member_remove(request: HttpRequest, id: UUID, member_id: UUID) -> Any:
    actor = _actor(request)
    team = selectors.team_get(actor=actor, id=id)
    member = get_visible(actor, selectors.team_members(actor=actor, team=team), pk=member_id)
    people.team_member_remove(actor=actor, member=member)
    return Status(204, None)


# People and memberships


@router.get("/people", response=list[PersonOut])
@paginate(Page)
def person_list(
    request: HttpRequest, organisation: UUID | None = None, role: str | None = None, search: str = ""
) -> Any:
    return selectors.person_list(actor=_actor(request), organisation=organisation, role=role, search=search)


@router.post("/people", response={201: PersonOut})
def person_create(request: HttpRequest, body: PersonIn) -> Any:
    actor = _actor(request)
    person = people.person_create(
        actor=actor,
        organisation=selectors.organisation_get(actor=actor, id=body.organisation),
        **body.dict(exclude={"organisation"}),
    )
    return Status(201, selectors.person_get(actor=actor, id=person.pk))


@router.get("/people/{id}", response=PersonOut)
def person_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Person:
    person = selectors.person_get(actor=_actor(request), id=id)
    set_etag(response, person)
    return person


@router.patch("/people/{id}", response=PersonOut)
def person_update(request: HttpRequest, response: HttpResponse, id: UUID, body: PersonPatch) -> Person:
    actor = _actor(request)
    person = people.person_update(
        actor=actor,
        person=selectors.person_get(actor=actor, id=id),
        changes=_changes(request, body),
        expected_version=expected_version(request),
    )
    set_etag(response, person)
    return selectors.person_get(actor=actor, id=person.pk)


@router.get("/people/{id}/history", response=list[AuditEntryOut])
@paginate(Page)
def person_history(request: HttpRequest, id: UUID) -> Any:
    return selectors.audit_history(obj=selectors.person_get(actor=_actor(request), id=id))


@router.get("/memberships", response=list[MembershipOut])
@paginate(Page)
def membership_list(request: HttpRequest, person: UUID | None = None, organisation: UUID | None = None) -> Any:
    return selectors.membership_list(actor=_actor(request), person=person, organisation=organisation)


@router.post("/memberships", response={201: MembershipOut})
def membership_grant(request: HttpRequest, body: MembershipIn) -> Any:
    actor = _actor(request)
    membership = people.membership_grant(
        actor=actor,
        person=selectors.person_get(actor=actor, id=body.person),
        organisation=selectors.organisation_get(actor=actor, id=body.organisation),
        role=body.role,
    )
    return Status(201, membership)


@router.delete("/memberships/{id}", response={204: None})
def membership_revoke(request: HttpRequest, id: UUID) -> Any:
    people.membership_revoke(actor=_actor(request), membership=selectors.membership_get(actor=_actor(request), id=id))
    return Status(204, None)


# Commercial grants: the authority opens one supplier's commercial records to another organisation.


@router.get("/commercial-grants", response=list[CommercialGrantOut], tags=["Commercial grants"])
@paginate(Page)
def commercial_grant_list(request: HttpRequest) -> Any:
    return selectors.commercial_grant_list(actor=_actor(request))


@router.post("/commercial-grants", response={201: CommercialGrantOut}, tags=["Commercial grants"])
def commercial_grant_create(request: HttpRequest, body: CommercialGrantIn) -> Any:
    actor = _actor(request)
    grant = organisations.commercial_grant_create(
        actor=actor,
        grantee=selectors.organisation_get(actor=actor, id=body.grantee),
        supplier=selectors.organisation_get(actor=actor, id=body.supplier),
        reason=body.reason,
        expires_at=body.expires_at,
    )
    return Status(201, grant)


@router.delete("/commercial-grants/{id}", response={204: None}, tags=["Commercial grants"])
def commercial_grant_revoke(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    organisations.commercial_grant_revoke(actor=actor, grant=selectors.commercial_grant_get(actor=actor, id=id))
    return Status(204, None)


# API tokens


@router.get("/tokens", response=list[TokenOut], tags=["API tokens"])
@paginate(Page)
def token_list(request: HttpRequest) -> Any:
    return selectors.token_list(actor=_actor(request))


@router.post("/tokens", response={201: TokenCreated}, tags=["API tokens"])
def token_create(request: HttpRequest, body: TokenIn) -> Any:
    token, secret = tokens.token_create(
        actor=_actor(request), name=body.name, scope=body.scope, expires_at=body.expires_at
    )
    token.secret = secret  # type: ignore[attr-defined]
    return Status(201, token)


@router.delete("/tokens/{id}", response={204: None}, tags=["API tokens"])
def token_revoke(request: HttpRequest, id: UUID) -> Any:
    tokens.token_revoke(actor=_actor(request), token=selectors.token_get(actor=_actor(request), id=id))
    return Status(204, None)


# Audit and imports


@router.get("/audit-entries", response=list[AuditEntryOut], tags=["Audit"])
@paginate(Page)
def audit_list(request: HttpRequest, action: str = "", object_type: str = "") -> Any:
    return selectors.audit_list(actor=_actor(request), action=action, object_type=object_type)


def _import(request: HttpRequest, file: UploadedFile, dry_run: bool, run: Any, columns: dict[str, list[str]]) -> Any:
    actor = _actor(request)
    rows = imports.read_csv(file.read(), columns)
    import_actor = replace(actor, channel=Channel.IMPORT)
    return run(actor=import_actor, rows=rows, dry_run=dry_run).as_dict()


@router.post(
    "/imports/people",
    response=ImportReportOut,
    tags=["Imports"],
    summary="Import people from CSV (dry_run=true by default: checks every row, changes nothing)",
)
def import_people(request: HttpRequest, file: File[UploadedFile], dry_run: bool = True) -> Any:
    return _import(request, file, dry_run, imports.people_import, imports.PEOPLE_COLUMNS)


@router.post(
    "/imports/teams",
    response=ImportReportOut,
    tags=["Imports"],
    summary="Import teams from CSV (dry_run=true by default: checks every row, changes nothing)",
)
def import_teams(request: HttpRequest, file: File[UploadedFile], dry_run: bool = True) -> Any:
    return _import(request, file, dry_run, imports.teams_import, imports.TEAM_COLUMNS)
