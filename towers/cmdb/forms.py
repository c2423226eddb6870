"""HTML forms of the CMDB screens: they parse input only; the services decide what is allowed.

The create/edit form is generated from the CI class (classes.attributes_of), so a class added to the
hierarchy gets its screens without any form being written for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.db.models import Model

from towers.cmdb.classes import CLASSES, AttrSpec, attributes_of
from towers.cmdb.models import Criticality, Environment, Lifecycle, RelationshipType
from towers.organisations.forms import ObjectChoiceField

# Attribute fields are named as the service names them in its errors ("attributes.cpu_cores"), so a
# refusal lands on the field without a mapping, and no attribute name can clash with a CI field.
ATTRIBUTE_FIELD_PREFIX = "attributes."
ATTRIBUTE_FILTER_PREFIX = "attr."  # list filters on attributes: ?attr.fqdn=srv-01.example.org
# Classes whose CIs stand for the catalogue: which contracts record each links to.
SERVICE_LINKS = {"business_service": "service", "service_offering": "offering"}
INDENT = "\u00a0\u00a0\u00a0"  # no-break spaces: browsers keep them in an <option>, so the tree shows


def class_tree() -> list[tuple[str, str, int]]:
    """(name, label, depth) of every class, each followed by its subclasses, siblings by label."""
    children: dict[str | None, list[str]] = {}
    for cls in CLASSES.values():
        children.setdefault(cls.parent, []).append(cls.name)
    ordered: list[tuple[str, str, int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for name in sorted(children.get(parent, []), key=lambda n: CLASSES[n].label):
            ordered.append((name, CLASSES[name].label, depth))
            walk(name, depth + 1)

    walk(None, 0)
    return ordered


def class_choices() -> list[tuple[str, str]]:
    return [(name, INDENT * depth + label) for name, label, depth in class_tree()]


# Words of attribute names that read as capitals: "cpu_cores" is "CPU cores", not "Cpu cores".
SPELLINGS = {
    word: word.upper() for word in ("cpu", "fqdn", "gb", "id", "imei", "ip", "msisdn", "os", "ram", "tb", "url")
}
SPELLINGS["mbps"] = "Mbps"


def attribute_label(name: str, spec: AttrSpec | None = None) -> str:
    """The attribute's own label, or its name read as words ("ram_gb" is "RAM GB")."""
    if spec is not None and spec.label:
        return spec.label
    text = " ".join(SPELLINGS.get(word, word) for word in name.split("_"))
    return text[:1].upper() + text[1:]


def attribute_field(name: str, spec: AttrSpec) -> forms.Field:
    """The typed form field of one attribute; every attribute is optional (blank removes it)."""
    options: dict[str, Any] = {"required": False, "label": attribute_label(name, spec)}
    if spec.commercial:
        options["help_text"] = "Commercial: seen only by those who may see the owner's commercial records."
    if spec.choices:
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in spec.choices)], **options)
    if spec.type == "int":
        return forms.IntegerField(**options)
    if spec.type == "float":
        return forms.FloatField(**options)
    if spec.type == "bool":
        # Yes / no / not recorded: a checkbox could not say "not recorded".
        return forms.NullBooleanField(**options)
    if spec.type == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **options)
    return forms.CharField(max_length=400, **options)


