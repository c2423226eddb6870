"""Forms of the change and problem pages; each feeds one service, which has the last word on every rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from towers.cmdb.models import ConfigurationItem
from towers.contracts.models import Service
from towers.organisations.models import Team
from towers.servicedesk.models import ChangeTemplate
from towers.servicedesk.models.changes import ChangeType, Outcome

MAX_CIS = 50
LEVELS = [(1, "1 — high"), (2, "2 — medium"), (3, "3 — low")]
CRITICALITY = [("", "From the change's CIs"), (1, "1 — critical"), (2, "2 — high"), (3, "3 — medium"), (4, "4 — low")]


class WindowInput(forms.DateTimeInput):
    """A browser date-and-time picker; what it sends is read in the desk's time zone (Europe/London)."""

    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


def window_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=False, widget=WindowInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )


def plan_field(label: str, help_text: str = "", required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, help_text=help_text, widget=forms.Textarea(attrs={"rows": 4})
    )


class CIsField(forms.CharField):
    """CIs by exact name, one a line: the view resolves them among the CIs the actor may see."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        names = [line.strip() for line in str(value or "").splitlines() if line.strip()]
        if len(names) > MAX_CIS:
            raise forms.ValidationError(f"Name at most {MAX_CIS} configuration items.")
        return list(dict.fromkeys(names))


class ChangeForm(forms.Form):
    change_type = forms.ChoiceField(label="Type", choices=ChangeType.choices, initial=ChangeType.NORMAL)
    template = forms.ModelChoiceField(
        queryset=ChangeTemplate.objects.none(),
        required=False,
        to_field_name="code",
        help_text="Standard changes only: the pre-approved template it follows (its plans and risk are copied).",
    )
    title = forms.CharField(max_length=300)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    justification = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Why now, and what not doing it risks."
    )
    service = forms.ModelChoiceField(queryset=Service.objects.none(), required=False)
    cis = CIsField(label="Configuration items", required=False, help_text="Exact names, one a line.")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, help_text="Who implements it; empty routes it by the rules."
    )
    impact = forms.TypedChoiceField(choices=LEVELS, coerce=int, initial=3)
    urgency = forms.TypedChoiceField(choices=LEVELS, coerce=int, initial=3)
    planned_start = window_field("Window starts")
    planned_end = window_field("Window ends")
    implementation_plan = plan_field("Implementation plan")
    backout_plan = plan_field("Back-out plan", "How the change is undone if it goes wrong.")
    test_plan = plan_field("Test plan")

    def __init__(
        self,
        *args: Any,
        templates: QuerySet[ChangeTemplate],
        services: QuerySet[Service],
        teams: QuerySet[Team],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("change_type") == ChangeType.STANDARD and not data.get("template"):
            self.add_error("template", "Choose the template this standard change follows.")
        return data


class ChangeEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(max_length=300)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    justification = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    planned_start = window_field("Window starts")
    planned_end = window_field("Window ends")
    implementation_plan = plan_field("Implementation plan")
    backout_plan = plan_field("Back-out plan")
    test_plan = plan_field("Test plan")

    def __init__(self, *args: Any, standard: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if standard:  # a standard change follows its template's plans
            for name in ("implementation_plan", "backout_plan", "test_plan"):
                del self.fields[name]


class RiskForm(forms.Form):
    outage_required = forms.BooleanField(required=False, label="The service will be unavailable during the change")
    backout_tested = forms.BooleanField(required=False, label="The back-out has been tested")
    done_before = forms.BooleanField(required=False, label="This change has been made successfully before")
    services_affected = forms.IntegerField(
        required=False, min_value=0, help_text="Left empty: counted from the change's service and CIs."
    )
    ci_criticality = forms.TypedChoiceField(
        choices=CRITICALITY, coerce=int, empty_value=None, required=False, label="Most critical CI touched"
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Required unless it was successful."
    )


class NotesForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What the review found")


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class IncidentForm(forms.Form):
    incident = forms.CharField(label="Incident reference", max_length=40, help_text="e.g. INC0001234")


# --- Problems --------------------------------------------------------------------------------------------------


class ProblemForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    incident = forms.CharField(
        required=False, max_length=40, help_text="Raise it from this incident (INC…): links it, takes its service."
    )
    service = forms.ModelChoiceField(queryset=Service.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    impact = forms.TypedChoiceField(choices=LEVELS, coerce=int, initial=3)
    urgency = forms.TypedChoiceField(choices=LEVELS, coerce=int, initial=3)

    def __init__(self, *args: Any, services: QuerySet[Service], teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class RootCauseForm(forms.Form):
    root_cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class KnownErrorForm(forms.Form):
    workaround = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="What agents do meanwhile.")
    symptoms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Words agents will see on matching incidents."
    )


class LinkIncidentsForm(forms.Form):
    incidents = forms.CharField(label="Incident references", help_text="Separated by spaces or commas.")

    def clean_incidents(self) -> list[str]:
        refs = [r for r in self.cleaned_data["incidents"].replace(",", " ").split() if r]
        if not refs:
            raise forms.ValidationError("Name at least one incident.")
        return refs


class ResolveForm(forms.Form):
    resolution_code = forms.ChoiceField()
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    resolve_incidents = forms.BooleanField(required=False, label="Also resolve its open incidents")
    incident_resolution_code = forms.ChoiceField(label="Their resolution code")

    def __init__(self, *args: Any, codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(code, code.replace("_", " ").capitalize()) for code in codes]
        self.fields["resolution_code"].choices = choices  # type: ignore[attr-defined]
        self.fields["incident_resolution_code"].choices = choices  # type: ignore[attr-defined]


def resolve_cis(names: list[str], visible: QuerySet[ConfigurationItem]) -> tuple[list[ConfigurationItem], list[str]]:
    """The CIs named, among those visible; and the names that match none or more than one."""
    found: dict[str, list[ConfigurationItem]] = {}
    for ci in visible.filter(name__in=names):
        found.setdefault(ci.name, []).append(ci)
    problems = [f"{n}: no such CI" if n not in found else f"{n}: more than one CI has this name" for n in names]
    problems = [p for n, p in zip(names, problems, strict=True) if len(found.get(n, [])) != 1]
    return [found[n][0] for n in names if len(found.get(n, [])) == 1], problems
