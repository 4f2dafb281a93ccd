"""The dashboard: the team's figures for a chosen period as charts (Chart.js, vendored) each
with its data table, the providers ranked by risk, and the deadlines of the next 30 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from casework.domain.periods import ReportingPeriod, financial_year, quarters
from casework.projections.provider_view import ranked_providers
from casework.projections.statistics import (
    RATING_ORDER,
    Population,
    Statistics,
    activity_span,
    statistics,
)
from casework.reports.charts import colour_of
from casework.web.filters import LOCAL, label
from casework.web.forms import calendar_day
from casework.web.page import Page, signed_in
from casework.wording import counted
from casework.workflows.deadline_calendar import fired_alerts, pending_deadlines

router = APIRouter()

UPCOMING_DAYS = 30
RECENT_DAYS = 14  # alerts fired and reminders sent in this many days are listed
RECENT_ROWS = 25
RANKED = 15


@dataclass(frozen=True)
class Chart:
    """A chart and its table: ``rows`` of (label, values), one value per series."""

    ident: str
    title: str
    kind: str  # "bar" (one series per column) or "stacked"
    series: list[str]
    rows: list[tuple[str, list[int]]]
    note: str = ""

    @property
    def total(self) -> int:
        return sum(sum(values) for _, values in self.rows)

    @property
    def colours(self) -> list[str]:
        """One colour per series (per row for a one-series chart), from the one table of colours
        (casework.reports.charts): red, amber and green for RAG ratings only."""
        if len(self.series) == 1:  # bars named on their axis: one colour, unless RAG or a rating
            return [colour_of(name, 0) for name, _ in self.rows]
        return [colour_of(name, i) for i, name in enumerate(self.series)]


def default_period(today: date, activity: tuple[date, date] | None) -> ReportingPeriod:
    """The latest financial year in which the team did casework (the current one, so far, when
    it has done none yet or is doing it now): a period that shows something."""
    year = financial_year(activity[1] if activity else today)
    return ReportingPeriod(year.first, min(year.last, today), year.name)


def presets(today: date, activity: tuple[date, date] | None) -> list[ReportingPeriod]:
    """Financial years to choose from, newest first: the current one, then each from the last
    with casework back to the first."""
    years = [financial_year(today)]
    if activity:
        day = financial_year(activity[1]).first
        while day >= financial_year(activity[0]).first:
            if day < years[0].first:
                years.append(financial_year(day))
            day = date(day.year - 1, day.month, day.day)
    return years


def _period(default: ReportingPeriod, today: date, start: str, end: str) -> tuple[date, date, str]:
    try:
        first = calendar_day(start) if start else default.first
        last = calendar_day(end) if end else (today if start else default.last)
    except ValueError as exc:
        return default.first, default.last, f"{exc} Showing {default.name}."
    if first > last:
        return last, first, "The period ran backwards: the dates have been swapped."
    return first, last, ""


def _single(ident: str, title: str, counts: dict[str, int], series: str, note: str = "") -> Chart:
    rows = [(label(k), [v]) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])]
    return Chart(ident, title, "bar", [series], rows, note)


def charts_of(s: Statistics) -> list[Chart]:
    qaf = [
        (label(kind), [o.compliant, o.non_compliant, o.ongoing])
        for kind, o in sorted(s.qaf_by_service_type.items())
    ]
    rag_order = ("red", "amber", "green")
    rag = [
        (label(cat), [counts.get(r, 0) for r in rag_order])
        for cat, counts in sorted(s.rag_by_category.items())
    ]
    return [
        Chart("intelligence", "Intelligence logged and actioned", "bar", ["Records"], [
            ("Logged", [s.intelligence_logged]), ("Required action", [s.intelligence_actioned]),
        ]),
        _single("visits", "Visits by reason", s.visits_by_reason, "Visits",
                note=f"{counted(s.visits_total, 'visit')} completed in the period."),
        Chart("qaf", "Assessment outcomes by service type", "stacked",
              ["Compliant", "Non-compliant", "Ongoing"], qaf),
        Chart("rag", "Visit RAG by client category", "stacked", ["Red", "Amber", "Green"], rag),
        _single("sanctions", "Sanctions in force at the end of the period", s.sanctions_in_force,
                "Providers", note=f"{counted(s.notices_open, 'notice')} to remedy breach open."),
        _single("plans", "Open action plans by service type", s.open_action_plans_by_service_type,
                "Action plans"),
        _cqc_chart(s),
    ]


def _cqc_chart(s: Statistics) -> Chart:
    """The CQC rating profile of the population's providers at the period's end, by service
    type, with their beds."""
    keys = [*RATING_ORDER, "not_rated"]
    by_type = s.cqc_ratings.by_service_type
    rows = [(label(kind), [counts.get(k, 0) for k in keys]) for kind, counts in sorted(by_type.items())]
    counted = sum(s.cqc_ratings.counts.values())
    shares = ", ".join(
        f"{label(k)} {100 * n / counted:.1f} %" for k, n in s.cqc_ratings.counts.items() if counted
    )
    beds = f" {s.beds:,} beds in care homes." if s.beds else ""
    note = (f"Latest overall rating of {counted:,} rated providers: {shares}." if counted
            else "No CQC ratings recorded.") + beds
    return Chart("cqc", f"CQC ratings of {s.population.label}", "stacked",
                 [label(k) for k in keys], rows, note)


@router.get("/dashboard")
def dashboard(
    start: str = "", end: str = "", population: str = "", p: Page = Depends(signed_in)
) -> Response:
    cw = p.casework
    now = cw.clock.now()
    today = now.astimezone(LOCAL).date()
    activity = activity_span(cw, today)
    default = default_period(today, activity)
    first, last, problem = _period(default, today, start, end)
    year = financial_year(first)
    whose = Population(population) if population in set(Population) else Population.contracted
    stats = statistics(cw, first, last, whose)
    pending = pending_deadlines(cw, before=now + timedelta(days=UPCOMING_DAYS))
    # Past-due ones have not fired yet (the scheduler fires them); listed apart, latest first.
    upcoming = [d for d in pending if d.due_at >= now]
    past_due = sorted((d for d in pending if d.due_at < now), key=lambda d: d.due_at, reverse=True)
    ranked = ranked_providers(cw, now=now)
    # What fired and which reminders went in the last RECENT_DAYS days, with who owned each.
    recent = fired_alerts(cw, since=now - timedelta(days=RECENT_DAYS), reminders=True)[:RECENT_ROWS]
    return p.render(
        "dashboard.html",
        page_title="Dashboard",
        period_from=first,
        period_to=last,
        period_problem=problem,
        default_period=default if not (start or end) else None,
        years=presets(today, activity),
        quarters=[q for q in quarters(year) if q.first <= today],
        quarters_of=year.name,
        stats=stats,
        populations=list(Population),
        charts=charts_of(stats),
        ranked=ranked[:RANKED],
        upcoming=upcoming,
        past_due=past_due,
        provider_names={v.id: v.name for v in ranked},
        upcoming_days=UPCOMING_DAYS,
        recent_alerts=recent,
        recent_days=RECENT_DAYS,
        now=now,
    )