class ConfigurationItemForm(forms.Form):
    """A CI of one class: the common fields, the class's link to the catalogue, then its attributes."""

    name = forms.CharField(max_length=200)
    criticality = forms.TypedChoiceField(choices=Criticality.choices, coerce=int, initial=Criticality.MEDIUM)
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.PRODUCTION)
    lifecycle = forms.ChoiceField(choices=Lifecycle.choices, initial=Lifecycle.LIVE)

    def __init__(
        self,
        *args: Any,
        ci_class: str,
        owners: Iterable[Model],
        teams: Iterable[Model],
        services: Iterable[Model] = (),
        offerings: Iterable[Model] = (),
        show_commercial: bool,
        versioned: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = ObjectChoiceField(owners, help_text="The organisation accountable for it.")
        # ObjectChoiceField's `label` names each choice, so the field's own label is set after.
        self.fields["support_team"] = ObjectChoiceField(
            teams,
            label=lambda team: f"{team.name} ({team.organisation.name})",
            required=False,
            empty_label="None",
            help_text="The resolver group that fixes it; its organisation may see and change it too.",
        )
        self.fields["support_team"].label = "Support team"
        link = SERVICE_LINKS.get(ci_class)
        if link == "service":
            self.fields["service"] = ObjectChoiceField(
                services, required=False, help_text="The catalogue service this business service is."
            )
        elif link == "offering":
            self.fields["offering"] = ObjectChoiceField(
                offerings, required=False, help_text="The catalogue offering this CI is."
            )
        specs = attributes_of(ci_class)
        self.attribute_names = [name for name, spec in specs.items() if show_commercial or not spec.commercial]
        for name in self.attribute_names:
            self.fields[ATTRIBUTE_FIELD_PREFIX + name] = attribute_field(name, specs[name])
        if versioned:
            # The version the user read: an edit made from an older copy is refused instead of overwriting.
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
        self.order_fields(["name", "owner", "support_team", "criticality", "environment", "lifecycle"])

    @staticmethod
    def initial_for(ci: Any, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """The form's values for an existing CI (`attributes` already masked for the actor)."""
        initial = {name: getattr(ci, name) for name in ("name", "criticality", "environment", "lifecycle")}
        initial |= {"owner": ci.owner_id, "support_team": ci.support_team_id, "version": ci.version}
        initial |= {"service": ci.service_id, "offering": ci.offering_id}
        return initial | {ATTRIBUTE_FIELD_PREFIX + name: value for name, value in attributes.items()}

    def split(self, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the CI's fields, its attributes) as ci_create and ci_update take them; a blank attribute is None."""
        fields = {name: value for name, value in data.items() if not name.startswith(ATTRIBUTE_FIELD_PREFIX)}
        attributes = {name: data.get(ATTRIBUTE_FIELD_PREFIX + name) for name in self.attribute_names}
        return fields, {name: None if value == "" else value for name, value in attributes.items()}


class RelationshipForm(forms.Form):
    """A link from the CI on the page to a target found by name among the CIs the actor may see."""

    type = forms.ChoiceField(choices=RelationshipType.choices, label="Relationship")

    def __init__(self, *args: Any, targets: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"] = ObjectChoiceField(
            targets,
            label=lambda ci: f"{ci.name} ({CLASSES[ci.ci_class].label}, {ci.owner.name})",
            empty_label="Search by name first",
            help_text="Matching CIs you may see.",
        )


class CIFilterForm(forms.Form):
    search = forms.CharField(required=False)
    ci_class = forms.ChoiceField(required=False, label="Class", choices=[("", "All classes"), *class_choices()])
    environment = forms.ChoiceField(required=False, choices=[("", "All environments"), *Environment.choices])
    lifecycle = forms.ChoiceField(required=False, choices=[("", "Any lifecycle"), *Lifecycle.choices])
    criticality = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[("", "Any criticality"), *Criticality.choices]
    )

    def __init__(self, *args: Any, owners: Iterable[Model], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = ObjectChoiceField(owners, required=False, empty_label="All owners")
        self.order_fields(["search", "ci_class", "owner", "environment", "lifecycle", "criticality"])


class AsOfForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="As it was on")


def attribute_filters(query: Mapping[str, str], known: Iterable[str]) -> dict[str, str]:
    """The `attr.<name>=value` pairs of a query string for attributes in `known`; blanks are no filter.

    Names outside `known` are dropped, not passed on: they become JSON lookups in the query.
    """
    allowed = set(known)
    filters = {}
    for key, value in query.items():
        name = key.removeprefix(ATTRIBUTE_FILTER_PREFIX)
        if key.startswith(ATTRIBUTE_FILTER_PREFIX) and name in allowed and value.strip():
            filters[name] = value.strip()
    return filters


def filterable_attributes(ci_class: str) -> dict[str, AttrSpec]:
    """The attributes a list may filter on: the class's (inherited ones included), or every class's."""
    if ci_class in CLASSES:
        return attributes_of(ci_class)
    merged: dict[str, AttrSpec] = {}
    for name in CLASSES:
        merged |= attributes_of(name)
    return dict(sorted(merged.items()))
