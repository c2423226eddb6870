"""HTML forms of the contracts screens: they parse input only; the services decide what is allowed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import Model
from django.utils.dateparse import parse_duration

from towers.contracts.models import CreditRegimeKind, Metric, ServiceCategory, ServiceLevelKind
from towers.organisations.forms import ObjectChoiceField

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# "8h", "2 d 4 h", "4 hours 30 min", "8 business hours": how people write targets.
DURATION_WORDS = re.compile(
    r"(?:(?P<days>\d+)\s*d(?:ays?)?)?\s*(?:(?P<hours>\d+)\s*h(?:ours?|rs?)?)?\s*(?:(?P<minutes>\d+)\s*m(?:in(?:ute)?s?)?)?"
)
POINT_BAND = re.compile(r"(?P<bound>\d+(?:\.\d+)?)\s*%?\s*[:=,]\s*(?P<points>\d+)")


def _date_input(**kwargs: Any) -> forms.DateField:
    return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def _percent(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(min_value=0, max_value=100, max_digits=5, decimal_places=2, **kwargs)


def _version_field() -> forms.IntegerField:
    # The version the user read: an edit made from an older copy is refused instead of overwriting.
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def hours_text(delta: timedelta) -> str:
    """A duration in hours and minutes ("52 h", "7 h 30 min"): unambiguous on any calendar, and re-parsable."""
    hours, minutes = divmod(int(delta.total_seconds() // 60), 60)
    parts = [f"{hours} h"] if hours else []
    return " ".join([*parts, f"{minutes} min"] if minutes or not hours else parts)


class DurationTextField(forms.CharField):
    """A target written as people write it (8h, 30m, 2d 4h, 8 business hours) or in ISO 8601 (PT8H)."""

    def prepare_value(self, value: Any) -> Any:
        return hours_text(value) if isinstance(value, timedelta) else value

    def to_python(self, value: Any) -> timedelta | None:  # type: ignore[override]
        if isinstance(value, timedelta):
            return value
        text = str(super().to_python(value)).lower().replace("business", "").strip()
        if not text:
            return None
        words = DURATION_WORDS.fullmatch(text)
        if words and any(words.groupdict().values()):
            days, hours, minutes = (int(words[name] or 0) for name in ("days", "hours", "minutes"))
            return timedelta(days=days, hours=hours, minutes=minutes)
        parsed = parse_duration(text.upper())
        if parsed is None:
            raise forms.ValidationError("Write a duration such as 8h, 30m or 2d 4h.")
        return parsed


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _point_bands(text: str) -> list[list[Any]]:
    """MSC bands, one "lower bound %: points" per line, stored as the API stores them: [["95.00", 0], …]."""
    bands = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        band = POINT_BAND.fullmatch(line.strip())
        if band is None:
            raise forms.ValidationError(f"line {number}: write a band as “lower bound %: points”, e.g. 95: 0")
        try:
            bands.append([str(Decimal(band["bound"])), int(band["points"])])
        except InvalidOperation as exc:
            raise forms.ValidationError(f"line {number}: {band['bound']} is not a number") from exc
    return bands


def point_bands_text(bands: Iterable[Any]) -> str:
    return "\n".join(f"{bound}: {points}" for bound, points in bands)


# Contracts


class ContractTermsForm(forms.Form):
    """What the authority may change on a contract once it is recorded (the API's PATCH, less the JSON)."""

    title = forms.CharField(max_length=200)
    ends_on = _date_input()
    period_charge = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, label="Charge per month (£)", help_text="The usual charge."
    )
    credit_regime = forms.ChoiceField(choices=CreditRegimeKind.choices)
    credit_cap_percent = _percent(label="Credit cap (% of the period's charges)", initial=Decimal(10))
    point_value = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="MSC only: what a service point is worth.",
    )
    point_value_is_percent = forms.BooleanField(
        required=False, label="The point value is a % of the period's charges, not pounds"
    )


class ContractCreateForm(ContractTermsForm):
    reference = forms.SlugField(max_length=60, help_text="Short and permanent, e.g. APP-2025.")
    starts_on = _date_input()

    def __init__(self, *args: Any, suppliers: Iterable[Model], towers: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"] = ObjectChoiceField(suppliers)
        self.fields["tower"] = ObjectChoiceField(towers, required=False)
        self.order_fields(["reference", "title", "supplier", "tower", "starts_on", "ends_on"])


class ContractEditForm(ContractTermsForm):
    version = _version_field()


class ChargeForm(forms.Form):
    period = forms.DateField(
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        label="Month",
    )
    amount = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, label="Charge (£)")


# Catalogue


class ServiceCreateForm(forms.Form):
    code = forms.SlugField(max_length=60, help_text="Short and permanent, e.g. app-support.")
    name = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=ServiceCategory.choices)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, organisations: Iterable[Model], towers: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = ObjectChoiceField(organisations, help_text="The supplier accountable for it.")
        self.fields["tower"] = ObjectChoiceField(towers, required=False)
        self.order_fields(["code", "name", "category", "owner", "tower", "description"])


class OfferingCreateForm(forms.Form):
    code = forms.SlugField(max_length=60, help_text="Unique across the catalogue, e.g. desk-24x7-phone.")
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, organisations: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"] = ObjectChoiceField(
            organisations, required=False, empty_label="The service's owner", help_text="Who delivers it."
        )
        self.order_fields(["code", "name", "supplier", "description"])


