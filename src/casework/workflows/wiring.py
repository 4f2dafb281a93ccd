"""Wiring the workflows into the Casework container (called once from ``bootstrap``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casework.projections.registry import REGISTRY
from casework.workflows.aggregates import workflow_aggregates
from casework.workflows.deadline_projection import DeadlineProjection
from casework.workflows.policy import load_policy
from casework.workflows.scheduler import DeadlineScheduler

if TYPE_CHECKING:
    from casework.bootstrap import Casework


def wire_workflows(cw: Casework) -> None:
    """Load the council's deadline policy, build the (stopped) deadline scheduler and register
    the deadline read model; register the escalation, notice and provider-failure aggregates with
    the Application. ``serve`` calls ``cw.scheduler.start()`` / ``shutdown()``."""
    cw.policy = load_policy(cw.settings.deadline_policy_file)
    cw.scheduler = DeadlineScheduler(
        cw.store, cw.clock, cw.policy, interval_seconds=cw.settings.scheduler_interval_seconds
    )
    REGISTRY.register(DeadlineProjection(cw.policy))
    application = getattr(cw, "application", None)
    if application is not None:
        for aggregate in workflow_aggregates():
            application.register(aggregate)
