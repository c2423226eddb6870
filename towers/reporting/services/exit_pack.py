"""Exit data packs: asked for (queued, audited), then built by the worker or the CLI into one ZIP file.

The build runs as whoever asked, re-checked when it runs: a requester who has since lost the right gets a
failed pack, not a pack built with rights they no longer hold.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor, Channel
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import ensure_can
from towers.organisations.models import Organisation, OrganisationKind
from towers.organisations.selectors import actor_for
from towers.reporting import exit_writer
from towers.reporting.exit_attachments import AttachmentFiles
from towers.reporting.exit_parts import all_parts
from towers.reporting.exit_scope import PackScope, supplier_view
from towers.reporting.exit_snapshot import Snapshot, read_snapshot
from towers.reporting.models import ExitPack
from towers.reporting.policies import EXIT_PACK

Progress = Callable[[str, int], None]
FORMAT_VERSION = 1
VISIBILITY = "records about the supplier that both the requester and the supplier may see"


def exit_pack_create(
    *,
    actor: Actor,
    supplier: Organisation,
    since: date | None = None,
    until: date | None = None,
    queue: bool = True,
) -> ExitPack:
    """Ask for a supplier's exit pack; the worker builds it once this commits (the CLI passes queue=False)."""
    pack = ExitPack(
        supplier=supplier,
        requested_by_label=actor.label,
        requested_by_id=actor.person_id,
        requester_organisation_id=actor.organisation_id,
        job=actor.job or "",
        channel=str(actor.channel),
        since=since,
        until=until,
    )
    ensure_can(actor, EXIT_PACK, pack)
    if supplier.kind == OrganisationKind.AUTHORITY:
        raise ValidationFailed.one("supplier", "the authority does not exit; choose a supplier or third party")
    if since and until and since > until:
        raise ValidationFailed.one("until", "must not be before `since`")
    with transaction.atomic():
        pack.save(force_insert=True)
        after = {"supplier": supplier.code, "since": since, "until": until}
        audit.record(actor, "reporting.exit_pack_requested", pack, after=after)
        if queue:
            transaction.on_commit(lambda: _enqueue(pack))
    return pack


def _enqueue(pack: ExitPack) -> None:
    from towers.reporting.tasks import build_exit_pack  # the task module imports this one

    build_exit_pack.enqueue(str(pack.pk))


def _requester(pack: ExitPack) -> Actor:
    """The requester as they are now, acting through the job channel."""
    if pack.job:
        return Actor.system(pack.job)
    if pack.requested_by is None:
        raise Forbidden("the person who asked for the pack no longer exists")
    actor = actor_for(pack.requested_by, organisation=pack.requester_organisation, channel=Channel.JOB)
    if actor.organisation_id != pack.requester_organisation_id:
        raise Forbidden(f"{actor.label} no longer acts for the organisation that asked for the pack")
    ensure_can(actor, EXIT_PACK, ExitPack(supplier=pack.supplier, requester_organisation=pack.requester_organisation))
    return actor


def exit_pack_build_queued(pack_id: str) -> ExitPack | None:
    """Build a queued pack; None if it is no longer queued (a task delivered twice, or the CLI built it)."""
    with transaction.atomic():
        claimed = ExitPack.objects.filter(pk=pack_id, status=ExitPack.Status.QUEUED).update(
            status=ExitPack.Status.RUNNING, started_at=timezone.now()
        )
    if not claimed:
        return None
    return exit_pack_build(ExitPack.objects.select_related("supplier__tower", "requested_by").get(pk=pack_id))


def exit_pack_build(pack: ExitPack, *, progress: Progress | None = None) -> ExitPack:
    """Write the pack's ZIP (parts, attached files, manifest, README, checksums) and store it with its size and SHA-256.

    Every record is read in one snapshot (exit_snapshot), in which nothing may be written: the pack's "running"
    is committed before the snapshot starts and "done" or "failed" after it ends, and `progress` only reports
    in-process (the CLI's status line), so others see the status change when it happens.
    """
    ExitPack.objects.filter(pk=pack.pk).update(status=ExitPack.Status.RUNNING, started_at=timezone.now())
    actor: Actor | None = None
    try:
        actor = _requester(pack)
        scope = PackScope(pack.supplier, (actor, supplier_view(pack.supplier)), pack.since, pack.until)
        with tempfile.TemporaryDirectory(prefix="exit-pack-") as scratch:
            zipped = Path(scratch) / "pack.zip"  # beside the files, but not one of them
            with zipped.open("w+b") as out, exit_writer.PackArchive(out) as archive:
                manifest = _write(Path(scratch), archive, pack, scope, actor, progress)
            pack.size, pack.sha256 = zipped.stat().st_size, exit_writer.sha256_of(zipped)
            with zipped.open("rb") as stored:
                pack.file.save(_filename(pack), File(stored), save=False)
    except Exception as exc:
        _fail(pack, actor, exc)
        raise
    pack.status, pack.finished_at, pack.manifest, pack.error = ExitPack.Status.DONE, timezone.now(), manifest, ""
    pack.counts, pack.updated_at, pack.version = dict(manifest["counts"]), pack.finished_at, pack.version + 1
    with transaction.atomic():
        pack.save(update_fields=["status", "finished_at", "manifest", "counts", "file", "size", "sha256", "error",
                                 "updated_at", "version"])  # fmt: skip
        after = {"file": pack.file.name, "size": pack.size, "sha256": pack.sha256, "counts": pack.counts}
        audit.record(replace(actor, channel=Channel.JOB), "reporting.exit_pack_built", pack, after=after)
    return pack


