"""The annual quality report's figures for any period, from the statistics read model."""

from __future__ import annotations

from datetime import date
from typing import Any

from casework.projections.statistics import Population, Statistics, statistics
from casework.reports.model import (
    RATING_ORDER,
    SERVICE_TYPE_LABELS,
    AnnualReport,
    MonthCount,
    QafRow,
    RatingProfile,
)

# The statistics read model's rating values -> the words the report prints.
_RATING_WORDS = dict(
    zip(("outstanding", "good", "requires_improvement", "inadequate"), RATING_ORDER, strict=True)
)


def annual_report(
    cw: Any, period_from: date, period_to: date, population: Population = Population.contracted
) -> AnnualReport:
    """Catch the read models up with the log, then take the period's figures from them: of the
    council's contracted providers, or of every provider known (``Population.all``)."""
    if period_to < period_from:
        raise ValueError(f"the period ends ({period_to}) before it starts ({period_from})")
    runner = getattr(cw, "projections", None)
    if runner is not None:
        runner.catch_up()
    return from_statistics(statistics(cw, period_from, period_to, population), cw.settings.council_name)


def from_statistics(stats: Statistics, council: str) -> AnnualReport:
    order = list(SERVICE_TYPE_LABELS)
    qaf = sorted(
        stats.qaf_by_service_type.items(),
        key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order),
    )
    profile = stats.cqc_ratings
    return AnnualReport(
        council=council,
        period_from=stats.period_from,
        period_to=stats.period_to,
        intelligence_logged=stats.intelligence_logged,
        intelligence_actioned=stats.intelligence_actioned,
        visits_total=stats.visits_total,
        visits_by_kind=stats.visits_by_kind,
        visits_by_reason=stats.visits_by_reason,
        visits_per_month=[
            MonthCount(month=m, visits=stats.visits_per_month.get(m, 0))
            for m in months(stats.period_from, stats.period_to)
        ],
        qaf_by_service_type=[
            QafRow(service_type=s, compliant=q.compliant, non_compliant=q.non_compliant, ongoing=q.ongoing)
            for s, q in qaf
        ],
        rating_profile=RatingProfile(
            counts={_RATING_WORDS[k]: v for k, v in profile.counts.items() if k in _RATING_WORDS},
            not_rated=profile.not_rated,
            reinspected=profile.reinspected,
            improved=profile.improved,
        ),
        sanctions_in_force=stats.sanctions_in_force,
        contracts_terminated=stats.contracts_terminated,
        immediate_terminations=stats.immediate_terminations,
        notices_open=stats.notices_open,
        open_action_plans_by_service_type=stats.open_action_plans_by_service_type,
        open_action_plans_by_group=stats.open_action_plans_by_group,
        rag_by_category=stats.rag_by_category,
        ratings_by_service_type={
            service: {_RATING_WORDS.get(k, k): n for k, n in counts.items()}
            for service, counts in profile.by_service_type.items()
        },
        beds_by_service_type=stats.beds_by_service_type,
        population=stats.population.value,
        providers_counted=stats.providers_counted,
        beds=stats.beds,
    )


def months(period_from: date, period_to: date) -> list[str]:
    """Every calendar month the period touches, as yyyy-mm."""
    found, year, month = [], period_from.year, period_from.month
    while (year, month) <= (period_to.year, period_to.month):
        found.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found
