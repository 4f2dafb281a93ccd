"""Deadlines and the workflows that keep them: which events set, resolve and fire deadlines
(contract escalation, notices to remedy breach, the provider failure procedure, intelligence
service levels, action-plan items), the deadline read model, and exactly-once firing.

The state machines themselves are aggregates in ``casework.domain`` (``escalation``,
``notices``, ``provider_failure``); the council's periods are ``casework.domain.policy``.

Nothing runs on import. Public names:
- ``Deadline``, ``DeadlineKind``, ``DeadlineBook``, ``DeadlineRecord`` (``workflows.deadlines``)
- ``RULES``, ``effects_of``, ``derive`` (``workflows.rulebook``: every rule, listed once)
- ``DeadlineProjection``, ``pending_deadlines(db, before, provider_id, source)``,
  ``fired_alerts(db, provider_id, since)``, ``catch_up_with(runner)``
  (``workflows.deadline_calendar``: the one fold of deadlines the running system keeps)
- ``DeadlineScheduler`` (``fire_due(now)``, ``start()``, ``shutdown()``: fires from that read
  model), ``DeadlinesBehind``
"""

from casework.workflows.deadline_calendar import (
    DeadlineProjection,
    catch_up_with,
    fired_alerts,
    pending_deadlines,
)
from casework.workflows.deadlines import Deadline, DeadlineBook, DeadlineKind, DeadlineRecord
from casework.workflows.rulebook import RULES, derive, effects_of
from casework.workflows.scheduler import DeadlinesBehind, DeadlineScheduler, FiringReport

__all__ = [
    "RULES",
    "Deadline",
    "DeadlineBook",
    "DeadlineKind",
    "DeadlineProjection",
    "DeadlineRecord",
    "DeadlineScheduler",
    "DeadlinesBehind",
    "FiringReport",
    "catch_up_with",
    "derive",
    "effects_of",
    "fired_alerts",
    "pending_deadlines",
]
