"""Calendar screens: list, detail with every version of the hours and the closures, new hours, closures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from towers.contracts import selectors
from towers.contracts.forms import CalendarCreateForm, CalendarHoursForm, ClosureForm
from towers.contracts.models import Calendar, CalendarHours
from towers.contracts.services import catalogue as services
from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.permissions import ensure_can, permitted
from towers.organisations import selectors as directory
from towers.organisations.models import Organisation
from towers.organisations.views.common import allowed, call_service, form_page, paginate, request_actor, ui_view

DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
CLOSURE_ROWS = 50  # the most recent closures; older ones are in the calendar's history


@dataclass(frozen=True)
class HoursVersion:
    """One set of opening hours: from when, each weekday's windows ("" when closed), and whether it applies now."""

    effective_from: date
    days: list[str]
    status: str

    @property
    def summary(self) -> str:
        """ "Mon–Fri 08:00–18:00, Sat 09:00–13:00": consecutive days with the same hours run together."""
        runs: list[tuple[int, int, str]] = []
        for weekday, hours in enumerate(self.days):
            if hours and runs and runs[-1][1] == weekday - 1 and runs[-1][2] == hours:
                runs[-1] = (runs[-1][0], weekday, hours)
            elif hours:
                runs.append((weekday, weekday, hours))
        named = [
            f"{DAY_NAMES[first]}{'–' + DAY_NAMES[last] if last > first else ''} {hours}" for first, last, hours in runs
        ]
        return ", ".join(named) or "Closed every day"


def hours_versions(hours: Iterable[CalendarHours], today: date) -> list[HoursVersion]:
    """The calendar's versions of hours, newest first; the latest that has started is the one in force."""
    by_date: dict[date, list[list[str]]] = {}
    for window in hours:
        days = by_date.setdefault(window.effective_from, [[] for _ in DAY_NAMES])
        days[window.weekday].append(f"{window.start:%H:%M}–{window.end:%H:%M}")
    in_force = max((start for start in by_date if start <= today), default=None)
    return [
        HoursVersion(
            effective_from=start,
            days=[", ".join(windows) for windows in days],
            status="in force" if start == in_force else "scheduled" if start > today else "superseded",
        )
        for start, days in sorted(by_date.items(), reverse=True)
    ]


def _owners(actor: Actor) -> QuerySet[Organisation]:
    return permitted(actor, "calendar.manage", directory.organisation_list(actor=actor))


@ui_view
def calendar_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    page = paginate(request, selectors.calendar_list(actor=actor).prefetch_related("hours"))
    today = timezone.localdate()
    for calendar in page:
        versions = hours_versions(calendar.hours.all(), today)
        current = next((v for v in versions if v.status == "in force"), None)
        calendar.hours_now = current.summary if current else ""
    return render(request, "contracts/calendar_list.html", {"page": page, "may": {"create": _owners(actor).exists()}})


@ui_view
def calendar_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    calendar = selectors.calendar_get(actor=actor, id=pk)
    # Closures share the calendar's parties, so the calendar's visibility covers them.
    closures = calendar.closures.order_by("-starts_at")
    return render(
        request,
        "contracts/calendar_detail.html",
        {
            "calendar": calendar,
            "days": DAY_NAMES,
            "versions": hours_versions(selectors.calendar_hours(calendar=calendar), timezone.localdate()),
            "closures": closures[:CLOSURE_ROWS],
            "closure_count": closures.count(),
            "may": allowed(actor, manage=("calendar.manage", calendar)),
        },
    )


@ui_view
def calendar_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    owners = _owners(actor)
    if not owners:
        raise Forbidden("You may not create calendars for any organisation.")
    return form_page(
        request,
        form=CalendarCreateForm(request.POST or None, initial={"owner": actor.organisation_id}, organisations=owners),
        save=lambda data: services.calendar_create(actor=actor, **data),
        saved="The calendar {} was created. Set its opening hours next.",
        done_url=lambda calendar: reverse("calendar_hours_set", args=[calendar.pk]),
        title="New calendar",
        submit="Create calendar",
        cancel_url=reverse("calendar_list"),
    )


def _hours_initial(calendar: Calendar) -> dict[str, object]:
    """The hours in force (or the latest set), to change from; a second window on a day is not prefilled."""
    versions = hours_versions(selectors.calendar_hours(calendar=calendar), timezone.localdate())
    current = next((v for v in versions if v.status == "in force"), versions[0] if versions else None)
    initial: dict[str, object] = {}
    for weekday, hours in enumerate(current.days if current else []):
        if hours:
            start, end = hours.split(", ")[0].split("–")
            initial |= {f"start_{weekday}": start, f"end_{weekday}": end}
    return initial


@ui_view
def calendar_hours_set(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    calendar = selectors.calendar_get(actor=actor, id=pk)
    ensure_can(actor, "calendar.manage", calendar)
    form = CalendarHoursForm(request.POST or None, initial=_hours_initial(calendar))
    status = 200
    if request.method == "POST" and form.is_valid():
        effective_from = form.cleaned_data["effective_from"]
        rows, status = call_service(
            form,
            lambda: services.calendar_set_hours(
                actor=actor, calendar=calendar, effective_from=effective_from, windows=form.windows()
            ),
        )
        if rows is not None:
            messages.success(request, f"{calendar}'s hours from {date_format(effective_from, 'j F Y')} were saved.")
            return redirect("calendar_detail", pk=pk)
    context = {"calendar": calendar, "form": form, "title": f"Set the hours of {calendar}"}
    return render(request, "contracts/calendar_hours_form.html", context, status=status)


@ui_view
def calendar_closure_add(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    calendar = selectors.calendar_get(actor=actor, id=pk)
    ensure_can(actor, "calendar.manage", calendar)
    return form_page(
        request,
        form=ClosureForm(request.POST or None),
        save=lambda data: services.calendar_add_closure(actor=actor, calendar=calendar, **data),
        saved="The closure was added: {}.",
        done_url=lambda _closure: reverse("calendar_detail", args=[pk]),
        title=f"Add a closure to {calendar}",
        submit="Add closure",
        cancel_url=reverse("calendar_detail", args=[pk]),
    )
