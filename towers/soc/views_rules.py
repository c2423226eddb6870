"""Detection rule pages: the rule list, a rule with its tuning, and custom rules written, validated and edited here."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound
from towers.organisations.selectors import organisation_get
from towers.organisations.views.common import allowed, call_service, paginate, request_actor, ui_view
from towers.soc import selectors
from towers.soc.models import DetectionRule, RuleKind, Severity
from towers.soc.selectors_rules import RuleFilters, rule_detail, rule_page_list
from towers.soc.services import rules as rule_services
from towers.soc.sigma.validation import rule_validate
from towers.soc.views import SEVERITY_CLASS
from towers.soc.views_steps import form_problems, run_step

ENABLED_CHOICES = {"on": True, "off": False}


class RuleTextForm(forms.Form):
    text = forms.CharField(label="Rule (Sigma YAML)", widget=forms.Textarea(attrs={"rows": 24, "class": "code"}))
    samples = forms.CharField(
        label="Sample events (JSON: one object, or a list of objects)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "code"}),
        help_text="Only for Validate: says whether the rule matches each event.",
    )

    def clean_samples(self) -> list[Any]:
        raw = self.cleaned_data["samples"].strip()
        if not raw:
            return []
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(f"not JSON: {error.msg} at line {error.lineno}") from None
        return parsed if isinstance(parsed, list) else [parsed]


class ExceptionForm(forms.Form):
    field = forms.CharField(max_length=100)
    value = forms.CharField(max_length=500)
    reason = forms.CharField(max_length=500)


class ExceptionRemoveForm(forms.Form):
    index = forms.IntegerField(min_value=0)


class SuppressionForm(ExceptionForm):
    until = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


STEP_FORMS: dict[str, type[forms.Form] | None] = {
    "enable": None,
    "disable": None,
    "exceptions": ExceptionForm,
    "exceptions-remove": ExceptionRemoveForm,
    "suppressions": SuppressionForm,
}


def _bool(value: str) -> bool | None:
    return ENABLED_CHOICES.get(value)


@ui_view
def rule_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    get = request.GET
    filters = RuleFilters(
        search=get.get("q", "").strip(),
        enabled=_bool(get.get("enabled", "")),
        level=get.get("level", ""),
        kind=get.get("kind", ""),
        custom_only=get.get("custom") == "1",
    )
    page = paginate(request, rule_page_list(actor=actor, filters=filters))
    for rule in page:
        rule.severity_class = SEVERITY_CLASS.get(rule.level, "")
    context = {
        "page": page,
        "filters": {key: get.get(key, "") for key in ("q", "enabled", "level", "kind", "custom")},
        "levels": Severity.choices,
        "kinds": RuleKind.choices,
    }
    return render(request, "soc/rules.html", context)


def _editor(
    request: HttpRequest, *, form: RuleTextForm, save: Callable[[str], DetectionRule], rule: DetectionRule | None
) -> HttpResponse:
    """The YAML editor: "Validate" shows what is wrong or how sample events fare; "Save" writes through `save`."""
    validation, status = None, 200
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        if request.POST.get("action") == "validate":
            validation = rule_validate(text, form.cleaned_data["samples"])
        else:
            saved, status = call_service(form, lambda: save(text))
            if saved is not None:
                messages.success(request, f"{saved.title} saved.")
                return redirect("soc_rule_detail", pk=saved.pk)
    context = {"form": form, "rule": rule, "validation": validation}
    return render(request, "soc/rule_edit.html", context, status=status)


@ui_view
def rule_new(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)

    def save(text: str) -> DetectionRule:
        if actor.organisation_id is None:
            raise Forbidden("Custom rules belong to a SOC: sign in as one of its people.")
        organisation = organisation_get(actor=actor, id=actor.organisation_id)
        return rule_services.rule_custom_create(actor=actor, organisation=organisation, text=text)

    form = RuleTextForm(request.POST if request.method == "POST" else None)
    return _editor(request, form=form, save=save, rule=None)


@ui_view
def rule_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    rule = selectors.rule_get(actor=actor, id=pk)
    if not rule.custom_text:
        messages.error(request, "Only rules written in Towers can be edited here; this one comes from a rule file.")
        return redirect("soc_rule_detail", pk=rule.pk)
    form = RuleTextForm(request.POST if request.method == "POST" else None, initial={"text": rule.custom_text})

    def save(text: str) -> DetectionRule:
        return rule_services.rule_custom_update(actor=actor, rule=rule, text=text)

    return _editor(request, form=form, save=save, rule=rule)


def _detail_page(request: HttpRequest, rule: DetectionRule, status: int = 200) -> HttpResponse:
    actor = request_actor(request)
    context = {
        "rule": rule,
        **rule_detail(actor=actor, rule=rule),
        "severity_class": SEVERITY_CLASS.get(rule.level, ""),
        "forms": {
            "exceptions": ExceptionForm(auto_id="exception-%s"),
            "suppressions": SuppressionForm(auto_id="sup-%s"),
        },
        "may": allowed(actor, tune=("soc.tune", rule)),
    }
    return render(request, "soc/rule_detail.html", context, status=status)


@ui_view
def rule_detail_page(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _detail_page(request, selectors.rule_get(actor=request_actor(request), id=pk))


def _run_step(actor: Actor, rule: DetectionRule, step: str, data: dict[str, Any]) -> object:
    if step == "enable":
        return rule_services.rule_enable(actor=actor, rule=rule)
    if step == "disable":
        return rule_services.rule_disable(actor=actor, rule=rule)
    if step == "exceptions":
        return rule_services.rule_exception_add(actor=actor, rule=rule, **data)
    if step == "exceptions-remove":
        return rule_services.rule_exception_remove(actor=actor, rule=rule, index=data["index"])
    return rule_services.suppression_create(actor=actor, rule=rule, **data)


@require_POST
@ui_view
def rule_step(request: HttpRequest, pk: UUID, step: str) -> HttpResponse:
    actor = request_actor(request)
    rule = selectors.rule_get(actor=actor, id=pk)  # 404 before anything is read
    if step not in STEP_FORMS:
        raise NotFound("No such step.")
    form_class = STEP_FORMS[step]
    data: dict[str, Any] = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, form_problems(form))
            return redirect("soc_rule_detail", pk=pk)
        data = dict(form.cleaned_data)
    done = f"{rule.title}: {step.replace('-', ' ')} done."
    if not run_step(request, lambda: _run_step(actor, rule, step, data), done):
        return _detail_page(request, rule, status=403)
    return redirect("soc_rule_detail", pk=pk)
