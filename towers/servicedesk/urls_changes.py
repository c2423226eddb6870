"""Pages of change and problem management: changes, the CAB's decisions, the change calendar, problems and the
known error database. Objects are /<plural>/<uuid:pk>/…, so the segregation walker knows what each id names."""

from collections.abc import Callable

from django.http import HttpResponse
from django.urls import URLPattern, path

from towers.servicedesk.views import change_calendar, changes, problems


def _step(resource: str, step: str, view: Callable[..., HttpResponse], prefix: str) -> URLPattern:
    """One step of a change's or problem's life: a POST to /<resource>/<id>/<step>/ handled by `view`."""
    return path(f"{resource}/<uuid:pk>/{step.replace('_', '-')}/", view, {"step": step}, name=f"{prefix}_{step}")


urlpatterns = [
    path("changes/", changes.change_list, name="change_list"),
    path("changes/new/", changes.change_new, name="change_new"),
    path("changes/<uuid:pk>/", changes.change_detail, name="change_detail"),
    path("changes/<uuid:pk>/edit/", changes.change_edit, name="change_edit"),
    *(
        _step("changes", step, changes.change_step, "change")
        for step in ("risk", "submit", "implement", "complete", "review", "close", "cancel", "incidents")
    ),
    path("approvals/<uuid:pk>/decide/", changes.approval_decide, name="approval_decide"),
    path("change-calendar/", change_calendar.change_calendar, name="change_calendar"),
    path("problems/", problems.problem_list, name="problem_list"),
    path("problems/new/", problems.problem_new, name="problem_new"),
    path("problems/<uuid:pk>/", problems.problem_detail, name="problem_detail"),
    *(
        _step("problems", step, problems.problem_step, "problem")
        for step in ("cause", "known_error", "incidents", "resolve")
    ),
    path("problems/<uuid:pk>/incidents/<uuid:incident>/unlink/", problems.problem_unlink, name="problem_unlink"),
    path("known-errors/", problems.known_error_list, name="known_error_list"),
]
