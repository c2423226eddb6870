"""The loss report form, the same for the person in the portal and for the desk reporting for them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from towers.mobile.models import LossKind


class LossReportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What happened?",
        choices=[(LossKind.LOST, "I have lost it"), (LossKind.STOLEN, "It was stolen")],
        widget=forms.RadioSelect,
    )
    occurred_at = forms.DateTimeField(
        required=False,
        label="When did you last have it?",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.CharField(required=False, max_length=300, label="Where?")
    circumstances = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Anything else we should know"
    )
    crime_reference = forms.CharField(
        required=False, max_length=60, label="Crime reference", help_text="If the theft has been recorded."
    )

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data["occurred_at"] is not None and timezone.is_naive(data["occurred_at"]):
            data["occurred_at"] = timezone.make_aware(data["occurred_at"])
        return data


class FoundForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, label="Where was it found?")