# Calendars


class CalendarCreateForm(forms.Form):
    code = forms.SlugField(max_length=60)
    name = forms.CharField(max_length=200)
    always_open = forms.BooleanField(required=False, label="Open 24x7")
    bank_holidays = forms.BooleanField(
        required=False, initial=True, label="Closed on bank holidays (England and Wales)"
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, organisations: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = ObjectChoiceField(organisations)
        self.order_fields(["owner", "code", "name"])


class CalendarHoursForm(forms.Form):
    """A start and an end per weekday from a date on; a day left blank is closed."""

    effective_from = _date_input(help_text="The hours before this date stay as they were, so past clocks keep.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for weekday, day in enumerate(WEEKDAYS):
            for end in ("start", "end"):
                self.fields[f"{end}_{weekday}"] = forms.TimeField(
                    required=False, label=f"{day} {end}s", widget=forms.TimeInput(attrs={"type": "time"})
                )

    def days(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(day, self[f"start_{weekday}"], self[f"end_{weekday}"]) for weekday, day in enumerate(WEEKDAYS)]

    def clean(self) -> dict[str, Any]:
        data = self.cleaned_data
        for weekday in range(len(WEEKDAYS)):
            start, end = data.get(f"start_{weekday}"), data.get(f"end_{weekday}")
            if (start is None) != (end is None) and not self.has_error(f"start_{weekday}"):
                missing = f"end_{weekday}" if end is None else f"start_{weekday}"
                self.add_error(missing, "Give both a start and an end, or neither for a closed day.")
        return data

    def windows(self) -> list[tuple[int, time, time]]:
        data = self.cleaned_data
        return [
            (weekday, data[f"start_{weekday}"], data[f"end_{weekday}"])
            for weekday in range(len(WEEKDAYS))
            if data.get(f"start_{weekday}") and data.get(f"end_{weekday}")
        ]


class ClosureForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="Closed from (UK time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label="Until (UK time)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    reason = forms.CharField(max_length=200, help_text="Kept in the audit log, e.g. “Data-centre move”.")


# Service levels


class ServiceLevelTermsForm(forms.Form):
    """The terms of a service level that may change after it is defined."""

    name = forms.CharField(max_length=200)
    priority = forms.CharField(max_length=10, required=False, help_text="P1–P4 for response and resolution.")
    target = DurationTextField(
        required=False,
        help_text="Business time allowed, e.g. 8h, 30m or 2d 4h (a day is 24 hours). Response and resolution only.",
    )
    pause_states = forms.CharField(
        required=False, help_text="Ticket states in which the clock stops, separated by commas."
    )
    performance_measure = _percent(help_text="% of records that must meet the target, or the % or value to reach.")
    threshold = _percent(required=False, help_text="Below it is a critical service level failure.")
    higher_is_better = forms.BooleanField(required=False, initial=True, label="Higher is better")
    point_bands = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Service point bands (MSC)",
        help_text="One band per line, best first: lower bound %: points, e.g. 95: 0.",
    )

    def __init__(self, *args: Any, calendars: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar"] = ObjectChoiceField(
            calendars, required=False, help_text="When the clock runs: needed for response and resolution."
        )

    def clean_pause_states(self) -> list[str]:
        return _comma_list(self.cleaned_data["pause_states"])

    def clean_point_bands(self) -> list[list[Any]]:
        return _point_bands(self.cleaned_data["point_bands"])


class ServiceLevelCreateForm(ServiceLevelTermsForm):
    code = forms.SlugField(max_length=80)
    kind = forms.ChoiceField(choices=ServiceLevelKind.choices)
    metric = forms.ChoiceField(choices=Metric.choices)

    def __init__(
        self,
        *args: Any,
        contracts: Iterable[Model],
        services: Iterable[Model],
        organisations: Iterable[Model],
        customers: Iterable[Model],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"] = ObjectChoiceField(contracts, required=False, empty_label="None (an OLA or UC)")
        self.fields["service"] = ObjectChoiceField(services)
        self.fields["provider"] = ObjectChoiceField(organisations, help_text="Who keeps the promise.")
        self.fields["customer"] = ObjectChoiceField(customers, help_text="Who it is promised to; they maintain it.")
        self.order_fields(
            ["code", "name", "kind", "contract", "service", "provider", "customer", "metric", "priority", "target"]
        )


class ServiceLevelEditForm(ServiceLevelTermsForm):
    is_active = forms.BooleanField(required=False, label="Active")
    version = _version_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["name", "priority", "target", "calendar"])


# List filters (GET)


class ContractFilterForm(forms.Form):
    search = forms.CharField(required=False)

    def __init__(self, *args: Any, suppliers: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"] = ObjectChoiceField(suppliers, required=False, empty_label="All suppliers")


class ServiceFilterForm(forms.Form):
    search = forms.CharField(required=False)
    category = forms.ChoiceField(required=False, choices=[("", "All categories"), *ServiceCategory.choices])


class ServiceLevelFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *ServiceLevelKind.choices])
    metric = forms.ChoiceField(required=False, choices=[("", "All metrics"), *Metric.choices])

    def __init__(self, *args: Any, services: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"] = ObjectChoiceField(services, required=False, empty_label="All services")
