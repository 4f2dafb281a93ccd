"""Deadlines and the workflows that keep them: which events set, resolve and fire deadlines
(contract escalation, notices to remedy breach, the provider failure procedure, intelligence
service levels, action-plan items), the deadline read model, and exactly-once firing.

The state machines themselves are aggregates in ``casework.domain`` (``escalation``,
``notices``, ``provider_failure``); the council's periods are ``casework.domain.policy``.

Nothing runs on import. Public names:
- ``Deadline``, ``DeadlineKind``, ``DeadlineBook``, ``DeadlineRecord`` (``workflows.deadlines``)
- ``RULES``, ``effects_of``, ``derive`` (``workflows.rulebook``: every rule, listed once)
- ``DeadlineProjection``, ``pending_deadlines(source, before, provider_id)``,
  ``fired_alerts(source, provider_id, since)`` (``workflows.deadline_calendar``)
- ``DeadlineScheduler`` (``fire_due(now)``, ``start()``, ``shutdown()``)
"""

from casework.workflows.deadline_calendar import DeadlineProjection, fired_alerts, pending_deadlines
from casework.workflows.deadlines import Deadline, DeadlineBook, DeadlineKind, DeadlineRecord
from casework.workflows.rulebook import RULES, derive, effects_of
from casework.workflows.scheduler import DeadlineScheduler, FiringReport

__all__ = [
    "RULES",
    "Deadline",
    "DeadlineBook",
    "DeadlineKind",
    "DeadlineProjection",
    "DeadlineRecord",
    "DeadlineScheduler",
    "FiringReport",
    "derive",
    "effects_of",
    "fired_alerts",
    "pending_deadlines",
]
