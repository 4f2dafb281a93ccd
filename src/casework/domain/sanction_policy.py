"""The council's rules for contract sanctions beyond the deadline policy: the grounds that count
as a serious breach (for immediate termination or skipping a stage), how long a proposal of
immediate termination waits for a second manager, and when a final notice has run its course.

Settings give the grounds (``CASEWORK_SERIOUS_BREACH_GROUNDS``, a JSON list) and the approval
window (``CASEWORK_TERMINATION_APPROVAL_DAYS``); the final notice's period is the deadline
policy's ``final_notice_expiry``, the same period that sets the notice's reminders and decision
deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from casework.domain.policy import Period, Timing

# Nottingham City and Leicester terminate at once only for failures like these.
DEFAULT_SERIOUS_BREACH_GROUNDS: tuple[str, ...] = (
    "serious safeguarding failure",
    "insolvency",
    "loss of CQC registration",
    "fraud",
)
DEFAULT_APPROVAL_DAYS = 7


@dataclass(frozen=True)
class SanctionPolicy:
    grounds: tuple[str, ...] = DEFAULT_SERIOUS_BREACH_GROUNDS
    approval_within: Period = Period(days=DEFAULT_APPROVAL_DAYS)
    timing: Timing = Timing()

    def notice_expires(self, issued_at: datetime) -> datetime:
        """When a 90 day final notice issued at ``issued_at`` has run its course."""
        return self.timing.after(issued_at, self.timing.policy.final_notice_expiry)

    def proposal_lapses(self, proposed_at: datetime) -> datetime:
        """When a proposal of immediate termination lapses if no second manager approved it."""
        return self.timing.after(proposed_at, self.approval_within)

    def ground(self, given: str | None) -> str | None:
        """The configured ground ``given`` names (case and spacing aside), or None."""
        wanted = " ".join((given or "").split()).casefold()
        return next((g for g in self.grounds if g.casefold() == wanted), None) if wanted else None


DEFAULT_SANCTION_POLICY = SanctionPolicy()

__all__ = ["DEFAULT_SANCTION_POLICY", "DEFAULT_SERIOUS_BREACH_GROUNDS", "SanctionPolicy"]
