"""Long-running workflows with deadlines: contract escalation, notices to remedy breach, the
provider failure procedure and service levels; deadline derivation and exactly-once firing.

Nothing runs on import. Public names:
- state machines: ``escalation``, ``notices``, ``provider_failure`` modules (decide/evolve/replay,
  commands, ``ESCALATION.allowed_actions(stage)``, ``closed_to_new_placements(stage)``)
- ``DeadlinePolicy``, ``load_policy``, ``WorkingCalendar``
- ``Deadline``, ``derive`` (events + policy -> book of pending/cancelled/fired deadlines)
- ``DeadlineScheduler`` (``fire_due(now)``, ``start()``, ``shutdown()``)
- ``DeadlineProjection``, ``pending_deadlines(source, before, provider_id)``,
  ``fired_alerts(source, provider_id, since)``
"""

from casework.workflows.deadline_projection import DeadlineProjection, fired_alerts, pending_deadlines
from casework.workflows.deadlines import Deadline, DeadlineBook, DeadlineKind, DeadlineRecord, derive
from casework.workflows.policy import DEFAULT_POLICY, DeadlinePolicy, Period, load_policy
from casework.workflows.scheduler import DeadlineScheduler, FiringReport
from casework.workflows.working_days import ENGLAND, WorkingCalendar

__all__ = [
    "DEFAULT_POLICY",
    "ENGLAND",
    "Deadline",
    "DeadlineBook",
    "DeadlineKind",
    "DeadlinePolicy",
    "DeadlineProjection",
    "DeadlineRecord",
    "DeadlineScheduler",
    "FiringReport",
    "Period",
    "WorkingCalendar",
    "derive",
    "fired_alerts",
    "load_policy",
    "pending_deadlines",
]
