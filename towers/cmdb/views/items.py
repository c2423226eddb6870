"""The CI list with its filters, and the create and edit forms generated from each CI class."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from towers.cmdb import selectors
from towers.cmdb.classes import CLASSES
from towers.cmdb.forms import (
    ATTRIBUTE_FILTER_PREFIX,
    CIFilterForm,
    ConfigurationItemForm,
    attribute_filters,
    class_tree,
    filterable_attributes,
)
from towers.cmdb.models import ConfigurationItem
from towers.cmdb.services import items as services
from towers.contracts import selectors as contracts
from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.permissions import ensure_can, permitted
from towers.organisations import selectors as directory
from towers.organisations.models import Organisation
from towers.organisations.views.common import edit_page, form_page, paginate, request_actor, ui_view

# The pair of inputs that adds one attribute filter; the list redirects them to `attr.<name>=value`. They are
# sent with every refresh of the filters (left empty, they are ignored).
ADD_NAME, ADD_VALUE = "attr_name", "attr_value"


def in_sentence(label: str) -> str:
    """A class label inside a sentence: "Cloud / SaaS tenant" becomes "cloud / SaaS tenant", acronyms kept."""
    return label[:1].lower() + label[1:]


def ci_owners(actor: Actor) -> QuerySet[Organisation]:
    """The organisations the actor may record CIs for."""
    return permitted(actor, "ci.manage", directory.organisation_list(actor=actor))


def _canonical_list_url(request: HttpRequest) -> str:
    """The list's URL with the added attribute filter written as `attr.<name>=value`, the one form it keeps."""
    query = request.GET.copy()
    name, value = query.pop(ADD_NAME, [""])[-1], query.pop(ADD_VALUE, [""])[-1]
    query.pop("page", None)
    if name and value.strip():
        query[ATTRIBUTE_FILTER_PREFIX + name] = value.strip()
    return f"{reverse('ci_list')}?{query.urlencode()}" if query else reverse("ci_list")


@ui_view
def ci_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if request.GET.get(ADD_NAME) and request.GET.get(ADD_VALUE, "").strip():
        url = _canonical_list_url(request)
        if request.headers.get("HX-Request"):
            # The whole page, not the results only: the filter form must grow a row for the new filter.
            response = HttpResponse()
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    filters = CIFilterForm(request.GET, owners=directory.organisation_list(actor=actor))
    filters.is_valid()
    data = filters.cleaned_data
    ci_class, owner = data.get("ci_class", ""), data.get("owner")
    by_attribute = attribute_filters(request.GET, filterable_attributes(ci_class))
    cis = selectors.ci_list(
        actor=actor,
        ci_class=ci_class,
        owner=owner.pk if owner else None,
        environment=data.get("environment", ""),
        lifecycle=data.get("lifecycle", ""),
        criticality=data.get("criticality"),
        search=data.get("search", ""),
        attributes=by_attribute,
    )
    return render(
        request,
        "cmdb/ci_list.html",
        {
            "filters": filters,
            "attribute_filters": [
                (ATTRIBUTE_FILTER_PREFIX + name, name, value) for name, value in by_attribute.items()
            ],
            "filterable": sorted(filterable_attributes(ci_class)),
            "page": paginate(request, cis),
            "may": {"create": ci_owners(actor).exists()},
        },
    )


def _may_see_commercials_of_all(actor: Actor, owners: Iterable[Model]) -> bool:
    # A new CI has no owner until the form is sent, so its commercial fields show only when every owner
    # it may be given would let the actor see them.
    return all(selectors.may_see_commercials(actor, ConfigurationItem(owner_id=owner.pk)) for owner in owners)


def _with_current(records: Iterable[Model], current: Model | None) -> list[Model]:
    """The choices, plus the value the CI has now if the actor could not otherwise choose it.

    Without it, saving a CI whose support team (or service) the actor may not see would clear it.
    """
    choices = list(records)
    return [*choices, current] if current is not None and current not in choices else choices


def _form_choices(actor: Actor, ci_class: str, ci: ConfigurationItem | None = None) -> dict[str, Any]:
    """The choices the class's form offers: teams, and the catalogue records the service layer links to."""
    choices: dict[str, Any] = {
        "teams": _with_current(directory.team_list(actor=actor), ci.support_team if ci else None)
    }
    if ci_class == "business_service":
        services = contracts.service_list(actor=actor).prefetch_related(None)
        choices["services"] = _with_current(services, ci.service if ci else None)
    elif ci_class == "service_offering":
        offerings = [
            offering for service in contracts.service_list(actor=actor) for offering in service.offerings.all()
        ]
        choices["offerings"] = _with_current(offerings, ci.offering if ci else None)
    return choices


@ui_view
def ci_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    owners = list(ci_owners(actor))
    if not owners:
        raise Forbidden("You may not record configuration items for any organisation.")
    ci_class = request.GET.get("class", "")
    if ci_class not in CLASSES:
        return render(request, "cmdb/ci_class_choice.html", {"classes": class_tree()})
    form = ConfigurationItemForm(
        request.POST or None,
        initial={"owner": actor.organisation_id},
        ci_class=ci_class,
        owners=owners,
        show_commercial=_may_see_commercials_of_all(actor, owners),
        **_form_choices(actor, ci_class),
    )

    def save(data: dict[str, Any]) -> ConfigurationItem:
        fields, attributes = form.split(data)
        return services.ci_create(actor=actor, ci_class=ci_class, attributes=attributes, **fields)

    label = in_sentence(CLASSES[ci_class].label)
    return form_page(
        request,
        form=form,
        save=save,
        saved=f"The {label} {{}} was recorded.",
        done_url=lambda ci: reverse("ci_detail", args=[ci.pk]),
        title=f"New {label}",
        submit=f"Record {label}",
        cancel_url=f"{reverse('ci_list')}?{urlencode({'ci_class': ci_class})}",
    )


@ui_view
def ci_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    ci = selectors.ci_get(actor=actor, id=pk)
    ensure_can(actor, "ci.manage", ci)
    # A CI the actor supports but does not own keeps its owner unless they choose another.
    owners = _with_current(ci_owners(actor), ci.owner)
    visible = selectors.visible_attributes(actor, ci)
    form = ConfigurationItemForm(
        request.POST or None,
        initial=ConfigurationItemForm.initial_for(ci, visible),
        ci_class=ci.ci_class,
        owners=owners,
        # Decided on the CI as it is: masked attributes are neither shown nor sent, so they keep their values.
        show_commercial=selectors.may_see_commercials(actor, ci),
        versioned=True,
        **_form_choices(actor, ci.ci_class, ci),
    )

    def save(changes: dict[str, Any], version: int) -> ConfigurationItem:
        fields, attributes = form.split(changes)
        return services.ci_update(actor=actor, ci=ci, changes=fields, attributes=attributes, expected_version=version)

    return edit_page(
        request,
        form=form,
        save=save,
        done_url=reverse("ci_detail", args=[pk]),
        title=f"Edit {ci.name} ({in_sentence(CLASSES[ci.ci_class].label)})",
    )
