"""HTML forms of the service desk pages: they parse input only; the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast
from uuid import UUID

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model

from towers.organisations.forms import ObjectChoiceField
from towers.servicedesk.models import PendingReason, State, TicketKind
from towers.servicedesk.models.tickets import WORK_KINDS
from towers.servicedesk.selectors import DATE_FILTERS, ORDERINGS, TOWER_PREFIX, QueueFilters

PRIORITIES = ["P1", "P2", "P3", "P4", "P5"]
LEVELS = [(1, "1 – High"), (2, "2 – Medium"), (3, "3 – Low")]
WARNINGS = [("", "Any"), ("50", "50% or more"), ("75", "75% or more"), ("90", "90% or more")]
ORDER_LABELS = {
    "priority": "Priority",
    "due": "Due soonest",
    "oldest": "Oldest first",
    "newest": "Newest first",
    "updated": "Recently updated",
}
# The queue's flags, by the QueueFilters field each sets.
FLAGS = ("breached", "crossed", "ping_pong", "awaiting_acceptance", "caused_by_change")
# Filters kept as they are given, in both the query string and a saved view.
PLAIN = ("team", "kind", "party", "text", "order", "warning_at")
# The desk's work (what a review pack counts as volumes and backlog), as one choice of kind.
WORK_CHOICE = (",".join(WORK_KINDS), "Incidents, requests and tasks")
ME, NOBODY, KEEP = "me", "none", ""


class DateInput(forms.DateInput):
    """The browser's date picker: it shows and submits ISO dates, which DateField reads."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _level(label: str, *, required: bool = True, empty: str = "— keep —") -> forms.TypedChoiceField:
    choices: list[tuple[Any, str]] = list(LEVELS) if required else [("", empty), *LEVELS]
    return forms.TypedChoiceField(label=label, choices=choices, coerce=int, empty_value=None, required=required)


def person_label(person: Any) -> str:
    return person.get_full_name() or person.username


