"""Import an MDM export: each device reconciled to its CI by the CMDB's rules, then its Device row written in bulk.

Rows go in batches: the CIs through the CMDB import (identification by IMEI then serial, attribute authority of
the MDM's data source), then the batch's Device rows, people and SIMs looked up at once and written with
bulk_create/bulk_update. A real run commits batch by batch and moves MdmImport.done, so a page can show progress;
a dry run does the same work in one transaction and rolls it back, so its report is the one a real run gives.
What the MDM says about a device never undoes what people recorded: a lost, stolen or retired device keeps
that status (an export must not resurrect a stolen phone), and a row without a user leaves the holder alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from towers.cmdb.models import DataSource
from towers.cmdb.services.reconcile import ci_import_batches
from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.mobile.mdm_formats import MdmExport, MdmFormatError, MdmRow, read_export
from towers.mobile.models import MdmImport
from towers.mobile.policies import IMPORT_FLEET
from towers.mobile.services.compliance import devices_evaluate
from towers.mobile.services.mdm_devices import DeviceWriter
from towers.mobile.services.tasks import settings_for
from towers.organisations.models import Organisation, Team

BATCH = 500
Progress = Callable[[int, int], None]  # (rows done, rows in the file)


def mdm_import(
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
    progress: Progress | None = None,
    run: MdmImport | None = None,
) -> MdmImport:
    """Read an MDM export into `organisation`'s fleet (or, on a dry run, say row by row what that would do).

    `run` is a queued run's record (services/mdm_queue.py), filled in rather than a new one made.
    """
    ensure_can(actor, IMPORT_FLEET, MdmImport(organisation=organisation))
    export = read_checked(data, source_format, mapping)
    run = run or MdmImport(organisation=organisation, filename=filename[:255], dry_run=dry_run, started_by=actor.label)
    run.source_format, run.mapping, run.total = export.source_format, dict(mapping or {}), len(export.rows)
    run.status = MdmImport.Status.RUNNING
    with transaction.atomic():
        run.save()  # at once, so a page can follow its progress; its audit entry comes with the outcome
    support_team = support_team or _supplier_team(organisation, supplier)
    supplier = supplier or (support_team.organisation if support_team else None)
    writer = DeviceWriter(actor, organisation, supplier, run, support_team)
    try:
        if dry_run:
            with transaction.atomic():
                _run(actor, export.source_format, export.rows, writer, progress)
                transaction.set_rollback(True)
        else:
            _run(actor, export.source_format, export.rows, writer, progress)
            run.non_compliant = devices_evaluate(actor=actor, devices=writer.devices).non_compliant
    except Exception:
        _finish(actor, run, writer, MdmImport.Status.FAILED)
        raise
    _finish(actor, run, writer, MdmImport.Status.DONE)
    return run


def read_checked(data: bytes, source_format: str | None, mapping: Mapping[str, str] | None) -> MdmExport:
    """The export read, or a ValidationFailed naming what is wrong with the file as a whole."""
    try:
        return read_export(data, source_format=source_format, mapping=mapping)
    except MdmFormatError as exc:
        raise ValidationFailed.one(exc.field, str(exc)) from None


def _run(actor: Actor, source_format: str, rows: list[MdmRow], writer: DeviceWriter, progress: Progress | None) -> None:
    with transaction.atomic():
        source = _source(actor, writer.organisation, source_format)
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        with transaction.atomic():
            writer.write(batch, _reconcile(actor, source, writer, batch))
            MdmImport.objects.filter(pk=writer.run.pk).update(done=start + len(batch))
        if progress:
            progress(start + len(batch), len(rows))


def _source(actor: Actor, organisation: Organisation, source_format: str) -> DataSource:
    """The MDM's data source for this organisation, registered the first time its export is imported."""
    kind = "intune" if source_format.startswith("intune") else "mdm"
    code = f"{kind}-{organisation.code}"[:60]
    source = DataSource.objects.filter(code=code).first()
    if source is None:
        label = "Microsoft Intune" if kind == "intune" else "MDM export"
        source = DataSource.objects.create(code=code, name=f"{label} ({organisation.name})", organisation=organisation)
        audit.record(actor, "cmdb.source_created", source, after={"code": code, "organisation": str(organisation.pk)})
    return source


def _reconcile(
    actor: Actor, source: DataSource, writer: DeviceWriter, rows: list[MdmRow]
) -> dict[int, tuple[UUID, str]]:
    """The CI of each valid row (by line) and what the CMDB did to it; a row the CMDB refuses gets its problems."""
    valid = [row for row in rows if not row.problems]
    if not valid:
        return {}
    team = writer.support_team.code if writer.support_team else None
    items = [_item(row, writer.organisation, team) for row in valid]
    report = ci_import_batches(actor=actor, source=source, items=items, dry_run=False)
    found = {}
    for row, item in zip(valid, report.items, strict=True):
        if item.outcome == "rejected" or item.ci is None:
            for name, messages in (item.problems or {"ci": ["the CMDB refused it"]}).items():
                row.problems.setdefault(f"ci.{name}", []).extend(messages)
        else:
            found[row.line] = (UUID(item.ci), item.outcome)
    return found


def _supplier_team(organisation: Organisation, supplier: Organisation | None) -> Team | None:
    """The supplier's team that supports the devices: the one the owner's settings send wipes or repairs to."""
    settings = settings_for(organisation)
    teams = [settings.wipe_team, settings.repair_team]
    return next((t for t in teams if t is not None and supplier is not None and t.organisation_id == supplier.pk), None)


def _item(row: MdmRow, organisation: Organisation, support_team: str | None) -> dict[str, Any]:
    values = row.values
    attributes = {
        "imei": values.get("imei"),
        "serial": values.get("serial"),
        "model": " ".join(filter(None, (values.get("make"), values.get("model")))) or None,
        "msisdn": values.get("msisdn"),
        "assigned_to": values.get("user_upn") or values.get("user_email"),
    }
    identifier = values.get("imei") or values.get("serial")
    return {
        "class": "mobile_device",
        "native_key": values.get("mdm_id") or identifier,
        "name": values.get("name") or f"{attributes['model'] or 'Device'} {identifier}",
        "owner": organisation.code,
        # The mobile supplier's team supports the CI, so the supplier sees and keeps it as it runs the device.
        **({"support_team": support_team} if support_team else {}),
        "attributes": {k: v for k, v in attributes.items() if v},
        "line": row.line,
    }


def _finish(actor: Actor, run: MdmImport, writer: DeviceWriter, status: str) -> None:
    run.report = writer.report
    for outcome in ("created", "updated", "unchanged", "rejected"):
        setattr(run, outcome, sum(1 for entry in writer.report if entry["outcome"] == outcome))
    run.done = run.total if status == MdmImport.Status.DONE else len(writer.report)
    run.status, run.finished_at = status, timezone.now()
    counts = {k: getattr(run, k) for k in ("total", "created", "updated", "unchanged", "rejected", "non_compliant")}
    with transaction.atomic():
        run.save()
        audit.record(
            actor,
            "mobile.fleet_import_checked" if run.dry_run else "mobile.fleet_imported",
            run,
            after={"filename": run.filename, "format": run.source_format, "status": status, **counts},
        )
