"""Pages of MDM imports: upload an export (checked by default), the runs so far, one run's row-level report."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from towers.core.actor import Channel
from towers.core.permissions import visible_to
from towers.mobile.mdm_formats import FORMATS, MdmFormatError, mapping_from_json
from towers.mobile.schemas_import import MAPPING_HELP
from towers.mobile.selectors_import import mdm_import_get, mdm_import_list
from towers.mobile.services.mdm_queue import mdm_import_or_queue
from towers.organisations.models import Organisation, Team
from towers.organisations.views.common import call_service, paginate, request_actor, ui_view

SHOWN = 1000  # rows of a report on the page; the API returns every one
OUTCOMES = ("rejected", "created", "updated", "unchanged")


class MdmUploadForm(forms.Form):
    file = forms.FileField(help_text="Intune's Devices > All devices > Export (CSV), Graph JSON, or any CSV/JSON.")
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), help_text="Whose fleet it is.")
    supplier = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False, label="Mobile supplier")
    support_team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label="Supported by",
        help_text="The supplier's team supporting the devices' CIs (default: the owner's wipe or repair team).",
    )
    source_format = forms.ChoiceField(
        choices=[("", "Detect from the header"), *((f, f) for f in FORMATS)], required=False, label="Format"
    )
    mapping = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=MAPPING_HELP)
    dry_run = forms.BooleanField(initial=True, required=False, label="Dry run: check and report, change nothing")

    def __init__(self, *args: Any, organisations: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = self.fields["supplier"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["support_team"].queryset = teams  # type: ignore[attr-defined]

    def clean_mapping(self) -> dict[str, str] | None:
        try:
            return mapping_from_json(self.cleaned_data["mapping"])
        except MdmFormatError as exc:
            raise forms.ValidationError(str(exc)) from None


@ui_view
def mdm_imports(request: HttpRequest) -> HttpResponse:
    actor = replace(request_actor(request), channel=Channel.IMPORT)
    organisations = visible_to(actor, Organisation.objects).order_by("name")
    initial = {"organisation": actor.organisation_id, "dry_run": True}
    teams = visible_to(actor, Team.objects).select_related("organisation").order_by("organisation__name", "name")
    form = MdmUploadForm(
        request.POST or None, request.FILES or None, organisations=organisations, teams=teams, initial=initial
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run, status = call_service(
            form,
            lambda: mdm_import_or_queue(
                actor=actor,
                organisation=data["organisation"],
                supplier=data["supplier"],
                support_team=data["support_team"],
                data=data["file"].read(),
                filename=data["file"].name,
                source_format=data["source_format"] or None,
                mapping=data["mapping"],
                dry_run=data["dry_run"],
            ),
            field_names={"format": "source_format"},
        )
        if run is not None:
            return redirect("mdm_import_detail", pk=run.pk)
    runs = paginate(request, mdm_import_list(actor=actor))
    return render(request, "mobile/imports.html", {"form": form, "runs": runs}, status=status)


@ui_view
def mdm_import_detail(request: HttpRequest, pk: str) -> HttpResponse:
    run = mdm_import_get(actor=request_actor(request), id=pk)
    if request.headers.get("HX-Request"):
        return render(request, "mobile/import_counts.html", {"run": run})
    outcome = request.GET.get("outcome", "")
    rows = [row for row in run.report if not outcome or row["outcome"] == outcome]
    context = {"run": run, "rows": rows[:SHOWN], "more": max(0, len(rows) - SHOWN), "outcome": outcome}
    return render(request, "mobile/import_detail.html", {**context, "outcomes": OUTCOMES})
