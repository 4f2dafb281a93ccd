"""An annual report in three formats: HTML (tables and inline SVG charts), CSV and JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from enum import StrEnum

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from casework.reports import charts
from casework.reports.model import (
    PLAN_GROUP_LABELS,
    RATING_ORDER,
    SERVICE_TYPE_LABELS,
    STAGE_LABELS,
    VISIT_KIND_LABELS,
    VISIT_REASON_LABELS,
    AnnualReport,
)
from casework.wording import counted


class ReportFormat(StrEnum):
    html = "html"
    csv = "csv"
    json = "json"


_LABELS = {**SERVICE_TYPE_LABELS, **VISIT_REASON_LABELS, **STAGE_LABELS, **PLAN_GROUP_LABELS}


def label(key: str) -> str:
    """A key as the report shows it: the users' words, or the key made readable."""
    return _LABELS.get(key) or key.replace("_", " ").capitalize()


def render(report: AnnualReport, fmt: ReportFormat | str) -> str:
    match ReportFormat(fmt):
        case ReportFormat.json:
            return render_json(report)
        case ReportFormat.csv:
            return render_csv(report)
        case ReportFormat.html:
            return render_html(report)


def render_json(report: AnnualReport) -> str:
    return orjson.dumps(report.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode() + "\n"


def render_csv(report: AnnualReport) -> str:
    """One figure per row: ``section, item, measure, value`` (easy to pivot in a spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "item", "measure", "value"])
    writer.writerows(_csv_rows(report))
    return out.getvalue()


def _csv_rows(r: AnnualReport) -> Iterator[tuple[str, str, str, object]]:
    yield ("period", "from", "date", r.period_from.isoformat())
    yield ("period", "to", "date", r.period_to.isoformat())
    yield ("intelligence", "logged", "records", r.intelligence_logged)
    yield ("intelligence", "actioned", "records", r.intelligence_actioned)
    yield ("visits", "total", "visits", r.visits_total)
    yield ("visits", "average per month", "visits", _blank(r.visits_per_month_average))
    yield ("visits", "assessment", "visits", r.assessment_visits)
    for kind, count in r.visits_by_kind.items():
        yield ("visits by kind", kind, "visits", count)
    for reason, count in r.visits_by_reason.items():
        yield ("visits by reason", reason, "visits", count)
    for month in r.visits_per_month:
        yield ("visits per month", month.month, "visits", month.visits)
    for row in [*r.qaf_by_service_type, r.qaf_total]:
        yield ("qaf outcomes", row.service_type, "compliant", row.compliant)
        yield ("qaf outcomes", row.service_type, "non_compliant", row.non_compliant)
        yield ("qaf outcomes", row.service_type, "percent_compliant", _blank(row.percent_compliant))
        yield ("qaf outcomes", row.service_type, "ongoing", row.ongoing)
    yield ("population", r.population, "providers", r.providers_counted)
    yield ("population", r.population, "care home beds", r.beds)
    for service, counts in r.ratings_by_service_type.items():
        for rating in (*RATING_ORDER, "not_rated"):
            yield ("cqc ratings by service type", service, rating, counts.get(rating, 0))
    profile = r.rating_profile
    for rating in RATING_ORDER:
        yield ("cqc ratings", rating, "providers", profile.counts.get(rating, 0))
        yield ("cqc ratings", rating, "percent", _blank(profile.shares[rating]))
    yield ("cqc ratings", "not yet rated", "providers", profile.not_rated)
    yield ("cqc ratings", "re-inspected", "providers", profile.reinspected)
    yield ("cqc ratings", "improved on re-inspection", "providers", profile.improved)
    yield ("cqc ratings", "improved on re-inspection", "percent", _blank(profile.percent_improved))
    for stage, count in r.sanctions_in_force.items():
        yield ("sanctions in force", stage, "providers", count)
    yield ("contracts terminated", "total", "contracts", r.contracts_terminated)
    yield ("contracts terminated", "after a 90 day final notice", "contracts",
           r.terminated_after_final_notice)
    yield ("contracts terminated", "immediately for a serious breach", "contracts", r.terminated_immediately)
    for grounds, count in r.immediate_terminations.items():
        yield ("immediate terminations by grounds", grounds, "contracts", count)
    yield ("notices to remedy breach", "open", "notices", r.notices_open)
    for key, count in r.open_action_plans_by_service_type.items():
        yield ("open action plans", key, "plans", count)
    yield ("open action plans", "total", "plans", r.open_action_plans_total)
    for key, count in r.open_action_plans_by_group.items():
        yield ("open action plans by group", key, "plans", count)
    for category, rag in r.rag_by_category.items():
        for colour, count in rag.items():
            yield ("rag by category", category, colour, count)


def _blank(value: object) -> object:
    return "" if value is None else value


_env = Environment(
    loader=PackageLoader("casework.reports", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(report: AnnualReport) -> str:
    template = _env.get_template("annual.html.j2")
    return template.render(
        r=report,
        period=f"{report.period_from:%-d %B %Y} to {report.period_to:%-d %B %Y}",
        rating_order=RATING_ORDER,
        visit_kinds=list(VISIT_KIND_LABELS.items()),
        label=label,
        counted=counted,
        pct=_pct,
        charts=_charts(report),
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _charts(r: AnnualReport) -> dict[str, object]:
    profile = r.rating_profile
    return {
        "rating_profile": charts.stacked_bar(
            [(rating, profile.counts.get(rating, 0)) for rating in RATING_ORDER],
            title=f"CQC overall ratings of {r.population_label}",
            colours=charts.RATING_COLOURS,
        ),
        "visits_by_reason": charts.bar_chart(
            [(label(k), v) for k, v in r.visits_by_reason.items()], title="Visits by reason"
        ),
        "visits_per_month": charts.column_chart(
            [(f"{m.month[5:]}/{m.month[2:4]}", m.visits) for m in r.visits_per_month],
            title="Visits per month",
        ),
        "qaf": charts.bar_chart(
            [(label(row.service_type), row.percent_compliant or 0) for row in r.qaf_by_service_type],
            title="Percentage compliant at Quality Assurance Framework assessment",
        ),
    }
