"""CSV import of people or teams: upload, check (a dry run that changes nothing), then apply what was checked."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from towers.core.actor import Actor, Channel
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import ensure_can
from towers.organisations import selectors
from towers.organisations.forms import ImportApplyForm, ImportUploadForm
from towers.organisations.services import imports
from towers.organisations.views.common import request_actor, ui_view

# The checked file waits here between the dry run and "Apply": the browser never has to send it twice,
# and the digest in the apply form proves that what is applied is exactly what was checked.
PENDING_KEY = "organisations.pending_import"


@dataclass(frozen=True)
class ImportKind:
    label: str
    run: Callable[..., imports.ImportReport]
    columns: dict[str, list[str]]
    example: str


KINDS = {
    "people": ImportKind(
        "People",
        imports.people_import,
        imports.PEOPLE_COLUMNS,
        "username,organisation,first_name,last_name,email,job_title,roles,teams\n"
        "j.smith,network,Jane,Smith,jane.smith@network.example,Network engineer,resolver;team_lead,net-ops\n",
    ),
    "teams": ImportKind(
        "Teams",
        imports.teams_import,
        imports.TEAM_COLUMNS,
        "organisation,code,name,email,description\n"
        "network,net-field,Field engineers,field@network.example,On-site repairs\n",
    ),
}


def _import_actor(request: HttpRequest) -> Actor:
    """The actor, refused unless they may import, and attributed to the import channel in the audit log."""
    actor = request_actor(request)
    if actor.organisation_id is None:
        raise Forbidden("Only a person acting for an organisation can import.")
    ensure_can(actor, "import.run", selectors.organisation_get(actor=actor, id=actor.organisation_id))
    return replace(actor, channel=Channel.IMPORT)


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "organisations/import.html", {"kinds": KINDS, **context}, status=status)


@ui_view
def import_start(request: HttpRequest) -> HttpResponse:
    _import_actor(request)
    return _page(request, {"form": ImportUploadForm()})


@require_POST
@ui_view
def import_check(request: HttpRequest) -> HttpResponse:
    actor = _import_actor(request)
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, {"form": form})
    kind = KINDS[form.cleaned_data["kind"]]
    raw = form.cleaned_data["file"].read()
    try:
        rows = imports.read_csv(raw, kind.columns)
    except ValidationFailed as exc:
        for problems in exc.fields.values():
            for problem in problems:
                form.add_error("file", problem)
        return _page(request, {"form": form})
    text = raw.decode("utf-8-sig")  # read_csv has proved it decodes
    digest = hashlib.sha256(text.encode()).hexdigest()
    request.session[PENDING_KEY] = {
        "kind": form.cleaned_data["kind"],
        "name": form.cleaned_data["file"].name,
        "text": text,
        "digest": digest,
    }
    report = kind.run(actor=actor, rows=rows, dry_run=True)
    return _page(
        request,
        {
            "form": ImportUploadForm(initial={"kind": form.cleaned_data["kind"]}),
            "report": report,
            "file_name": form.cleaned_data["file"].name,
            "apply_form": ImportApplyForm(initial={"digest": digest}),
            "appliable": report.total > report.rejected,
        },
    )


@require_POST
@ui_view
def import_apply(request: HttpRequest) -> HttpResponse:
    actor = _import_actor(request)
    form = ImportApplyForm(request.POST)
    pending = request.session.get(PENDING_KEY)
    if not form.is_valid() or not pending or pending["digest"] != form.cleaned_data["digest"]:
        messages.error(request, "The checked file is no longer waiting to be applied; upload and check it again.")
        return redirect("import_start")
    kind = KINDS[pending["kind"]]
    report = kind.run(actor=actor, rows=imports.read_csv(pending["text"], kind.columns), dry_run=False)
    del request.session[PENDING_KEY]
    return _page(request, {"form": ImportUploadForm(), "report": report, "file_name": pending["name"]})
