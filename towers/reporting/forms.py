"""HTML forms of the reporting pages: they parse input only; the selectors decide what is read."""

from __future__ import annotations

from typing import Any

from django import forms

from towers.reporting.selectors_records import ClockFilters
from towers.servicedesk.models import HandOff
from towers.servicedesk.models.changes import Outcome

BREACHED = {"on": True, "off": False}


class ClockFilterForm(forms.Form):
    """Which of a pack's clocks to list: whose pack (supplier or tower, none for the estate's) and which clocks."""

    supplier = forms.SlugField(required=False)
    tower = forms.SlugField(required=False)
    kind = forms.ChoiceField(
        required=False, choices=[("", "SLAs, OLAs and UCs"), ("sla", "SLAs"), ("ola", "OLAs and UCs")]
    )
    provider = forms.SlugField(required=False, label="Provider's code")
    breached = forms.ChoiceField(required=False, choices=[("", "Met or breached"), ("on", "Breached"), ("off", "Met")])
    level = forms.UUIDField(required=False)

    @staticmethod
    def clock_filters(data: dict[str, Any]) -> ClockFilters:
        """The selector's filters from the form's cleaned data."""
        return ClockFilters(
            kind=data["kind"],
            provider=data["provider"],
            breached=BREACHED.get(data["breached"]),
            level=data["level"],
        )


class HandOffFilterForm(forms.Form):
    """Which of a pack's hand-offs to list: all sent or received in the month, those received, or by outcome."""

    supplier = forms.SlugField(required=False)
    tower = forms.SlugField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "Any outcome"), *HandOff.Status.choices])
    received = forms.BooleanField(required=False, label="Received only")


class ChangeFilterForm(forms.Form):
    supplier = forms.SlugField(required=False)
    tower = forms.SlugField(required=False)
    outcome = forms.ChoiceField(
        required=False,
        choices=[("", "Any outcome"), *Outcome.choices, ("unsuccessful", "Failed or backed out")],
    )


class CaseFilterForm(forms.Form):
    supplier = forms.SlugField(required=False)
    tower = forms.SlugField(required=False)
    resolved = forms.BooleanField(required=False, label="Resolved in the month (not opened)")
