"""The council's deadline policy: how long each stage, notice and service level gives.

Defaults come from spec/domain.md; a council overrides any of them in a JSON file named by
``CASEWORK_DEADLINE_POLICY_FILE`` (see ``load_policy``). Changing the policy changes deadlines
derived on the next rebuild, since every deadline is computed from events plus this policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from casework.domain.working_days import ENGLAND, WorkingCalendar
from casework.files import MIB, read_text_within


class Period(BaseModel):
    """A length of time: calendar days, or working days (weekends and bank holidays skipped)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int = Field(ge=0)
    working_days: bool = False


def _reminders(*days: int) -> list[int]:
    return list(days)


class DeadlinePolicy(BaseModel):
    """Every period the workflows use. Reminders are days before the due date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Local time decides what "a day" is: dates roll over at midnight in this zone.
    timezone: str = "Europe/London"

    # Contract compliance escalation
    improvement_plan_due: Period = Period(days=14)
    requirement_to_improve_review: Period = Period(days=28)
    suspension_review_every: Period = Period(days=28)
    final_notice_expiry: Period = Period(days=90)
    final_notice_reminders: list[int] = Field(default_factory=lambda: _reminders(30, 14, 7))

    # Notice To Remedy Breach: due on the date it names; optional reminders before it.
    remedy_notice_reminders: list[int] = Field(default_factory=list)

    # Provider failure procedure
    strategy_meeting_due: Period = Period(days=2, working_days=True)
    contingency_review_every: Period = Period(days=7)

    # Intelligence service levels
    intelligence_allocation: Period = Period(days=1, working_days=True)
    intelligence_risk_assessment: Period = Period(days=2, working_days=True)
    high_risk_first_action: Period = Period(days=1, working_days=True)

    # Action plan items: reminders before the due date; overdue on the day.
    action_item_reminders: list[int] = Field(default_factory=lambda: _reminders(7))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @field_validator("final_notice_reminders", "remedy_notice_reminders", "action_item_reminders")
    @classmethod
    def _positive_sorted(cls, value: list[int]) -> list[int]:
        if any(d <= 0 for d in value):
            raise ValueError("reminders are whole days before the due date, each at least 1")
        return sorted(set(value), reverse=True)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


DEFAULT_POLICY = DeadlinePolicy()


# A policy is a few hundred bytes of JSON; anything near a mebibyte is the wrong file.
POLICY_FILE_LIMIT = 1 * MIB


class PolicyFileError(ValueError):
    """The deadline policy file is not a policy: the message names the file and why."""


def load_policy(path: str | Path | None = None) -> DeadlinePolicy:
    """The policy in the JSON file at ``path`` (missing keys keep their defaults), or the
    defaults. ``FileTooLarge`` over ``POLICY_FILE_LIMIT``; ``PolicyFileError`` when it is not
    UTF-8 JSON of a policy."""
    if path is None:
        return DEFAULT_POLICY
    what = "the deadline policy file (CASEWORK_DEADLINE_POLICY_FILE)"
    where = f"{what} {path}"
    try:
        text = read_text_within(path, limit=POLICY_FILE_LIMIT, what=what)
        return DeadlinePolicy.model_validate(json.loads(text))
    # FileTooLarge passes through: it names the file and the limit already.
    except UnicodeDecodeError as exc:
        raise PolicyFileError(f"{where} is not UTF-8 text (byte {exc.start + 1}): save it as UTF-8") from None
    except RecursionError:
        raise PolicyFileError(f"{where} is JSON nested too deeply to read: is it the right file?") from None
    except ValidationError as exc:
        wrong = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'the whole'}: {e['msg']}"
                          for e in exc.errors(include_input=False, include_url=False))
        raise PolicyFileError(f"{where} is not a deadline policy: {wrong}") from None
    except json.JSONDecodeError as exc:
        raise PolicyFileError(f"{where} is not JSON ({exc.msg} at line {exc.lineno}, column "
                              f"{exc.colno}): is it the right file?") from None


@dataclass(frozen=True)
class Timing:
    """Date arithmetic in the council's zone and working calendar."""

    policy: DeadlinePolicy = DEFAULT_POLICY
    calendar: WorkingCalendar = ENGLAND

    def after(self, instant: datetime, period: Period) -> datetime:
        """``period`` after ``instant``, keeping the local time of day."""
        local = instant.astimezone(self.policy.zone)
        day = self.calendar.add_days(local.date(), period.days, working=period.working_days)
        return datetime.combine(day, local.time(), self.policy.zone).astimezone(UTC)

    def days_before(self, instant: datetime, days: int) -> datetime:
        """``days`` calendar days before ``instant``, at the same local time of day."""
        local = instant.astimezone(self.policy.zone)
        day = local.date() - timedelta(days=days)
        return datetime.combine(day, local.time(), self.policy.zone).astimezone(UTC)

    def start_of(self, day: date) -> datetime:
        """Midnight at the start of ``day`` in the council's zone: when a dated deadline falls due."""
        return datetime.combine(day, time(0), self.policy.zone).astimezone(UTC)
