"""Large MDM exports run in the worker: the page or the API answers at once and the run's page shows progress.

A file of up to TOWERS_MDM_INLINE_ROWS rows runs in the request, as before, so a small correction shows its
report straight away. A larger one is checked as a whole (format, header) before anything is queued, so a wrong
file is refused at once; then it is stored with the run, and the worker runs it as the person who sent it.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from towers.core import audit
from towers.core.actor import Actor, Channel
from towers.core.permissions import ensure_can
from towers.mobile.models import MdmImport
from towers.mobile.policies import IMPORT_FLEET
from towers.mobile.services.mdm_import import mdm_import, read_checked
from towers.organisations.models import Organisation, Team
from towers.organisations.selectors import actor_for


def inline_rows() -> int:
    return int(getattr(settings, "TOWERS_MDM_INLINE_ROWS", 2000))


def mdm_import_or_queue(
    *,
    actor: Actor,
    organisation: Organisation,
    supplier: Organisation | None = None,
    support_team: Team | None = None,
    data: bytes,
    filename: str,
    source_format: str | None = None,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = True,
) -> MdmImport:
    """Run the import now if the file is small; otherwise queue it for the worker (status queued)."""
    ensure_can(actor, IMPORT_FLEET, MdmImport(organisation=organisation))
    export = read_checked(data, source_format, mapping)
    if len(export.rows) <= inline_rows():
        return mdm_import(
            actor=actor, organisation=organisation, supplier=supplier, support_team=support_team, data=data,
            filename=filename, source_format=source_format, mapping=mapping, dry_run=dry_run,
        )  # fmt: skip
    run = MdmImport(
        organisation=organisation,
        supplier=supplier,
        support_team=support_team,
        filename=filename[:255],
        source_format=export.source_format,
        mapping=dict(mapping or {}),
        dry_run=dry_run,
        total=len(export.rows),
        status=MdmImport.Status.QUEUED,
        started_by=actor.label,
        person_id=actor.person_id,
        acting_for_id=actor.organisation_id,
    )
    run.upload.save(filename[:100] or "export", ContentFile(data), save=False)
    with transaction.atomic():
        run.save()
        audit.record(actor, "mobile.fleet_import_queued", run, after={"filename": run.filename, "rows": run.total})
        transaction.on_commit(lambda: _enqueue(run))
    return run


def _enqueue(run: MdmImport) -> None:
    from towers.mobile.tasks import run_mdm_import  # the task module imports this one

    run_mdm_import.enqueue(str(run.pk))


def mdm_import_run_queued(run_id: str) -> MdmImport | None:
    """Run a queued import as the person who sent it; None if it already ran (a task delivered twice)."""
    with transaction.atomic():
        run = MdmImport.objects.select_for_update(of=("self",)).filter(pk=run_id, status=MdmImport.Status.QUEUED)
        found = run.select_related("organisation", "supplier", "support_team__organisation", "person").first()
        if found is None:
            return None
        MdmImport.objects.filter(pk=found.pk).update(status=MdmImport.Status.RUNNING)
    try:
        if found.person is None:
            raise PermissionError("the person who sent the file no longer exists")
        actor = actor_for(found.person, organisation=found.acting_for, channel=Channel.IMPORT)
        with found.upload.open("rb") as upload:
            data = upload.read()
        return mdm_import(
            actor=actor, organisation=found.organisation, supplier=found.supplier, support_team=found.support_team,
            data=data, filename=found.filename, source_format=found.source_format, mapping=found.mapping,
            dry_run=found.dry_run, run=found,
        )  # fmt: skip
    except Exception as exc:
        # mdm_import marks a run that failed while writing; one that could not start is marked here.
        error = f"{type(exc).__name__}: {exc}"[:2000]
        MdmImport.objects.filter(pk=found.pk, status=MdmImport.Status.RUNNING).update(status=MdmImport.Status.FAILED)
        MdmImport.objects.filter(pk=found.pk).update(error=error)
        raise