class QueueFilterForm(forms.Form):
    """The queue's filters. Saved views keep them in QueueFilters' own words, so the API reads them too."""

    team = forms.ChoiceField(required=False)
    state = forms.ChoiceField(required=False, choices=[("", "Open"), ("all", "Any state"), *State.choices])
    priority = forms.ChoiceField(required=False, choices=[("", "Any"), *((p, p) for p in PRIORITIES)])
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *TicketKind.choices, WORK_CHOICE])
    party = forms.ChoiceField(required=False, label="Party to")
    assignee = forms.ChoiceField(required=False)
    warning_at = forms.TypedChoiceField(
        label="Clock at", required=False, choices=WARNINGS, coerce=int, empty_value=None
    )
    breached = forms.BooleanField(required=False, label="Breached")
    crossed = forms.BooleanField(required=False, label="Crossed suppliers")
    ping_pong = forms.BooleanField(required=False, label="Ping-pong")
    awaiting_acceptance = forms.BooleanField(required=False, label="Awaiting acceptance")
    caused_by_change = forms.BooleanField(required=False, label="Caused by a change")
    text = forms.CharField(required=False, label="Search", max_length=200)
    opened_from = forms.DateField(required=False, label="Opened from", widget=DateInput)
    opened_to = forms.DateField(required=False, label="Opened to", widget=DateInput)
    resolved_from = forms.DateField(required=False, label="Resolved from", widget=DateInput)
    resolved_to = forms.DateField(required=False, label="Resolved to", widget=DateInput)
    open_on = forms.DateField(required=False, label="Open at end of", widget=DateInput)
    order = forms.ChoiceField(required=False, choices=[(key, ORDER_LABELS.get(key, key)) for key in ORDERINGS])

    def __init__(
        self,
        *args: Any,
        teams: Iterable[Any],
        people: Iterable[Any],
        organisations: Iterable[Any] = (),
        towers: Iterable[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["party"]).choices = [
            ("", "Anyone"),
            ("Organisations", [(o.code, o.name) for o in organisations]),
            ("Towers (any of their suppliers)", [(f"{TOWER_PREFIX}{t.code}", t.name) for t in towers]),
        ]
        cast(forms.ChoiceField, self.fields["team"]).choices = [
            ("", "All teams"),
            *((str(t.pk), f"{t.name} ({t.organisation.name})") for t in teams),
        ]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", "Anyone"),
            (ME, "Me"),
            (NOBODY, "Unassigned"),
            *((str(p.pk), person_label(p)) for p in people),
        ]

    def saved(self, person_id: UUID | None) -> dict[str, Any]:
        """The cleaned filters in QueueFilters' vocabulary, JSON-safe ("me" becomes the person)."""
        data = self.cleaned_data
        saved: dict[str, Any] = {}
        for name in PLAIN:
            if data.get(name) not in (None, ""):
                saved[name] = data[name]
        if data.get("state") == "all":
            saved["open_only"] = False
        elif data.get("state"):
            saved["states"] = data["state"]
        if data.get("priority"):
            saved["priorities"] = data["priority"]
        assignee = data.get("assignee")
        if assignee == NOBODY:
            saved["unassigned"] = True
        elif assignee == ME and person_id:
            saved["assignee"] = str(person_id)
        elif assignee:
            saved["assignee"] = assignee
        saved.update({flag: True for flag in FLAGS if data.get(flag)})
        saved.update({name: data[name].isoformat() for name in DATE_FILTERS if data.get(name)})
        return saved

    def queue_filters(self, person_id: UUID | None) -> QueueFilters:
        return QueueFilters.from_dict(self.saved(person_id))

    @staticmethod
    def params_from_saved(saved: dict[str, Any], person_id: UUID | None) -> dict[str, str]:
        """The query string that shows a saved view: the inverse of `saved`."""
        params: dict[str, str] = {name: str(saved[name]) for name in PLAIN if name in saved}
        if saved.get("open_only") is False and not saved.get("states"):
            params["state"] = "all"
        elif saved.get("states"):
            params["state"] = str(saved["states"]).split(",")[0]
        if saved.get("priorities"):
            params["priority"] = str(saved["priorities"]).split(",")[0]
        if saved.get("unassigned"):
            params["assignee"] = NOBODY
        elif saved.get("assignee"):
            params["assignee"] = ME if str(saved["assignee"]) == str(person_id) else str(saved["assignee"])
        params.update({flag: "on" for flag in FLAGS if saved.get(flag)})
        params.update({name: str(saved[name]) for name in DATE_FILTERS if saved.get(name)})
        # "All teams" is a choice too: without team= the queue would fall back to the person's own team.
        params.setdefault("team", "")
        return params


class UUIDListField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[UUID]:
        try:
            return [UUID(str(item)) for item in value or []]
        except ValueError:
            raise ValidationError("Choose tickets from the list.") from None


