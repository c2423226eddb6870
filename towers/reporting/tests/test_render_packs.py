"""Hand-built service review packs for the render tests: one supplier's month with every part filled, and an
empty one. The renderers only read a ServicePack, so no database is needed."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal as D

from towers.reporting.pack import (
    AgeBand,
    Attainment,
    Breach,
    CommercialLine,
    Figure,
    MajorIncident,
    Section,
    Series,
    ServicePack,
)

MONTH = date(2026, 10, 1)
TWELVE_MONTHS = tuple(date(2025 + (m + 10) // 12, (m + 10) % 12 + 1, 1) for m in range(12))


def _series(label: str, values: list[int | D], unit: str = "") -> Series:
    return Series(label=label, points=tuple(zip(TWELVE_MONTHS, values, strict=True)), unit=unit)


def _decimals(values: str) -> list[int | D]:
    return [D(v) for v in values.split(" ")]


def breach(n: int, *, reason: str = "Awaiting the caller's confirmation for 2 days") -> Breach:
    return Breach(
        reference=f"INC{n:07d}",
        title=f"Custody suite printer offline at station {n}",
        priority="P2",
        service="End-user computing",
        level="P2 resolution (8 business hours)",
        holder="Northgate Infrastructure",
        overdue_hours=D("3.5") + n % 7,
        reason=reason,
        link=f"/servicedesk/incidents/INC{n:07d}/",
    )


def supplier_pack(*, breaches: int = 3) -> ServicePack:
    return ServicePack(
        month=MONTH,
        supplier="northgate",
        supplier_name="Northgate Infrastructure Ltd",
        generated_at="2026-11-02T08:15:00+00:00",
        generated_for="Alex Morgan (Authority)",
        sections=(
            Section(
                key="volumes",
                title="Volumes",
                figures=(
                    Figure("Incidents opened", 1204, previous=1150, link="/servicedesk/incidents/?month=2026-10"),
                    Figure("Incidents resolved", 1187, previous=1201),
                    Figure("Requests opened", 3310, previous=None),
                ),
            ),
            Section(
                key="resolution",
                title="Resolution",
                note="Business hours, Europe/London calendar.",
                figures=(
                    Figure("First-time fix", D("72.4"), unit="%", previous=D("70.1")),
                    Figure("Mean time to resolve", D("6.25"), unit="h", previous=D("7.5")),
                    Figure("Ping-pong hand-offs", 17, previous=17),
                ),
            ),
            Section(key="security", title="Security cases", figures=(Figure("MTTD", None, unit="h"),)),
        ),
        attainment=(
            Attainment(
                "End-user computing",
                "P1",
                "P1 resolution",
                "sla",
                "Northgate Infrastructure Ltd",
                40,
                39,
                D("95"),
                D("97.5"),
                False,
            ),
            Attainment(
                "End-user computing",
                "P2",
                "P2 resolution (8 business hours)",
                "sla",
                "Northgate Infrastructure Ltd",
                310,
                280,
                D("95"),
                D("90.32"),
                True,
            ),
            Attainment(
                "Hosting",
                "P1",
                "Availability",
                "sla",
                "Northgate Infrastructure Ltd",
                1,
                1,
                D("99.95"),
                D("100"),
                False,
            ),
            Attainment("Network", "P3", "Third-party fix", "uc", "Openreach", 0, 0, D("90"), None, False),
        ),
        breaches=tuple(breach(n) for n in range(1, breaches + 1)),
        trends=(
            _series("Incidents opened", [980, 1010, 1100, 1050, 990, 1020, 1080, 1120, 1090, 1130, 1150, 1204]),
            _series("SLA attainment", _decimals("96 95.5 97 96.2 94 95 96 97.1 96.4 95.2 94.8 93.9"), unit="%"),
            _series("Mean time to resolve", _decimals("8 7.5 7.9 7.2 7 6.8 7.1 7.4 7.6 7.3 7.5 6.25"), unit="h"),
        ),
        backlog_ageing=(
            AgeBand("< 1 day", 120),
            AgeBand("1–3 days", 64),
            AgeBand("3–7 days", 31),
            AgeBand("7–30 days", 12),
            AgeBand("> 30 days", 3),
        ),
        major_incidents=(
            MajorIncident("INC0009001", "Airwave control room outage", date(2026, 10, 7), date(2026, 10, 7), D("3.75")),
            MajorIncident("INC0009002", "Custody records system slow", date(2026, 10, 30), None, None),
        ),
        commercial=(
            CommercialLine("CT-2024-INFRA", "Northgate Infrastructure Ltd", D("12500.50"), False, D("87.5"), True),
            CommercialLine("CT-2024-NET", "Northgate Infrastructure Ltd", None, True, None, None),
        ),
        notes=("No security cases for this supplier.",),
    )


def empty_pack() -> ServicePack:
    return ServicePack(
        month=MONTH,
        supplier=None,
        supplier_name="",
        generated_at="2026-11-02T08:15:00+00:00",
        generated_for="Sam Patel (Integrator)",
    )


def test_supplier_pack_fills_every_part_so_the_render_tests_see_each_one() -> None:
    pack = supplier_pack()
    empty = [f.name for f in fields(pack) if not getattr(pack, f.name)]
    assert empty == ["tower"]  # a supplier's pack names no tower
    assert any(a.breached for a in pack.attainment) and any(a.attained_percent is None for a in pack.attainment)