def _write(
    directory: Path,
    archive: exit_writer.PackArchive,
    pack: ExitPack,
    scope: PackScope,
    actor: Actor,
    progress: Progress | None,
) -> dict[str, Any]:
    """Read every part in one snapshot (attached files stream into `archive`), then add README, manifest, sums."""
    files = AttachmentFiles(archive)
    parts = all_parts(scope, files)
    with read_snapshot() as snapshot:
        written, counts = _write_parts(directory, parts, progress)
    supplier = pack.supplier
    heading = f"Towers exit data pack — {supplier.name} ({supplier.code}), pack {pack.pk}"
    readme = exit_writer.readme(heading, parts, _notes(snapshot, files.problems))
    (directory / "README.txt").write_text(readme, encoding="utf-8")
    written.append(exit_writer.file_entry(directory / "README.txt", 0, "What each file holds, column by column"))
    entries = [*written, *files.entries]
    manifest = _manifest(pack, actor, snapshot, counts, files.problems, entries)
    exit_writer.write_json(directory / "manifest.json", manifest)
    written.append(exit_writer.file_entry(directory / "manifest.json", 0, "This pack's manifest"))
    exit_writer.write_checksums(directory, [*entries, written[-1]])
    archive.add_files(directory, [*(e.name for e in written), "checksums.sha256"])
    return manifest


def _manifest(
    pack: ExitPack,
    actor: Actor,
    snapshot: Snapshot,
    counts: dict[str, int],
    problems: list[dict[str, Any]],
    entries: list[exit_writer.FileEntry],
) -> dict[str, Any]:
    supplier = pack.supplier
    manifest = {
        "format": "towers-exit-pack",
        "format_version": FORMAT_VERSION,
        "pack": pack.pk,
        "supplier": {"id": supplier.pk, "code": supplier.code, "name": supplier.name},
        "generated_at": timezone.now(),
        "generated_by": actor.label,
        "requested_by": pack.requested_by_label,
        "requested_at": pack.created_at,
        "towers_version": _towers_version(),
        "snapshot_at": snapshot.at,  # the records are as they stood then, whenever the pack finished
        "isolation": snapshot.isolation,
        "scope": {"since": pack.since, "until": pack.until, "visibility": VISIBILITY},
        "counts": counts,
        "attachment_problems": problems,  # files missing from storage or changed since upload
        "files": [e.as_dict() for e in entries],
    }
    result: dict[str, Any] = exit_writer.plain(manifest)  # stored on the pack as JSON too
    return result


def _write_parts(
    directory: Path, parts: list[exit_writer.Part], progress: Progress | None
) -> tuple[list[exit_writer.FileEntry], dict[str, int]]:
    entries: list[exit_writer.FileEntry] = []
    counts: dict[str, int] = {}
    for part in parts:
        written = exit_writer.write_part(directory, part, progress)
        counts[part.name] = written[0].rows  # records (JSON objects), not CSV rows
        entries += written
    return entries, counts


SHOWN_PROBLEMS = 50  # the README names this many; attachments.csv and the manifest have them all


def _notes(snapshot: Snapshot, problems: list[dict[str, Any]]) -> list[str]:
    """What this pack's reader must know first: the moment it shows and any file not packed as recorded."""
    at = exit_writer.plain(snapshot.at)
    notes = [f"Every record is as it stood in Towers at {at} (UTC): the pack was read in one snapshot "
             f"({snapshot.isolation})."]  # fmt: skip
    if problems:
        listed = [f"  {p['ticket']} {p['filename']}: {p['problem']}" for p in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            listed.append(f"  … and {len(problems) - SHOWN_PROBLEMS} more.")
        heading = (f"{len(problems)} attached file(s) are not as recorded at upload; attachments.csv (column "
                   "`problem`) and manifest.json (`attachment_problems`) list them all:")  # fmt: skip
        notes.append("\n".join([heading, *listed]))
    return notes


def _fail(pack: ExitPack, actor: Actor | None, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    with transaction.atomic():
        ExitPack.objects.filter(pk=pack.pk).update(
            status=ExitPack.Status.FAILED, error=error, finished_at=timezone.now(), updated_at=timezone.now()
        )
        audit.record(actor or Actor.system("exit-pack"), "reporting.exit_pack_failed", pack, after={"error": error})
    pack.status, pack.error = ExitPack.Status.FAILED, error


def _filename(pack: ExitPack) -> str:
    return f"exit-pack-{pack.supplier.code}-{timezone.now():%Y%m%d}-{str(pack.pk)[:8]}.zip"


def _towers_version() -> str:
    try:
        return version("towers")
    except PackageNotFoundError:
        return "unknown"


def exit_pack_downloaded(*, actor: Actor, pack: ExitPack) -> None:
    """Who took the supplier's data away, and when: a download is recorded like a change."""
    with transaction.atomic():
        audit.record(actor, "reporting.exit_pack_downloaded", pack, after={"sha256": pack.sha256, "size": pack.size})


STALE_AFTER = timedelta(hours=2)


def exit_packs_fail_stale(*, now: datetime | None = None) -> int:
    """Packs left "running" by a worker that died mid-build are failed with the reason, so they can be asked again."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    stale = ExitPack.objects.filter(status=ExitPack.Status.RUNNING, started_at__lt=cutoff)
    return stale.update(
        status=ExitPack.Status.FAILED,
        error="The build stopped before it finished (the worker was restarted?): ask for the pack again.",
        finished_at=timezone.now(),
    )
