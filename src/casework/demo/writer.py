"""What every demonstration scenario writes with: the team's everyday commands, batched.

A scenario is a seeded, repeatable generator: ``random.Random(seed)`` picks dates and words,
every command has a command id made of the scenario's name and a counter, and every record's
id derives from its command id (the Application's rule), so the same scenario written twice is
the same history. Commands go through ``CommandBatch`` (the domain's deciders; one
``append_batch`` per ``chunk`` commands).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from casework.application.batch import CommandBatch
from casework.domain.actors import Actor, Role
from casework.domain.commands import (
    AllocateIntelligence,
    AssessRisk,
    CloseIntelligence,
    CompleteVisit,
    LogIntelligence,
    PersonDetails,
    PlanVisit,
    PublishCqcRating,
    RecordRef,
    RegisterProvider,
    TakeIntelligenceAction,
)
from casework.events.intelligence import (
    IntelligenceAction,
    IntelligenceOutcome,
    IntelligenceSource,
    RiskLevel,
)
from casework.events.links import RecordKind
from casework.events.providers import ClientCategory, CqcRating, ServiceType
from casework.events.visits import VisitReason
from casework.wording import counted

OFFICERS = tuple(Actor(n, Role.officer) for n in ("amy", "bilal", "carys", "dev", "ewa", "femi"))
MANAGER = Actor("grace", Role.manager)

SOURCE_WEIGHTS = {
    IntelligenceSource.cqc: 6,
    IntelligenceSource.other_local_authority: 4,
    IntelligenceSource.whistleblowing: 3,
    IntelligenceSource.complaint: 10,
    IntelligenceSource.safeguarding_referral: 14,
    IntelligenceSource.health_professional: 12,
    IntelligenceSource.social_worker: 16,
    IntelligenceSource.service_user_or_family: 12,
    IntelligenceSource.healthwatch: 2,
    IntelligenceSource.provider_self_notification: 18,
    IntelligenceSource.internal: 3,
}
SUMMARIES = (
    "Medication administration errors reported over two shifts",
    "Staffing levels on the early shift said to be low",
    "Care plan not updated after a fall",
    "Concern about the cleanliness of communal areas",
    "Late and missed home care calls reported",
    "Provider notified a change of registered manager",
    "Delay in referring a resident to the district nurse",
    "Complaint about the quality of food and drink",
    "Notification of an outbreak of infection; home closed to admissions",
    "Pressure care concerns raised at a review",
    "Record keeping found incomplete at a review",
    "Provider reported a notifiable incident",
)
# Invented names: they exist only to show that restricted data stays sealed.
INVENTED_PEOPLE = ("Alex Example", "Sam Placeholder", "Jo Sample", "Chris Fictional")
PROVIDER_WORDS = (
    "Ashdown", "Beech", "Cedar", "Dove", "Elm", "Fern", "Glebe", "Hazel", "Ivy", "Juniper", "Kestrel",
    "Laurel", "Maple", "Northfield", "Oak", "Poplar", "Quarry", "Rowan", "Sycamore", "Thorn",
    "Union", "Vale", "Willow", "Yew",
)
PROVIDER_KINDS = {
    ServiceType.care_home_nursing: "Nursing Home",
    ServiceType.care_home_residential: "Care Home",
    ServiceType.home_care: "Home Care",
    ServiceType.supported_living: "Supported Living",
    ServiceType.extra_care: "Extra Care Court",
    ServiceType.day_service: "Day Opportunities",
}


def at(day: date, hour: int = 10) -> datetime:
    """A time on ``day`` (UTC; council-local date is the same day for office hours)."""
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(d) for d in range((end - start).days + 1)]


@dataclass
class Loaded:
    """What a scenario wrote, for ``casework demo`` to print."""

    scenario: str
    counts: Counter[str] = field(default_factory=Counter)
    events: int = 0
    already_loaded: bool = False

    def lines(self) -> list[str]:
        if self.already_loaded:
            return [f"scenario {self.scenario} is already in this store: nothing appended"]
        parts = ", ".join(f"{n} {what}" for what, n in self.counts.items())
        return [f"loaded scenario {self.scenario}: {parts}", f"{counted(self.events, 'event')} appended"]


class Writer:
    def __init__(self, app: Any, scenario: str, seed: int, *, chunk: int = 4000) -> None:
        self.app = app
        self.scenario = scenario
        self.rng = random.Random(seed)
        self.batch = CommandBatch(app, MANAGER, trust_new_ids=True)
        self.chunk = chunk
        self.loaded = Loaded(scenario)
        self._n = 0

    # ----------------------------------------------------------------------------- plumbing
    def run(self, command: Any, actor: Actor | None = None, *, what: str | None = None) -> str:
        self._n += 1
        ident = self.batch.execute(command, command_id=f"demo:{self.scenario}:{self._n}", actor=actor)
        if what:
            self.loaded.counts[what] += 1
        if self.batch.pending_events >= self.chunk:
            self.flush()
        return ident

    def flush(self) -> None:
        self.loaded.events += len(self.batch.commit())

    def first_command_done(self) -> bool:
        """Whether this scenario was written before (its first command is in the store)."""
        from casework.events.base import command_event_id

        return bool(self.app.store.get_events([command_event_id(f"demo:{self.scenario}:1", 0)]))

    def officer(self) -> Actor:
        return self.rng.choice(OFFICERS)

    def pick(self, items: Sequence[Any]) -> Any:
        return self.rng.choice(items)

    def day_between(self, start: date, end: date) -> date:
        return start + timedelta(self.rng.randint(0, (end - start).days))

    # ----------------------------------------------------------------------------- providers
    def provider(
        self,
        service_type: ServiceType,
        categories: Sequence[ClientCategory],
        *,
        registered: date,
        district: str,
        beds: int | None = None,
    ) -> str:
        name = f"{self.pick(PROVIDER_WORDS)} {self.pick(PROVIDER_WORDS)} {PROVIDER_KINDS[service_type]}"
        return self.run(
            RegisterProvider(
                name=name,
                service_type=service_type,
                categories=list(categories),
                beds=beds,
                district=district,
                contract_reference=f"C-{self._n:05d}",
                occurred_at=at(registered),
            ),
            what="providers",
        )

    def rating(self, provider_id: str, day: date, overall: CqcRating) -> None:
        self.run(
            PublishCqcRating(provider_id=provider_id, report_date=day, overall=overall,
                             occurred_at=at(day)),
            what="CQC ratings",
        )

    # ----------------------------------------------------------------------------- intelligence
    def intelligence(
        self,
        provider_id: str,
        day: date,
        *,
        action: IntelligenceAction | None,
        source: IntelligenceSource | None = None,
    ) -> str:
        """A record logged on ``day``, allocated, risk assessed and closed: with ``action`` taken
        (action required) or with no further action."""
        rng = self.rng
        source = source or rng.choices(list(SOURCE_WEIGHTS), weights=list(SOURCE_WEIGHTS.values()))[0]
        whistleblower = None
        if source is IntelligenceSource.whistleblowing and rng.random() < 0.5:
            whistleblower = PersonDetails(name=self.pick(INVENTED_PEOPLE), contact="by telephone")
        officer = self.officer()
        record = self.run(
            LogIntelligence(provider_id=provider_id, source=source, received_at=at(day, 9),
                            summary=self.pick(SUMMARIES), whistleblower=whistleblower,
                            occurred_at=at(day, 9)),
            officer,
            what="intelligence records",
        )
        self.run(AllocateIntelligence(record_id=record, officer=officer.name, occurred_at=at(day, 11)))
        assessed = day + timedelta(rng.choice((0, 1, 1, 2)))
        if action is None:
            self.run(AssessRisk(record_id=record, risk=RiskLevel.low, action_required=False,
                                rationale="Information noted; no risk to people using the service",
                                occurred_at=at(assessed, 14)), officer)
            self.run(CloseIntelligence(record_id=record, outcome=IntelligenceOutcome.no_further_action,
                                       occurred_at=at(assessed, 15)), officer)
            return record
        risk = rng.choice((RiskLevel.medium, RiskLevel.medium, RiskLevel.high, RiskLevel.critical))
        self.run(AssessRisk(record_id=record, risk=risk, action_required=True,
                            rationale="Possible risk to people using the service: act",
                            occurred_at=at(assessed, 14)), officer)
        self.run(TakeIntelligenceAction(record_id=record, action=action, occurred_at=at(assessed, 15)),
                 officer)
        self.run(CloseIntelligence(record_id=record, outcome=IntelligenceOutcome.actioned,
                                   occurred_at=at(assessed, 16)), officer)
        return record

    # ----------------------------------------------------------------------------- visits
    def visit(
        self,
        provider_id: str,
        day: date,
        reason: VisitReason,
        *,
        announced: bool = True,
        out_of_hours: bool = False,
        triggered_by: RecordRef | None = None,
        scores: dict[str, str] | None = None,
        framework_id: str | None = None,
        findings: str = "Visit completed; findings discussed with the manager",
    ) -> str:
        officer = self.officer()
        hour = 19 if out_of_hours else 10  # completed two hours later, the same local day
        visit = self.run(
            PlanVisit(provider_id=provider_id, reason=reason, planned_for=at(day, hour),
                      announced=announced, out_of_hours=out_of_hours, triggered_by=triggered_by,
                      occurred_at=at(day - timedelta(7), 9)),
            officer,
            what="visits",
        )
        self.run(
            CompleteVisit(visit_id=visit, findings=findings, scores=scores or {},
                          framework_id=framework_id if scores else None, occurred_at=at(day, hour + 2)),
            officer,
        )
        return visit


def ref(kind: RecordKind, ident: str) -> RecordRef:
    return RecordRef(kind=kind, id=ident)
