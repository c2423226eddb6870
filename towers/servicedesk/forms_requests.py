"""Forms of the request and major incident pages; the services decide what is valid, these only collect it.

A request form is generated from the item's questions (forms_schema): each question becomes an input of
its type, named answer_<name> so that no question can clash with the form's own fields. The answers'
rules (ranges, choices, people) are forms_schema's, reported back onto these fields by the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from towers.organisations.models import Person
from towers.servicedesk.forms_schema import Question

PREFIX = "answer_"


def _input(question: Question) -> forms.Field:
    common: dict[str, Any] = {"label": question.label, "required": question.required, "help_text": question.help}
    if question.type in ("choice", "multi_choice"):
        choices = [(c, c) for c in question.choices]
        if question.type == "choice":
            return forms.ChoiceField(choices=[("", "Choose…"), *choices], **common)
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if question.type == "bool":
        return forms.BooleanField(**common | {"required": False})
    attrs: dict[str, Any] = {}
    widget: forms.Widget
    if question.type == "number":
        attrs = {"step": "1" if question.integer else "any", "min": question.min, "max": question.max}
        widget = forms.NumberInput(attrs={k: v for k, v in attrs.items() if v is not None})
    elif question.type == "date":
        attrs = {"type": "date", "min": question.min, "max": question.max}
        widget = forms.DateInput(attrs={k: v for k, v in attrs.items() if v is not None})
    elif question.type == "textarea":
        widget = forms.Textarea(attrs={"rows": 4, "maxlength": question.length_limit})
    elif question.type == "email":
        widget = forms.EmailInput()
    else:
        hint = {"autocomplete": "off", "placeholder": "username"} if question.type == "person" else {}
        widget = forms.TextInput(attrs={"maxlength": question.length_limit, **hint})
    # Text in, whatever the type: forms_schema checks it, with one wording across the portal and the API.
    return forms.CharField(widget=widget, strip=False, **common)


class RequestForm(forms.Form):
    """The item's questions; the desk also says whom the request is for."""

    def __init__(self, *args: Any, questions: Sequence[Question], on_behalf: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if on_behalf:
            self.fields["requester"] = forms.CharField(
                label="Requested for (username)",
                required=False,
                help_text="Leave empty when you ask for yourself.",
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
        for question in questions:
            self.fields[PREFIX + question.name] = _input(question)

    def answers(self) -> dict[str, Any]:
        return {
            name.removeprefix(PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(PREFIX) and value not in ("", None, [])
        }

    @staticmethod
    def field_names(questions: Sequence[Question]) -> dict[str, str]:
        """Where the services' complaints about an answer go on this form."""
        return {f"answers.{q.name}": PREFIX + q.name for q in questions}


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approved", "Approve"), ("rejected", "Reject")], widget=forms.HiddenInput)
    comment = forms.CharField(
        label="Comment", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Required to reject."
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="Why is it no longer needed?", widget=forms.Textarea(attrs={"rows": 2}))


class DeclareForm(forms.Form):
    bridge = forms.CharField(
        label="Bridge", widget=forms.Textarea(attrs={"rows": 2}), help_text="Dial-in, meeting link or channel."
    )
    manager: forms.ModelChoiceField[Person] = forms.ModelChoiceField(
        queryset=Person.objects.none(), label="Major incident manager", required=False
    )
    stakeholders = forms.CharField(
        label="Stakeholders",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Email addresses told of every update, one a line.",
    )

    def __init__(self, *args: Any, managers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = managers  # type: ignore[attr-defined]

    def addresses(self) -> list[str]:
        return [
            line.strip() for line in self.cleaned_data["stakeholders"].replace(",", "\n").splitlines() if line.strip()
        ]


class UpdateForm(forms.Form):
    body = forms.CharField(label="Stakeholder update", widget=forms.Textarea(attrs={"rows": 4}))


class ResolveForm(forms.Form):
    summary = forms.CharField(
        label="What happened and how service was restored", widget=forms.Textarea(attrs={"rows": 3})
    )
    resolution_code = forms.ChoiceField(label="Resolution code", choices=())

    def __init__(self, *args: Any, codes: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resolution_code"].choices = [(c, c.replace("_", " ")) for c in codes]  # type: ignore[attr-defined]


ACTION_ROWS = 5


class ReviewForm(forms.Form):
    """The review, and up to five actions; a row left empty is no action."""

    review = forms.CharField(label="Review", widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(ACTION_ROWS):
            self.fields[f"action_{row}"] = forms.CharField(label=f"Action {row + 1}", required=False)
            self.fields[f"becomes_{row}"] = forms.ChoiceField(
                label=f"Action {row + 1} becomes",
                choices=[("problem", "a problem"), ("change", "a change")],
                required=False,
            )

    def rows(self) -> list[int]:
        return [row for row in range(ACTION_ROWS) if self.cleaned_data.get(f"action_{row}", "").strip()]

    def actions(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        return [
            {"description": data[f"action_{row}"].strip(), "becomes": data[f"becomes_{row}"] or "problem"}
            for row in self.rows()
        ]

    def field_names(self) -> dict[str, str]:
        """The service numbers the actions given; this form's rows may have gaps."""
        names: dict[str, str] = {}
        for index, row in enumerate(self.rows()):
            names |= {f"actions[{index}].description": f"action_{row}", f"actions[{index}].becomes": f"becomes_{row}"}
        return names
