"""The smaller parts of an exit pack (services, knowledge, service levels, results, credits) and their order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch, Q

from towers.contracts.models import Service, ServiceLevel, ServiceOffering
from towers.reporting.exit_attachments import AttachmentFiles, attachments_part
from towers.reporting.exit_cis import cis_part
from towers.reporting.exit_scope import PackScope, batches, services_of
from towers.reporting.exit_tickets import tickets_part
from towers.reporting.exit_writer import Part, Row
from towers.servicedesk.models import Ticket
from towers.servicedesk.search import articles_readable
from towers.sla.models import CreditLine, CreditRun, ServiceLevelResult


def _code(obj: Any) -> str | None:
    return getattr(obj, "code", None) if obj is not None else None


SERVICE_COLUMNS = (
    ("id", "the service's UUID"), ("code", "its code"), ("name", "its name"), ("category", "its category"),
    ("tower", "its tower (code)"), ("owner", "the accountable organisation (code)"), ("is_active", "in the catalogue"),
    ("offerings", "its offerings as JSON [{code, name, supplier}]"),
)  # fmt: skip


def _services(scope: PackScope) -> Iterator[Row]:
    offerings = Prefetch("offerings", ServiceOffering.objects.select_related("supplier").order_by("code"))
    services = scope.within(Service.objects.filter(pk__in=services_of(scope.supplier).values("pk")))
    for batch in batches(services.select_related("tower", "owner").prefetch_related(offerings), key="code"):
        for service in batch:
            flat = {
                "id": service.id, "code": service.code, "name": service.name, "category": service.category,
                "tower": _code(service.tower), "owner": _code(service.owner), "is_active": service.is_active,
                "offerings": [{"code": o.code, "name": o.name, "supplier": _code(o.supplier)}
                              for o in service.offerings.all()],
            }  # fmt: skip
            yield {**flat, "description": service.description}, flat


ARTICLE_COLUMNS = (
    ("id", "the article's UUID"), ("number", "KB…"), ("title", "its title"), ("status", "draft, published or retired"),
    ("audience", "everyone or internal"), ("service", "the service it is about (code)"),
    ("organisation", "the authoring organisation (code)"), ("author", "who wrote it"),
    ("problem", "the problem it explains (reference)"), ("published_at", "when it was published"),
    ("updated_at", "when it last changed"), ("version", "its version"), ("body", "its text"),
)  # fmt: skip


def _articles(scope: PackScope) -> Iterator[Row]:
    about = Q(organisation=scope.supplier) | Q(service__in=services_of(scope.supplier).values("pk"))
    readable = articles_readable(actor=scope.readers[0]).filter(about)
    for reader in scope.readers[1:]:
        readable = readable.filter(pk__in=articles_readable(actor=reader).values("pk"))
    problems = scope.within(Ticket.objects.all()).values("pk")
    rows = readable.select_related("organisation", "service", "problem")
    for batch in batches(rows, key="number"):
        shown = set(problems.filter(pk__in=[a.problem_id for a in batch if a.problem_id]).values_list("pk", flat=True))
        for article in batch:
            flat = {
                "id": article.id, "number": article.number, "title": article.title, "status": article.status,
                "audience": article.audience, "service": _code(article.service),
                "organisation": _code(article.organisation), "author": article.author,
                "problem": article.problem.reference if article.problem and article.problem_id in shown else None,
                "published_at": article.published_at, "updated_at": article.updated_at, "version": article.version,
                "body": article.body,
            }  # fmt: skip
            yield {**flat, "created_at": article.created_at}, flat


LEVEL_COLUMNS = (
    ("id", "the service level's UUID"), ("code", "its code"), ("name", "its name"), ("kind", "sla, ola or uc"),
    ("contract", "its contract (reference)"), ("service", "the service (code)"),
    ("provider", "who provides it (code)"), ("customer", "who receives it (code)"),
    ("metric", "response, resolution, availability or kpi"), ("priority", "P1–P4, or blank for every other"),
    ("target_seconds", "business time allowed"), ("calendar", "the calendar its clock runs on (code)"),
    ("performance_measure", "% of records that must meet the target, or the % to reach"),
    ("threshold", "below it: a critical service level failure"), ("higher_is_better", "direction of the measure"),
    ("pause_states", "states that pause the clock, as JSON"), ("point_bands", "MSC bands, as JSON"),
    ("is_active", "in force"),
)  # fmt: skip


def levels_of(scope: PackScope) -> Any:
    supplier = scope.supplier
    return scope.within(ServiceLevel.objects.filter(Q(provider=supplier) | Q(customer=supplier)))


def _levels(scope: PackScope) -> Iterator[Row]:
    levels = levels_of(scope).select_related("contract", "service", "provider", "customer", "calendar")
    for batch in batches(levels, key="code"):
        for level in batch:
            flat = {
                "id": level.id, "code": level.code, "name": level.name, "kind": level.kind,
                "contract": level.contract.reference if level.contract else None, "service": _code(level.service),
                "provider": _code(level.provider), "customer": _code(level.customer), "metric": level.metric,
                "priority": level.priority, "target_seconds": level.target.total_seconds() if level.target else None,
                "calendar": _code(level.calendar), "performance_measure": level.performance_measure,
                "threshold": level.threshold, "higher_is_better": level.higher_is_better,
                "pause_states": level.pause_states, "point_bands": level.point_bands, "is_active": level.is_active,
            }  # fmt: skip
            yield flat, flat


RESULT_COLUMNS = (
    ("id", "the result's UUID"), ("service_level", "the service level (code)"), ("name", "its name"),
    ("kind", "sla, ola or uc"), ("provider", "who provides it (code)"), ("period", "first day of the period"),
    ("actual", "what was achieved (%, or the KPI's value)"), ("performance_measure", "what was promised"),
    ("measured", "records measured"), ("met", "records that met the target"),
    ("source", "computed from records, or reported"),
)  # fmt: skip


def _results(scope: PackScope) -> Iterator[Row]:
    results = scope.within(
        ServiceLevelResult.objects.filter(Q(service_level__in=levels_of(scope).values("pk")) & scope.dates("period"))
    ).select_related("service_level__provider")
    for batch in batches(results):
        for result in batch:
            level = result.service_level
            flat = {
                "id": result.id, "service_level": level.code, "name": level.name, "kind": level.kind,
                "provider": _code(level.provider), "period": result.period, "actual": result.actual,
                "performance_measure": level.performance_measure, "measured": result.measured, "met": result.met,
                "source": result.source,
            }  # fmt: skip
            yield {**flat, "evidence": result.evidence}, flat


CREDIT_COLUMNS = (
    ("run", "the credit run's UUID"), ("contract", "the contract (reference)"), ("period", "first day of the period"),
    ("regime", "ccs or msc"), ("is_current", "false once a re-run superseded it"),
    ("charges", "the period's charges"), ("run_total", "the run's credit after the cap"),
    ("cap_reduction", "what the cap took off"), ("critical_failures", "critical service level failures"),
    ("line", "the line's UUID (blank for a run without lines)"), ("service_level", "its service level (code)"),
    ("kind", "the line's kind"), ("percent", "its percentage"), ("points", "its service points"),
    ("amount", "its amount"),
)  # fmt: skip


def _credits(scope: PackScope) -> Iterator[Row]:
    lines = Prefetch("lines", CreditLine.objects.select_related("service_level").order_by("kind", "pk"))
    runs = scope.within(CreditRun.objects.filter(Q(supplier=scope.supplier) & scope.dates("period")))
    for batch in batches(runs.select_related("contract").prefetch_related(lines)):
        for run in batch:
            head = {
                "run": run.id, "contract": run.contract.reference, "period": run.period, "regime": run.regime,
                "is_current": run.is_current, "charges": run.charges, "run_total": run.total,
                "cap_reduction": run.cap_reduction, "critical_failures": run.critical_failures,
            }  # fmt: skip
            items = [
                {"line": line.id, "service_level": _code(line.service_level), "kind": line.kind,
                 "percent": line.percent, "points": line.points, "amount": line.amount, "evidence": line.evidence}
                for line in run.lines.all()
            ]  # fmt: skip
            obj: dict[str, Any] | None = {**head, "created_at": run.created_at, "summary": run.summary, "lines": items}
            for item in items or [{}]:
                yield obj, {**head, **{k: v for k, v in item.items() if k != "evidence"}}
                obj = None  # the run's object is written once, beside its first line


def all_parts(scope: PackScope, files: AttachmentFiles) -> list[Part]:
    """`files`: where the attachments part streams the attached files (into the pack's ZIP)."""
    return [
        tickets_part(scope),
        attachments_part(scope, files),
        cis_part(scope),
        Part("services", "Services", "Catalogue services the supplier owns or delivers an offering of.",
             SERVICE_COLUMNS, lambda: _services(scope)),
        Part("knowledge", "Knowledge articles",
             "Articles the supplier wrote, and articles about its services (drafts only the supplier's own).",
             ARTICLE_COLUMNS, lambda: _articles(scope)),
        Part("service_levels", "Service levels",
             "SLAs, OLAs and UCs the supplier provides or receives.", LEVEL_COLUMNS, lambda: _levels(scope)),
        Part("results", "Service level results",
             "How each of those service levels did per period; results.jsonl adds each result's evidence.",
             RESULT_COLUMNS, lambda: _results(scope)),
        Part("credits", "Service credits",
             "Credit runs of the supplier's contracts, one CSV row per ledger line; credits.jsonl holds one object "
             "per run with its summary and lines. Commercial: only in packs whose requester may see them.",
             CREDIT_COLUMNS, lambda: _credits(scope)),
    ]  # fmt: skip
