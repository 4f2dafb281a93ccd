"""Safeguarding concerns about a provider (stream ``safeguarding-<concern_id>``).

States: ``raised`` -> ``referred`` -> ``outcome_recorded`` -> ``closed``. Adults at risk are
never named in event data: each is a sealed person (see ``casework.events.personal_data``).
"""

from __future__ import annotations

from enum import StrEnum

from casework.events.base import DomainEvent
from casework.events.personal_data import SealedPerson


class SafeguardingCategory(StrEnum):
    neglect = "neglect"  # neglect and acts of omission
    physical = "physical"
    financial = "financial"
    psychological = "psychological"
    organisational = "organisational"
    sexual = "sexual"
    discriminatory = "discriminatory"
    self_neglect = "self_neglect"
    domestic = "domestic"
    modern_slavery = "modern_slavery"


class SafeguardingOutcome(StrEnum):
    substantiated = "substantiated"
    partially_substantiated = "partially_substantiated"
    not_substantiated = "not_substantiated"
    inconclusive = "inconclusive"


class SafeguardingState(StrEnum):
    raised = "raised"
    referred = "referred"
    outcome_recorded = "outcome_recorded"
    closed = "closed"


class SafeguardingConcernRaised(DomainEvent, type_name="SafeguardingConcernRaised"):
    concern_id: str
    provider_id: str
    category: SafeguardingCategory
    summary: str
    adults_at_risk: list[SealedPerson] = []


class SafeguardingConcernReferred(DomainEvent, type_name="SafeguardingConcernReferred"):
    """Referred to the safeguarding adults team; ``section_42``: an enquiry was opened."""

    concern_id: str
    section_42: bool
    note: str | None = None


class SafeguardingOutcomeRecorded(DomainEvent, type_name="SafeguardingOutcomeRecorded"):
    concern_id: str
    outcome: SafeguardingOutcome
    note: str | None = None


class SafeguardingConcernClosed(DomainEvent, type_name="SafeguardingConcernClosed"):
    concern_id: str
    note: str | None = None
