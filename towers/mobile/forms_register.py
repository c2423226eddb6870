"""Registering a device or a SIM by hand (most arrive through the MDM import)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import Model

from towers.mobile.models import Ownership, Platform
from towers.organisations.forms import ObjectChoiceField

DATE = forms.DateInput(attrs={"type": "date"})


class DeviceRegisterForm(forms.Form):
    organisation = forms.ChoiceField(label="Owner")
    support_team = forms.ChoiceField(label="Supported by", required=False)
    imei = forms.CharField(required=False, max_length=20, label="IMEI", help_text="15 digits (*#06# on the device).")
    serial = forms.CharField(required=False, max_length=60)
    name = forms.CharField(required=False, max_length=200, help_text="As the MDM names it, e.g. NP-IPH-0412.")
    make = forms.CharField(max_length=100)
    model = forms.CharField(max_length=100)
    platform = forms.ChoiceField(choices=Platform.choices)
    os_version = forms.CharField(required=False, max_length=40, label="OS version")
    ownership = forms.ChoiceField(choices=Ownership.choices)
    holds_police_data = forms.BooleanField(required=False, initial=True, label="Holds police data")
    purchased_on = forms.DateField(required=False, widget=DATE)
    end_of_support = forms.DateField(required=False, widget=DATE, help_text="When the model's security updates end.")

    def __init__(self, *args: Any, organisations: Sequence[Model], teams: Sequence[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = ObjectChoiceField(organisations)
        self.fields["support_team"] = ObjectChoiceField(
            teams,
            label=lambda team: f"{team.name} ({team.organisation.name})",
            required=False,
            empty_label="No team yet",
            help_text="The mobile supplier's team; the device's CI is supported by it.",
        )
        self.fields["organisation"].label, self.fields["support_team"].label = "Owner", "Supported by"

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        return {name: value for name, value in data.items() if value not in ("", None)} | {
            "holds_police_data": data["holds_police_data"]
        }


class SimRegisterForm(forms.Form):
    iccid = forms.CharField(max_length=25, label="ICCID", help_text="19 or 20 digits, printed on the SIM.")
    msisdn = forms.CharField(required=False, max_length=20, label="Number (MSISDN)")
    tariff = forms.CharField(required=False, max_length=100)

    def __init__(self, *args: Any, operators: Sequence[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["operator"] = ObjectChoiceField(operators, required=False)
        self.fields["operator"].label = "Network operator"
