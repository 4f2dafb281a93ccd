"""Read models: pure folds of the event log, the runner that stores them, and their queries.

Queries (``source`` is a Connection, an Engine or the Casework container):

    provider_view(source, provider_id, as_of=None) -> ProviderView | None
    list_providers(source, q=None, service_type=None, stage=None, rag=None, sort="risk")
    risk_matrix(source, provider_id, as_of=None) -> RiskMatrix | None   (ten criteria, score)
    ranked_providers(source) -> list[ProviderView]                      (visit planning order)
    triage_inbox(source, TriageFilters(...) | state=, provider_id=, assigned_to=, overdue=)
    statistics(source, from_date, to_date) -> Statistics
    history(source, provider_id, as_of=None) -> ProviderHistory | None  (the auditor's replay)

``wire_projections(cw)`` (called by bootstrap) registers this package's projections, builds
``cw.projections`` (a ProjectionRunner over every registered projection) and hooks it on
``cw.store.listeners``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from casework.projections.history import HistoryEntry, ProviderHistory, history
from casework.projections.parallel import Spawn
from casework.projections.provider_view import (
    ProviderView,
    ProviderViewProjection,
    list_providers,
    provider_view,
    ranked_providers,
    risk_matrix,
)
from casework.projections.registry import REGISTRY, Registry, register
from casework.projections.risk_matrix import Criterion, RiskMatrix
from casework.projections.runner import ProjectionHalted, ProjectionRunner, ProjectionStatus
from casework.projections.statistics import Statistics, StatisticsProjection, statistics
from casework.projections.triage import TriageFilters, TriageItem, TriageProjection, triage_inbox

if TYPE_CHECKING:
    from casework.bootstrap import Casework


def wire_projections(cw: Casework, *, catch_up: bool = True) -> ProjectionRunner:
    """Register the read models, build the runner, follow appends in-process, catch up once
    (unless ``catch_up`` is False: a rebuild is about to replace them)."""
    REGISTRY.register(ProviderViewProjection())
    REGISTRY.register(TriageProjection(cw.policy))
    REGISTRY.register(StatisticsProjection())
    runner = ProjectionRunner(
        cw.engine, cw.clock, REGISTRY, poll_seconds=cw.settings.projection_poll_seconds
    )
    # A rebuild may share the work among processes that bootstrap from the same settings.
    runner.spawn = Spawn(cw.settings, cw.clock)
    runner.rebuild_workers = cw.settings.rebuild_workers or os.cpu_count() or 1
    cw.store.listeners.append(runner.on_appended)
    if catch_up:
        runner.catch_up()
    return runner


__all__ = [
    "REGISTRY",
    "Criterion",
    "HistoryEntry",
    "ProjectionHalted",
    "ProjectionRunner",
    "ProjectionStatus",
    "ProviderHistory",
    "ProviderView",
    "Registry",
    "RiskMatrix",
    "Statistics",
    "TriageFilters",
    "TriageItem",
    "history",
    "list_providers",
    "provider_view",
    "ranked_providers",
    "register",
    "risk_matrix",
    "statistics",
    "triage_inbox",
    "wire_projections",
]
