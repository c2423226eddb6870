"""HTML pages of the organisations app.

Object pages are /<plural>/<uuid:pk>/…, the plural being the API's: the segment before an id names
the resource it identifies, which is how the segregation route walker finds an object to probe with.
"""

from django.urls import path

from towers.organisations.views import account, audit, grants, history, imports, organisations, people, teams, tokens

urlpatterns = [
    path("organisations/", organisations.organisation_list, name="organisation_list"),
    path("organisations/new/", organisations.organisation_create, name="organisation_create"),
    path("organisations/<uuid:pk>/", organisations.organisation_detail, name="organisation_detail"),
    path("organisations/<uuid:pk>/edit/", organisations.organisation_edit, name="organisation_edit"),
    path("organisations/<uuid:pk>/history/", history.organisation_history, name="organisation_history"),
    path("teams/", teams.team_list, name="team_list"),
    path("teams/new/", teams.team_create, name="team_create"),
    path("teams/<uuid:pk>/", teams.team_detail, name="team_detail"),
    path("teams/<uuid:pk>/edit/", teams.team_edit, name="team_edit"),
    path("teams/<uuid:pk>/history/", history.team_history, name="team_history"),
    path("teams/<uuid:pk>/members/add/", teams.team_member_add, name="team_member_add"),
    path("teams/<uuid:pk>/members/<uuid:member_pk>/remove/", teams.team_member_remove, name="team_member_remove"),
    path("people/", people.person_list, name="person_list"),
    path("people/new/", people.person_create, name="person_create"),
    path("people/<uuid:pk>/", people.person_detail, name="person_detail"),
    path("people/<uuid:pk>/edit/", people.person_edit, name="person_edit"),
    path("people/<uuid:pk>/history/", history.person_history, name="person_history"),
    path("people/<uuid:pk>/memberships/new/", people.membership_grant, name="membership_grant"),
    path("memberships/<uuid:pk>/revoke/", people.membership_revoke, name="membership_revoke"),
    path("commercial-grants/", grants.commercial_grant_list, name="commercial_grant_list"),
    path("commercial-grants/<uuid:pk>/revoke/", grants.commercial_grant_revoke, name="commercial_grant_revoke"),
    path("account/password/", account.password_change, name="password_change"),
    path("tokens/", tokens.token_list, name="token_list"),
    path("tokens/<uuid:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("imports/", imports.import_start, name="import_start"),
    path("imports/check/", imports.import_check, name="import_check"),
    path("imports/apply/", imports.import_apply, name="import_apply"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
]