class BulkUpdateForm(forms.Form):
    tickets = UUIDListField(error_messages={"required": "Tick the tickets to change."})
    state = forms.ChoiceField(required=False, choices=[(KEEP, "— keep —"), *State.choices], label="Move to")
    pending_reason = forms.ChoiceField(
        required=False, choices=[("", "—"), *PendingReason.choices], label="Pending because"
    )
    resolution_code = forms.ChoiceField(required=False, label="Resolution code")
    assignee = forms.ChoiceField(required=False, label="Assign to")
    impact = _level("Impact", required=False)
    urgency = _level("Urgency", required=False)

    def __init__(
        self, *args: Any, people: Sequence[Any], me: Any | None, resolution_codes: Iterable[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(p.pk): p for p in people}
        self.me = me
        mine = [(ME, "Me")] if me is not None else []
        others = [(key, person_label(p)) for key, p in self.people.items() if me is None or p.pk != me.pk]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [(KEEP, "— keep —"), *mine, *others]
        cast(forms.ChoiceField, self.fields["resolution_code"]).choices = [
            ("", "—"),
            *((c, c.replace("_", " ")) for c in resolution_codes),
        ]

    def clean_assignee(self) -> Any:
        value = self.cleaned_data.get("assignee")
        if value == ME:
            return self.me
        return self.people.get(value) if value else None


class TicketCreateForm(forms.Form):
    """An agent logging a ticket (from a call, a walk-up, an email)."""

    kind = forms.ChoiceField(
        choices=[(TicketKind.INCIDENT, "Incident"), (TicketKind.REQUEST, "Service request")],
        initial=TicketKind.INCIDENT,
    )
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    impact = _level("Impact")
    urgency = _level("Urgency")
    service = forms.ChoiceField(required=False)
    category = forms.ChoiceField(required=False)
    cis = forms.CharField(
        required=False,
        label="Configuration items",
        help_text="Names, separated by commas, exactly as in the CMDB.",
        max_length=2000,
    )
    requester = forms.CharField(required=False, label="Requester's username", max_length=150)
    requester_email = forms.EmailField(required=False, label="Requester's email")
    channel = forms.ChoiceField(
        choices=[("phone", "Telephone"), ("email", "Email"), ("portal", "Walk-up or portal")], initial="phone"
    )

    def __init__(
        self,
        *args: Any,
        services: Iterable[Model],
        categories: Iterable[Model],
        find_cis: Callable[[list[str]], dict[str, Any]],
        find_person: Callable[[str], Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"] = ObjectChoiceField(services, required=False, empty_label="— none —")
        self.fields["category"] = ObjectChoiceField(categories, required=False, empty_label="— none —")
        self.find_cis, self.find_person = find_cis, find_person
        self.fields["impact"].initial = self.fields["urgency"].initial = 3

    def clean_cis(self) -> list[Any]:
        names = [name.strip() for name in self.cleaned_data.get("cis", "").split(",") if name.strip()]
        found = self.find_cis(names) if names else {}
        missing = [name for name in names if name.lower() not in found]
        if missing:
            raise ValidationError(f"No configuration item you may see is called {', '.join(missing)}.")
        return list({id(ci): ci for ci in found.values()}.values())

    def clean_requester(self) -> Any:
        username = self.cleaned_data.get("requester", "").strip()
        if not username:
            return None
        person = self.find_person(username)
        if person is None:
            raise ValidationError(f"Nobody you may see has the username {username}.")
        return person


URGENCY = [
    (1, "I cannot work at all"),
    (2, "I can work, but slowly or with a workaround"),
    (3, "It can wait"),
]
AFFECTED = [
    (3, "Just me"),
    (2, "My team or several people"),
    (1, "Many people, a whole site or a whole service"),
]


class PortalIncidentForm(forms.Form):
    """A requester reporting a fault in their own words; urgency and reach become urgency and impact."""

    title = forms.CharField(max_length=300, label="What is wrong?")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        label="Tell us more",
        help_text="What you were doing, what you saw, any error message.",
    )
    service = forms.ChoiceField(required=False, label="Which service? (if you know)")
    urgency = forms.TypedChoiceField(
        label="How urgent is it?", choices=URGENCY, coerce=int, widget=forms.RadioSelect, initial=3
    )
    impact = forms.TypedChoiceField(
        label="Who is affected?", choices=AFFECTED, coerce=int, widget=forms.RadioSelect, initial=3
    )

    def __init__(self, *args: Any, services: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"] = ObjectChoiceField(services, required=False, empty_label="I don't know")
        self.fields["service"].label = "Which service? (if you know)"


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comment", max_length=20000)
    public = forms.BooleanField(required=False, label="Visible to the requester")


class TransitionForm(forms.Form):
    state = forms.ChoiceField(choices=State.choices)
    pending_reason = forms.ChoiceField(required=False, choices=[("", "—"), *PendingReason.choices], label="Why")
    resolution_code = forms.CharField(required=False, max_length=30)
    resolution_notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Resolution")
    note = forms.CharField(required=False, max_length=2000)


class AssignForm(forms.Form):
    def __init__(self, *args: Any, teams: Iterable[Model], people: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"] = ObjectChoiceField(teams, label=lambda t: t.name)
        self.fields["assignee"] = ObjectChoiceField(
            people, label=person_label, required=False, empty_label="Nobody yet"
        )


class HandOffForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why them?", max_length=4000)

    def __init__(self, *args: Any, teams: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"] = ObjectChoiceField(teams, label=lambda t: f"{t.name} ({t.organisation.name})")
        self.order_fields(["team", "reason"])


class PriorityForm(forms.Form):
    impact = _level("Impact")
    urgency = _level("Urgency")


class AttachmentForm(forms.Form):
    file = forms.FileField(label="File")
    public = forms.BooleanField(required=False, initial=True, label="Visible to the requester")


class HandOffDecisionForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=100, label="Save these filters as")


class ReopenForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="What is still wrong?", max_length=4000)
