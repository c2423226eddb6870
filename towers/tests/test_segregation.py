"""Walk every registered API and UI route as a user of another supplier: nothing of theirs is reachable.

These tests enumerate routes from the OpenAPI document and Django's URL resolver, so routes added
later are covered without anyone remembering to add a test.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from towers.api import api
from towers.core.models import AuditEntry
from towers.organisations.models import ApiToken
from towers.organisations.tests.factories import ApiTokenFactory, sign_in
from towers.tests.segregation import (
    FIELD_RESOURCES,
    OWNER_REFUSED,
    PATH_VALUES,
    ForeignObjects,
    resource_before,
    sample_body,
)

pytestmark = pytest.mark.django_db
PREFIX = "/api/v1"
WRITE_METHODS = {"post", "put", "patch", "delete"}


def _operations():
    schema = api.get_openapi_schema(path_prefix=PREFIX)
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation, schema.get("components", {}).get("schemas", {})


def _bearer(person, organisation):
    secret = f"twr_walker-{person.username}-{organisation.code}-abcdefghijklmnopqrstuvwxyz"
    ApiTokenFactory(secret=secret, person=person, organisation=organisation, scope=ApiToken.Scope.WRITE)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _fill(path: str, foreign: ForeignObjects) -> str:
    segments = path.split("/")
    for index, segment in enumerate(segments):
        if segment.startswith("{") and segment.strip("{}") in PATH_VALUES:
            segments[index] = PATH_VALUES[segment.strip("{}")]
        elif segment.startswith("{"):
            segments[index] = str(foreign.for_resource(resource_before(segments, index), path).pk)
    return "/".join(segments)


def _body(operation, components, uuid_for):
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return sample_body(content["application/json"]["schema"], components, uuid_for)


def _call(client, method, url, body, auth):
    if body is None:
        return getattr(client, method)(url, **auth)
    return getattr(client, method)(url, data=body, content_type="application/json", **auth)


def test_every_api_route_with_an_object_id_hides_other_suppliers_objects(client, estate):
    foreign = ForeignObjects(estate)
    attacker = _bearer(estate.network_admin, estate.network)
    owner = _bearer(estate.applications_admin, estate.applications)
    probed = 0
    for path, method, operation, components in _operations():
        if "{" not in path:
            continue
        url = _fill(path, foreign)
        audit_before = AuditEntry.objects.count()
        body = _body(operation, components, lambda _name: str(estate.network.id))
        response = _call(client, method, url, body, attacker)
        assert response.status_code in {403, 404}, f"{method.upper()} {path} gave {response.status_code}"
        assert AuditEntry.objects.count() == audit_before, f"{method.upper()} {path} wrote something"
        if method == "get" and path not in OWNER_REFUSED:
            assert client.get(url, **owner).status_code == 200, f"owner cannot GET {path}: the probe is wrong"
        probed += 1
    assert probed >= 10


def test_every_api_list_leaves_out_other_suppliers_objects(client, estate):
    foreign_ids = ForeignObjects(estate).all_ids()
    attacker = _bearer(estate.network_admin, estate.network)
    listed = 0
    for path, method, _operation, _components in _operations():
        if method != "get" or "{" in path or path.endswith(("/docs", "openapi.json")):
            continue
        response = client.get(path, **attacker)
        assert response.status_code == 200, f"GET {path} gave {response.status_code}"
        leaked = [name for name, pk in foreign_ids.items() if pk in response.content.decode()]
        assert not leaked, f"GET {path} shows another supplier's {leaked}"
        listed += 1
    assert listed >= 5


def _is_id(value) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f-]{36}", value) is not None


def test_every_api_create_refuses_references_to_other_suppliers_objects(client, estate):
    foreign = ForeignObjects(estate)
    attacker = _bearer(estate.network_admin, estate.network)

    def foreign_id(name: str) -> str:
        return str(foreign.for_resource(FIELD_RESOURCES.get(name, name), f"body field {name}").pk)

    for path, method, operation, components in _operations():
        if method not in WRITE_METHODS or "{" in path:
            continue
        body = _body(operation, components, foreign_id)
        if not body or not any(_is_id(v) or (isinstance(v, list) and any(map(_is_id, v))) for v in body.values()):
            continue
        audit_before = AuditEntry.objects.count()
        response = _call(client, method, path, body, attacker)
        assert response.status_code in {403, 404}, f"{method.upper()} {path} with {body} gave {response.status_code}"
        assert AuditEntry.objects.count() == audit_before


def _ui_patterns(resolver: URLResolver | None = None, prefix: str = ""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith(("api/", "tmf-api/")):  # the APIs test their own segregation
                yield from _ui_patterns(entry, route)
        elif isinstance(entry, URLPattern) and "<" in route:
            yield "/" + route


def test_every_ui_page_with_an_object_id_hides_other_suppliers_objects(client, estate):
    foreign = ForeignObjects(estate)
    sign_in(client, estate.network_admin, estate.network)
    for route in _ui_patterns():
        original = route.split("/")
        segments = list(original)
        for index, segment in enumerate(original):  # each parameter named by the route, not by a filled-in value
            if segment.startswith("<"):
                segments[index] = str(foreign.for_resource(resource_before(original, index), route).pk)
        url = "/".join(segments)
        audit_before = AuditEntry.objects.count()
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            assert status in {403, 404, 405}, f"{method.upper()} {route} gave {status}"
        assert AuditEntry.objects.count() == audit_before, f"POST {route} wrote something"
