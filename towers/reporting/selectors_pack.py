"""Build a month's service review pack from the records, within the reader's visibility.

The caller checks the reader may read this pack at all (`access.ensure_may_read_pack`); every figure here is then
further limited by visible_to, so a pack never shows a record its reader could not open. The query count is fixed
by the number of sections and service levels, not by the number of tickets.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils import timezone

from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.organisations.models import Organisation, Tower
from towers.reporting import pack_desk, pack_other, pack_service
from towers.reporting.pack import Section, ServicePack
from towers.reporting.pack_common import PackScope


def parse_month(text: str) -> date:
    """A month as YYYY-MM (as in the page's and the API's URLs)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    try:
        if match is None:
            raise ValueError(text)
        return date(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValidationFailed.one("month", "give the month as YYYY-MM, e.g. 2026-03") from None


def build_pack(*, actor: Actor, month: date, supplier: Organisation | None, tower: Tower | None = None) -> ServicePack:
    """A supplier's pack, a tower's (its suppliers together) or, with neither, the estate's."""
    scope = PackScope(actor=actor, month=date(month.year, month.month, 1), supplier=supplier, tower=tower)
    volumes, trends = pack_desk.volumes(scope)
    majors = pack_desk.majors(scope)
    breaches, breach_total = pack_service.breaches(scope)
    attainment = pack_service.attainment(scope)
    sections: list[Section] = [
        volumes,
        pack_desk.resolution(scope),
        pack_desk.handoffs(scope),
        pack_desk.majors_section(scope, majors),
        pack_other.changes(scope),
    ]
    notes: list[str] = []
    if breach_total > len(breaches):
        notes.append(f"{breach_total} breaches in the month; the {len(breaches)} most overdue are listed.")
    for title, section in (
        ("security cases", pack_other.security(scope)),
        ("mobile devices", pack_other.mobile(scope)),
    ):
        if section is None:
            whose = "for this supplier" if supplier else "for this tower" if tower else "visible to you"
            notes.append(f"No {title} {whose}.")
        else:
            sections.append(section)
    commercial = pack_other.commercial(scope)
    if not commercial:
        notes.append("No service credits or delivery scores for the month that you may see.")
    return ServicePack(
        month=scope.month,
        supplier=supplier.code if supplier else None,
        supplier_name=supplier.name if supplier else f"The {tower.name} tower" if tower else "The estate",
        generated_at=timezone.now().isoformat(timespec="seconds"),
        generated_for=f"{actor.label} ({actor.organisation_name})" if actor.organisation_name else actor.label,
        sections=tuple(sections),
        attainment=attainment,
        breaches=breaches,
        trends=(*trends, pack_service.attainment_trend(scope), pack_desk.mttr_trend(scope)),
        backlog_ageing=pack_desk.backlog(scope),
        major_incidents=majors,
        commercial=commercial,
        notes=tuple(notes),
        tower=tower.code if tower and not supplier else None,
    )
