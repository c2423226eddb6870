"""Pages of exit packs: the packs you may see, a form to ask for one, and the download."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from towers.organisations.models import Organisation
from towers.organisations.views.common import call_service, paginate, request_actor, ui_view
from towers.reporting.exit_selectors import exit_pack_list, exit_pack_ready, exit_pack_suppliers
from towers.reporting.models import ExitPack
from towers.reporting.services.exit_pack import exit_pack_create, exit_pack_downloaded

IN_FLIGHT = (ExitPack.Status.QUEUED, ExitPack.Status.RUNNING)


class ExitPackForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=Organisation.objects.none(), help_text="The outgoing supplier.")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text="Only tickets opened, and periods measured, from this date.")  # fmt: skip
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text="… and up to this date.")  # fmt: skip

    def __init__(self, *args: Any, suppliers: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["supplier"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organisation.objects.filter(pk__in=[s.pk for s in suppliers]).order_by("name")


@ui_view
def exit_pack_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    suppliers = exit_pack_suppliers(actor=actor)
    form = ExitPackForm(request.POST or None, suppliers=suppliers) if suppliers else None
    status = 200
    if request.method == "POST":
        if form is None:
            status = 403  # nobody here may ask for a pack: there is no form to post
        elif form.is_valid():
            data = form.cleaned_data
            pack, status = call_service(form, lambda: exit_pack_create(
                actor=actor, supplier=data["supplier"], since=data["since"], until=data["until"]))  # fmt: skip
            if pack is not None:
                messages.success(request, f"The exit pack of {pack.supplier} is queued; it is built in the background.")
                return redirect("exit_pack_list")
    packs = paginate(request, exit_pack_list(actor=actor))
    in_flight = any(pack.status in IN_FLIGHT for pack in packs)
    context = {"form": form, "packs": packs, "in_flight": in_flight}
    return render(request, "reporting/exit_packs.html", context, status=status)


@require_GET
@login_required  # not ui_view: a file is not an HTML page (NotFound is already a 404)
def exit_pack_download(request: HttpRequest, pk: UUID) -> FileResponse:
    actor = request_actor(request)
    pack = exit_pack_ready(actor=actor, id=pk)
    exit_pack_downloaded(actor=actor, pack=pack)
    name = (pack.file.name or "exit-pack.zip").rsplit("/", 1)[-1]
    response = FileResponse(pack.file.open("rb"), as_attachment=True, filename=name, content_type="application/zip")
    response["X-Content-SHA256"] = pack.sha256
    return response
