"""Threat intelligence pages: the indicators with their hits, one indicator with its alerts, bundle upload and TAXII."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from towers.core.actor import Actor
from towers.core.permissions import can
from towers.organisations.views.common import call_service, paginate, request_actor, ui_view
from towers.soc import selectors_intel
from towers.soc.models import Indicator
from towers.soc.selectors_intel import INDICATOR_TYPES
from towers.soc.services import intel_import
from towers.soc.services.intel import taxii_fetch
from towers.soc.services.intel_import import BundleImport

MAX_BUNDLE_BYTES = 20 * 1024 * 1024
ACTIVE_CHOICES = {"yes": True, "no": False}


class BundleForm(forms.Form):
    file = forms.FileField(label="STIX 2.1 bundle (JSON)")
    dry_run = forms.BooleanField(required=False, initial=True, label="Check only: report what would change")

    def clean_file(self) -> dict[str, Any]:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BUNDLE_BYTES:
            raise ValidationError(f"is larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MB")
        try:
            bundle = json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValidationError(f"is not JSON: {exc}") from exc
        if not isinstance(bundle, dict):
            raise ValidationError("is not a STIX bundle (a JSON object)")
        self.file_name = upload.name or "bundle.json"
        return bundle


class TaxiiForm(forms.Form):
    url = forms.URLField(label="TAXII 2.1 API root URL", assume_scheme="https", max_length=500)
    collection = forms.CharField(label="Collection id", max_length=200)
    username = forms.CharField(required=False, max_length=200)
    password = forms.CharField(required=False, max_length=200, widget=forms.PasswordInput)


def _may_import(actor: Actor) -> bool:
    return actor.organisation_id is not None and can(
        actor, "soc.tune", Indicator(organisation_id=actor.organisation_id)
    )


def _list_page(
    request: HttpRequest,
    *,
    bundle_form: BundleForm | None = None,
    taxii_form: TaxiiForm | None = None,
    report: BundleImport | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request_actor(request)
    filters = {name: request.GET.get(name, "") for name in ("type", "source", "active", "q")}
    indicators = selectors_intel.indicator_list(
        actor=actor,
        type=filters["type"],
        source=filters["source"],
        active=ACTIVE_CHOICES.get(filters["active"]),
        search=filters["q"],
    )
    context = {
        "page": paginate(request, indicators),
        "filters": filters,
        "types": INDICATOR_TYPES,
        "sources": selectors_intel.indicator_sources(actor=actor),
        "may_import": _may_import(actor),
        "bundle_form": bundle_form or BundleForm(auto_id="bundle-%s"),
        "taxii_form": taxii_form or TaxiiForm(auto_id="taxii-%s"),
        "report": report,
    }
    return render(request, "soc/indicators.html", context, status=status)


@require_GET
@ui_view
def indicator_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request)


@require_POST
@ui_view
def indicator_import(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = BundleForm(request.POST, request.FILES, auto_id="bundle-%s")
    report, status = None, 200
    if form.is_valid():
        report, status = call_service(
            form,
            lambda: intel_import.bundle_import(
                actor=actor,
                organisation=selectors_intel.intel_organisation(actor=actor),
                bundle=form.cleaned_data["file"],
                source=form.file_name,
                dry_run=form.cleaned_data["dry_run"],
            ),
            field_names={"bundle": "file"},
        )
    return _list_page(request, bundle_form=form, report=report, status=status)


@require_POST
@ui_view
def indicator_taxii(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = TaxiiForm(request.POST, auto_id="taxii-%s")
    report, status = None, 200
    if form.is_valid():
        data = form.cleaned_data
        fetched, status = call_service(
            form,
            lambda: taxii_fetch(
                actor=actor,
                organisation=selectors_intel.intel_organisation(actor=actor),
                url=data["url"],
                collection_id=data["collection"],
                username=data["username"] or None,
                password=data["password"] or None,
            ),
        )
        if fetched is not None:
            report = intel_import.taxii_report(report=fetched, source=f"{data['url']} ({data['collection']})")
    return _list_page(request, taxii_form=form, report=report, status=status)


@require_GET
@ui_view
def indicator_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    indicator = selectors_intel.indicator_get(actor=actor, id=pk)
    context = {"indicator": indicator, "alerts": selectors_intel.indicator_alerts(actor=actor, indicator=indicator)}
    return render(request, "soc/indicator_detail.html", context)
