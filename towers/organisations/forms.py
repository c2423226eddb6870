"""HTML forms of the organisations screens: they parse input only; the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.db.models import Model

from towers.core.permissions import registered_models
from towers.core.roles import Role
from towers.organisations.models import ApiToken, Organisation, OrganisationKind

MAX_IMPORT_BYTES = 10 * 1024 * 1024
IMPORT_KINDS = [("people", "People"), ("teams", "Teams")]


class ObjectChoiceField(forms.ChoiceField):
    """A choice among objects a selector already returned; cleans to the object itself, not its id."""

    def __init__(
        self, objects: Iterable[Model], *, label: Callable[[Any], str] = str, empty_label: str = "—", **kwargs: Any
    ) -> None:
        self.objects = {str(obj.pk): obj for obj in objects}
        choices = [("", empty_label), *((key, label(obj)) for key, obj in self.objects.items())]
        super().__init__(choices=choices, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return str(value.pk) if isinstance(value, Model) else value

    def to_python(self, value: Any) -> str:
        return str(super().to_python(self.prepare_value(value)))

    def clean(self, value: Any) -> Model | None:
        key = super().clean(value)
        return self.objects.get(key) if key else None


def _version_field() -> forms.IntegerField:
    # The version the user read: an edit made from an older copy is refused instead of overwriting.
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _optional_email() -> forms.EmailField:
    return forms.EmailField(required=False, max_length=254)


# Organisations


class OrganisationCreateForm(forms.Form):
    code = forms.SlugField(max_length=40, help_text="Short and permanent: imports and exports use it.")
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=[c for c in OrganisationKind.choices if c[0] != OrganisationKind.AUTHORITY])
    email = _optional_email()

    def __init__(self, *args: Any, towers: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tower"] = ObjectChoiceField(towers, required=False)
        self.order_fields(["code", "name", "kind", "tower", "email"])


class OrganisationEditForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=OrganisationKind.choices)
    email = _optional_email()
    is_active = forms.BooleanField(required=False, label="Active")
    version = _version_field()

    def __init__(self, *args: Any, towers: Iterable[Model], structure_editable: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tower"] = ObjectChoiceField(towers, required=False)
        self.order_fields(["name", "kind", "tower", "email", "is_active"])
        if not structure_editable:
            # Only the authority changes an organisation's kind or tower; others see them read-only.
            for name in ("kind", "tower"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Only the authority can change this."


# Teams


class TeamCreateForm(forms.Form):
    code = forms.SlugField(max_length=60, help_text="Unique across Towers, e.g. net-ops.")
    name = forms.CharField(max_length=200)
    email = _optional_email()
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, organisations: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = ObjectChoiceField(organisations)
        self.order_fields(["organisation", "code", "name", "email", "description"])


class TeamEditForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = _optional_email()
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(required=False, label="Active")
    version = _version_field()


class TeamMemberAddForm(forms.Form):
    """A username, not a drop-down: an organisation can have tens of thousands of people."""

    username = forms.CharField(
        max_length=150,
        label="Add a member (username)",
        widget=forms.TextInput(attrs={"list": "member-suggestions", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, suggestions: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suggestions = suggestions


# People and roles


class PersonCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = _optional_email()
    job_title = forms.CharField(max_length=200, required=False)
    phone = forms.CharField(max_length=40, required=False)
    roles = forms.MultipleChoiceField(
        choices=Role.choices, initial=[Role.REQUESTER], widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty for someone who will not sign in with a password.",
    )

    def __init__(self, *args: Any, organisations: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = ObjectChoiceField(organisations)
        self.order_fields(["organisation", "username", "first_name", "last_name"])

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if password:
            password_validation.validate_password(password)
        return password


class PersonEditForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = _optional_email()
    job_title = forms.CharField(max_length=200, required=False)
    phone = forms.CharField(max_length=40, required=False)
    is_active = forms.BooleanField(required=False, label="Active", help_text="Inactive people cannot sign in.")
    version = _version_field()


class MembershipGrantForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args: Any, organisations: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = ObjectChoiceField(organisations)
        self.order_fields(["organisation", "role"])


# List filters (GET)


class OrganisationFilterForm(forms.Form):
    search = forms.CharField(required=False)
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *OrganisationKind.choices])


class TeamFilterForm(forms.Form):
    search = forms.CharField(required=False)

    def __init__(self, *args: Any, organisations: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = ObjectChoiceField(organisations, required=False, empty_label="All organisations")


class PersonFilterForm(TeamFilterForm):
    role = forms.ChoiceField(required=False, choices=[("", "All roles"), *Role.choices])


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": "e.g. team.updated"}))
    object_type = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = sorted(model._meta.label_lower for model in registered_models())
        self.fields["object_type"] = forms.ChoiceField(
            required=False, choices=[("", "All types"), *((t, t) for t in types)]
        )


# Tokens and imports


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. “monitoring bridge”.")
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The token stops working at the end of this day (UK time).",
    )


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=IMPORT_KINDS, widget=forms.RadioSelect, initial="people")
    file = forms.FileField(help_text="A UTF-8 CSV file whose first line names the columns.")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                f"is {upload.size // 1024} KiB; the page takes up to {MAX_IMPORT_BYTES // 1024 // 1024} MiB "
                "(use the `towers import` command for larger files)"
            )
        return upload


class ImportApplyForm(forms.Form):
    # Identifies the checked upload kept in the session, so the file applied is the one checked.
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)


class CommercialGrantForm(forms.Form):
    grantee = forms.ModelChoiceField(queryset=Organisation.objects.none(), label="Organisation that may see")
    supplier = forms.ModelChoiceField(queryset=Organisation.objects.none(), label="Supplier whose commercials")
    reason = forms.CharField(max_length=300, help_text="Why, for the record: it is kept in the audit log.")
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Access ends at the end of this day (UK time). Leave empty to keep it until revoked.",
    )

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grantee"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["supplier"].queryset = organisations.exclude(kind="authority")  # type: ignore[attr-defined]
