"""The credits statement as CSV: one line per ledger line, with the figures behind it."""

import csv
import io

from towers.sla.models import CreditRun

COLUMNS = ["contract", "supplier", "period", "service_level", "kind", "percent", "points", "amount", "explanation"]


def credit_statement_csv(run: CreditRun) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for line in run.lines.all():
        writer.writerow(
            [
                run.contract.reference,
                run.supplier.name,
                f"{run.period:%Y-%m}",
                line.service_level.code if line.service_level else "",
                line.kind,
                "" if line.percent is None else line.percent,
                "" if line.points is None else line.points,
                line.amount,
                line.evidence.get("formula", ""),
            ]
        )
    writer.writerow(
        [run.contract.reference, run.supplier.name, f"{run.period:%Y-%m}", "", "total", "", "", run.total, ""]
    )
    return out.getvalue()
