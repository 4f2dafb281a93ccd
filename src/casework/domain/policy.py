"""The council's deadline policy: how long each stage, notice and service level gives.

Defaults come from spec/domain.md; a council overrides any of them in a JSON file named by
``CASEWORK_DEADLINE_POLICY_FILE`` (see ``load_policy``). Changing the policy changes deadlines
derived on the next rebuild, since every deadline is computed from events plus this policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from casework.domain.working_days import ENGLAND, WorkingCalendar
from casework.files import MIB, read_text_within


class Period(BaseModel):
    """A length of time: calendar days, or working days (weekends and bank holidays skipped)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int = Field(ge=0)
    working_days: bool = False

    @property
    def text(self) -> str:
        """``30 days``, ``1 working day``: how a reminder says how far ahead it is."""
        unit = "working day" if self.working_days else "day"
        return f"{self.days} {unit}{'' if self.days == 1 else 's'}"

    @property
    def label(self) -> str:
        """``30d``, ``1wd``: the offset in a reminder's id and stream name."""
        return f"{self.days}{'wd' if self.working_days else 'd'}"


def _reminders(*days: int, working: bool = False) -> list[Period]:
    return [Period(days=d, working_days=working) for d in days]


# The team that owns a deadline nobody on the case does (no lead officer named): by deadline kind
# (casework.workflows.deadlines.DeadlineKind), else ``default_team``.
CONTRACTS_TEAM = "contracts-team"
QUALITY_TEAM = "quality-team"
_CONTRACT_KINDS = (
    "improvement_plan_due", "requirement_to_improve_review", "suspension_review",
    "final_notice_decision", "remedy_notice_due", "escalation_proposed", "strategy_meeting_due",
    "contingency_review", "termination_approval",
)


class DeadlinePolicy(BaseModel):
    """Every period the workflows use, the reminders before deadlines fall due, and which team
    owns a deadline that no officer on the case does. Reminders are periods before the due
    date (a whole number means calendar days); each is sent once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Local time decides what "a day" is: dates roll over at midnight in this zone.
    timezone: str = "Europe/London"

    # Contract compliance escalation
    improvement_plan_due: Period = Period(days=14)
    requirement_to_improve_review: Period = Period(days=28)
    suspension_review_every: Period = Period(days=28)
    final_notice_expiry: Period = Period(days=90)
    final_notice_reminders: list[Period] = Field(default_factory=lambda: _reminders(30, 14, 7))

    # Notice To Remedy Breach: due on the date it names; reminders before it.
    remedy_notice_reminders: list[Period] = Field(
        default_factory=lambda: _reminders(7, 1, working=True))

    # Provider failure procedure
    strategy_meeting_due: Period = Period(days=2, working_days=True)
    contingency_review_every: Period = Period(days=7)

    # Intelligence service levels
    intelligence_allocation: Period = Period(days=1, working_days=True)
    intelligence_risk_assessment: Period = Period(days=2, working_days=True)
    high_risk_first_action: Period = Period(days=1, working_days=True)
    # Reminders before an intelligence service level falls due.
    service_level_reminders: list[Period] = Field(
        default_factory=lambda: _reminders(1, working=True))

    # Action plan items: reminders before the due date; overdue on the day.
    action_item_reminders: list[Period] = Field(default_factory=lambda: _reminders(7))

    # Owners: a deadline is owned by the officer its case names (the officer a record is
    # allocated to, a procedure's lead), else by the provider's lead officer, else by the team
    # here for its kind, else by ``default_team``. Never by "system".
    default_team: str = Field(default=QUALITY_TEAM, min_length=1, max_length=100)
    owner_teams: dict[str, str] = Field(
        default_factory=lambda: dict.fromkeys(_CONTRACT_KINDS, CONTRACTS_TEAM))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @field_validator("final_notice_reminders", "remedy_notice_reminders", "action_item_reminders",
                     "service_level_reminders", mode="before")
    @classmethod
    def _days_are_calendar_days(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"days": v} if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @field_validator("final_notice_reminders", "remedy_notice_reminders", "action_item_reminders",
                     "service_level_reminders")
    @classmethod
    def _positive_sorted(cls, value: list[Period]) -> list[Period]:
        if any(p.days <= 0 for p in value):
            raise ValueError("reminders are whole days before the due date, each at least 1")
        unique = {(p.days, p.working_days): p for p in value}
        return sorted(unique.values(), key=lambda p: (p.days, p.working_days), reverse=True)

    @field_validator("owner_teams")
    @classmethod
    def _named_teams(cls, value: dict[str, str]) -> dict[str, str]:
        if any(not team.strip() for team in value.values()):
            raise ValueError("each team is named (a deadline kind maps to a team name)")
        return value

    def team_for(self, kind: str) -> str:
        """The team that owns deadlines of ``kind`` when no officer does."""
        return self.owner_teams.get(kind, self.default_team)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


DEFAULT_POLICY = DeadlinePolicy()


# A policy is a few hundred bytes of JSON; anything near a mebibyte is the wrong file.
POLICY_FILE_LIMIT = 1 * MIB


class PolicyFileError(ValueError):
    """The deadline policy file is not a policy: the message names the file and why."""


def load_policy(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> DeadlinePolicy:
    """The policy in the JSON file at ``path`` (missing keys keep their defaults), or the
    defaults; then ``overrides`` (settings such as ``CASEWORK_DEADLINE_POLICY``) replace the
    keys they name. ``FileTooLarge`` over ``POLICY_FILE_LIMIT``; ``PolicyFileError`` when the
    file is not UTF-8 JSON of a policy."""
    if path is None and not overrides:
        return DEFAULT_POLICY
    values: dict[str, Any] = {}
    if path is not None:
        values = _policy_file(path)
    overrides = dict(overrides or {})
    if "owner_teams" in overrides:  # kinds not named keep their team
        base = DeadlinePolicy.model_validate(values).owner_teams
        overrides["owner_teams"] = {**base, **overrides["owner_teams"]}
    return DeadlinePolicy.model_validate({**values, **overrides})


def _policy_file(path: str | Path) -> dict[str, Any]:
    what = "the deadline policy file (CASEWORK_DEADLINE_POLICY_FILE)"
    where = f"{what} {path}"
    try:
        text = read_text_within(path, limit=POLICY_FILE_LIMIT, what=what)
        values = json.loads(text)
        DeadlinePolicy.model_validate(values)
        return dict(values)
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

    def before(self, instant: datetime, period: Period) -> datetime:
        """``period`` before ``instant`` (working days skip weekends and bank holidays), at the
        same local time of day: when a reminder of a deadline due at ``instant`` is sent."""
        local = instant.astimezone(self.policy.zone)
        day = self.calendar.add_days(local.date(), -period.days, working=period.working_days)
        return datetime.combine(day, local.time(), self.policy.zone).astimezone(UTC)

    def start_of(self, day: date) -> datetime:
        """Midnight at the start of ``day`` in the council's zone: when a dated deadline falls due."""
        return datetime.combine(day, time(0), self.policy.zone).astimezone(UTC)
