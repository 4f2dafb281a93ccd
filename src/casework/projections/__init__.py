"""Read models: pure folds of the event log, the runner that stores them, and their queries.

Queries (``source`` is a Connection, an Engine or the Casework container):

    provider_view(source, provider_id, happened_at=None, known_at=None) -> ProviderView | None
    list_providers(source, q=None, service_type=None, stage=None, rag=None, sort="risk")
    risk_matrix(source, provider_id, happened_at=None, known_at=None) -> RiskMatrix | None
    ranked_providers(source) -> list[ProviderView]                      (visit planning order)
    triage_inbox(source, TriageFilters(...) | state=, provider_id=, assigned_to=, overdue=)
    statistics(source, from_date, to_date) -> Statistics
    history(source, provider_id, happened_at=None, known_at=None, order="happened")
        -> ProviderHistory | None                                       (the auditor's replay)

``happened_at``: as it happened at that instant (events that occurred by then, whenever
recorded); ``known_at``: as known at it (events recorded by then; ``as_of`` is its older name);
both together or neither (now). ``narrative.describe(entry, names)`` words each history entry.

The runner over them is built by ``casework.bootstrap`` (``read_models`` lists every one).
"""

from __future__ import annotations

from casework.projections.history import HistoryEntry, ProviderHistory, history
from casework.projections.provider_view import (
    ProviderView,
    ProviderViewProjection,
    list_providers,
    provider_view,
    ranked_providers,
    risk_matrix,
)
from casework.projections.registry import Registry
from casework.projections.risk_matrix import Criterion, RiskMatrix
from casework.projections.runner import ProjectionHalted, ProjectionRunner, ProjectionStatus
from casework.projections.statistics import Statistics, StatisticsProjection, statistics
from casework.projections.triage import TriageFilters, TriageItem, TriageProjection, triage_inbox

__all__ = [
    "Criterion",
    "HistoryEntry",
    "ProjectionHalted",
    "ProjectionRunner",
    "ProjectionStatus",
    "ProviderHistory",
    "ProviderView",
    "ProviderViewProjection",
    "Registry",
    "RiskMatrix",
    "Statistics",
    "StatisticsProjection",
    "TriageFilters",
    "TriageProjection",
    "TriageItem",
    "history",
    "list_providers",
    "provider_view",
    "ranked_providers",
    "risk_matrix",
    "statistics",
    "triage_inbox",
]
