"""Contract compliance escalation, one per provider (stream ``escalation-<provider_id>``).

monitoring -> requirement_to_improve -> contract_suspension -> final_notice_90_day -> terminated.
A manager escalates one stage at a time, or skips stages with a recorded reason; lifts (verified
improvement) to monitoring or one stage down; terminated is final. From contract_suspension on,
the provider is closed to new placements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import ClassVar

from casework.domain.actors import Role
from casework.domain.aggregate import Aggregate, Command, Route
from casework.domain.errors import InvalidInput, NotAllowed
from casework.domain.fields import Identifier, Text
from casework.domain.lifecycle import Lifecycle, Row
from casework.events.base import DomainEvent
from casework.events.sanctions import (
    ISSUED_BY_STAGE,
    STAGE_ENTERED,
    STAGE_ORDER,
    SanctionIssued,
    SanctionLifted,
    SanctionStage,
)

S = SanctionStage


def _rank(stage: SanctionStage) -> int:
    return STAGE_ORDER.index(stage)


def _escalation_rows() -> list[Row]:
    rows: list[Row] = []
    for source in STAGE_ORDER[:-1]:
        for dest in STAGE_ORDER[_rank(source) + 1 :]:
            rows.append(("escalate", source, dest))
        rows.append(("terminate", source, S.terminated))
    for source in (S.requirement_to_improve, S.contract_suspension, S.final_notice_90_day):
        rows.append(("lift", source, S.monitoring))
        if source is not S.requirement_to_improve:
            rows.append(("lift", source, STAGE_ORDER[_rank(source) - 1]))
    return rows


ESCALATION_LIFECYCLE = Lifecycle("contract escalation", STAGE_ORDER, _escalation_rows(), S.monitoring)

CLOSED_TO_PLACEMENTS = frozenset({S.contract_suspension, S.final_notice_90_day, S.terminated})

# The stage each escalating event enters, by type name (a lift names its own: ``to_stage``).
STAGE_ENTERED_BY_TYPE: Mapping[str, SanctionStage] = MappingProxyType(
    {cls.type_name: stage for cls, stage in STAGE_ENTERED.items()}
)


def closed_to_new_placements(stage: SanctionStage) -> bool:
    """True from contract_suspension on: no new placements with this provider."""
    return stage in CLOSED_TO_PLACEMENTS



@dataclass(frozen=True)
class EscalationState:
    provider_id: str
    stage: SanctionStage = S.monitoring
    version: int = 0

    @property
    def allowed_actions(self) -> set[str]:
        return ESCALATION_LIFECYCLE.allowed_actions(self.stage)

    @property
    def closed_to_new_placements(self) -> bool:
        return closed_to_new_placements(self.stage)


class EscalateContract(Command):
    """Escalate to ``to`` (default: the next stage). Skipping stages needs a reason."""

    permitted: ClassVar[frozenset[Role]] = frozenset({Role.manager})
    provider_id: Identifier
    to: SanctionStage | None = None
    reason: Text = ""


class TerminateContract(Command):
    permitted: ClassVar[frozenset[Role]] = frozenset({Role.manager})
    provider_id: Identifier
    reason: Text = ""


class LiftSanction(Command):
    """Verified improvement: back to ``to`` (monitoring, the default, or one stage down)."""

    permitted: ClassVar[frozenset[Role]] = frozenset({Role.manager})
    provider_id: Identifier
    to: SanctionStage = S.monitoring
    improvement: Text


def evolve(state: EscalationState, event: DomainEvent) -> EscalationState:
    if isinstance(event, SanctionIssued):
        stage = STAGE_ENTERED[type(event)]
    elif isinstance(event, SanctionLifted):
        stage = event.to_stage
    else:
        return state
    return replace(state, stage=stage, version=state.version + 1)


def decide(state: EscalationState, command: Command) -> list[DomainEvent]:
    if isinstance(command, EscalateContract | TerminateContract):
        return _escalate(state, command)
    if isinstance(command, LiftSanction):
        return _lift(state, command)
    raise TypeError(f"escalation cannot handle {type(command).__name__}")


def _escalate(state: EscalationState, command: EscalateContract | TerminateContract) -> list[DomainEvent]:
    action = "terminate" if isinstance(command, TerminateContract) else "escalate"
    if ESCALATION_LIFECYCLE.is_final(state.stage):
        ESCALATION_LIFECYCLE.check(state.provider_id, state.stage, action)  # raises: terminated is final
    wanted = S.terminated if isinstance(command, TerminateContract) else command.to
    if wanted is None:
        wanted = STAGE_ORDER[_rank(state.stage) + 1]
    if _rank(wanted) <= _rank(state.stage):
        raise NotAllowed(
            ESCALATION_LIFECYCLE.kind, state.provider_id, state.stage, f"escalate to {wanted}",
            ESCALATION_LIFECYCLE.allowed_actions(state.stage),
            "escalation only moves up; to go down, lift the sanction with the verified improvement",
        )
    ESCALATION_LIFECYCLE.check_to(state.provider_id, state.stage, action, wanted)
    skipped = list(STAGE_ORDER[_rank(state.stage) + 1 : _rank(wanted)])
    if skipped and not command.reason.strip():
        raise InvalidInput(
            "reason", f"skipping {', '.join(skipped)} needs a recorded reason (e.g. serious risk)"
        )
    return [
        ISSUED_BY_STAGE[wanted](
            provider_id=state.provider_id,
            from_stage=state.stage,
            reason=command.reason,
            skipped_stages=skipped,
        )
    ]


def _lift(state: EscalationState, command: LiftSanction) -> list[DomainEvent]:
    ESCALATION_LIFECYCLE.check_to(
        state.provider_id, state.stage, "lift", command.to,
        hint="lift returns to monitoring or one stage down",
    )
    if not command.improvement.strip():
        raise InvalidInput("improvement", "say what verified improvement lifts the sanction")
    return [
        SanctionLifted(
            provider_id=state.provider_id,
            from_stage=state.stage,
            to_stage=command.to,
            improvement=command.improvement,
        )
    ]


def replay(provider_id: str, events: list[DomainEvent]) -> EscalationState:
    state = EscalationState(provider_id)
    for event in events:
        state = evolve(state, event)
    return state


_BY_PROVIDER = Route(lambda c: c.provider_id, provider_of=lambda c: c.provider_id)

ESCALATION = Aggregate(
    kind="contract escalation",
    stream_prefix="escalation",
    initial=EscalationState,
    evolve=evolve,
    decide=decide,
    routes={EscalateContract: _BY_PROVIDER, TerminateContract: _BY_PROVIDER, LiftSanction: _BY_PROVIDER},
    lifecycle=ESCALATION_LIFECYCLE,
    state_of=lambda s: s.stage,
    exists_without_events=True,  # every provider is in 'monitoring' before its first sanction
)


__all__ = [
    "CLOSED_TO_PLACEMENTS",
    "ESCALATION",
    "ESCALATION_LIFECYCLE",
    "STAGE_ENTERED_BY_TYPE",
    "EscalateContract",
    "EscalationState",
    "LiftSanction",
    "TerminateContract",
    "closed_to_new_placements",
    "decide",
    "evolve",
    "replay",
]
