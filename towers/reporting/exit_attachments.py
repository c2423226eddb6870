"""The attachments part: each file attached to a ticket in the pack, listed, and the file itself in the ZIP.

A file missing from storage, or whose bytes no longer match the SHA-256 recorded at upload, does not stop the
pack: the supplier's other records still have to leave. It is listed with the problem (and a changed file is
packed as found), and the build reports every problem in the manifest and the README.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.files import File

from towers.reporting.exit_scope import PackScope, batches, tickets_of
from towers.reporting.exit_writer import CHUNK, FileEntry, PackArchive, Part, Row
from towers.servicedesk.models import Attachment

MISSING = "file missing from storage"
DIFFERS = "sha256 differs from the one recorded at upload"
COLUMNS = (
    ("ticket", "the ticket's reference (tickets.csv)"),
    ("id", "the attachment's UUID"),
    ("filename", "the file's name as uploaded"),
    ("content_type", "its media type as uploaded"),
    ("size", "its size in bytes, recorded at upload"),
    ("sha256", "its SHA-256, recorded at upload"),
    ("public", "true if the requester may see it, false for notes between the resolving teams"),
    ("uploaded_by", "who attached it"),
    ("created_at", "when it was attached"),
    ("path", "where the file is in this ZIP; blank if it could not be packed"),
    ("packed_sha256", "SHA-256 of the file as packed (checksums.sha256 has it too)"),
    ("problem", f"blank, or why the file is not as recorded: '{MISSING}' or '{DIFFERS}'"),
)
DESCRIPTION = (
    "Files attached to the tickets in tickets.csv, one row each; the files themselves are under attachments/ "
    f"at `path`. A file Towers no longer has is listed with problem '{MISSING}' and no path; a file whose "
    f"bytes changed since upload is packed as found, with problem '{DIFFERS}'. manifest.json lists every "
    "problem under `attachment_problems`."
)
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')  # folders, control characters, what Windows refuses
LONGEST_NAME = 120
FIELDS = ("id", "ticket", "filename", "content_type", "size", "sha256", "file", "uploaded_by", "public", "created_at")


def safe_name(name: str, *, fallback: str = "file") -> str:
    """One readable path segment: no separators, no '..', no control characters, not too long to unzip."""
    cleaned = UNSAFE.sub("_", unicodedata.normalize("NFC", name))
    cleaned = re.sub(r"\.{2,}", ".", cleaned).strip(" .")
    if len(cleaned) > LONGEST_NAME:
        stem, dot, extension = cleaned.rpartition(".")
        keep = extension if dot and stem and len(extension) <= 10 else ""
        cleaned = cleaned[: LONGEST_NAME - len(keep) - 1].rstrip(" .") + (f".{keep}" if keep else "")
    return cleaned or fallback


def path_in_pack(reference: str, attachment_id: object, filename: str) -> str:
    return f"attachments/{safe_name(reference, fallback='ticket')}/{attachment_id}-{safe_name(filename)}"


@dataclass
class AttachmentFiles:
    """Streams each listed attachment's file into the archive, keeping its entry and any problem for the manifest."""

    archive: PackArchive
    entries: list[FileEntry] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def pack(self, attachment: Attachment, reference: str) -> tuple[str, str, str]:
        """(path in the ZIP, SHA-256 as packed, problem): path and SHA-256 are blank for a missing file."""
        path = path_in_pack(reference, attachment.id, attachment.filename)
        try:
            stored = _open(attachment)
        except FileNotFoundError:
            return self._problem(attachment, reference, "", "", MISSING)
        with stored:
            entry = self.archive.add_stream(
                path, stored.chunks(CHUNK), when=attachment.created_at, large=stored.size >= zipfile.ZIP64_LIMIT,
                description=f"Attached to {reference}: {attachment.filename}",
            )  # fmt: skip
        self.entries.append(entry)
        if entry.sha256 != attachment.sha256:
            return self._problem(attachment, reference, path, entry.sha256, DIFFERS)
        return path, entry.sha256, ""

    def _problem(
        self, attachment: Attachment, reference: str, path: str, packed: str, problem: str
    ) -> tuple[str, str, str]:
        self.problems.append({"ticket": reference, "attachment": attachment.id, "filename": attachment.filename,
                              "path": path or None, "problem": problem})  # fmt: skip
        return path, packed, problem


def _open(attachment: Attachment) -> File:
    """The stored file, opened for reading; a row whose file was never saved counts as missing."""
    if not attachment.file.name:
        raise FileNotFoundError(attachment.id)
    return attachment.file.storage.open(attachment.file.name, "rb")


def _rows(scope: PackScope, files: AttachmentFiles) -> Iterator[Row]:
    # The tickets part's own scope, so an attachment is here exactly when its ticket is in tickets.csv.
    listed = scope.within(Attachment.objects.filter(ticket__in=tickets_of(scope).values("pk")))
    for batch in batches(listed.select_related("ticket").only("ticket__reference", *FIELDS)):
        for attachment in batch:
            reference = attachment.ticket.reference
            path, packed, problem = files.pack(attachment, reference)
            flat = {
                "ticket": reference, "id": attachment.id, "filename": attachment.filename,
                "content_type": attachment.content_type, "size": attachment.size, "sha256": attachment.sha256,
                "public": attachment.public, "uploaded_by": attachment.uploaded_by,
                "created_at": attachment.created_at, "path": path or None, "packed_sha256": packed or None,
                "problem": problem or None,
            }  # fmt: skip
            yield flat, flat


def attachments_part(scope: PackScope, files: AttachmentFiles) -> Part:
    return Part("attachments", "Ticket attachments", DESCRIPTION, COLUMNS, lambda: _rows(scope, files))
