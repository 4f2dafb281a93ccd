"""Answers for the escalation endpoint and provider pages: the stage and its deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from casework.domain.escalation import ESCALATION, closed_to_new_placements
from casework.events.sanctions import SanctionStage
from casework.workflows.deadline_calendar import pending_deadlines
from casework.workflows.deadlines import Deadline


@dataclass(frozen=True)
class EscalationStatus:
    provider_id: str
    stage: SanctionStage
    version: int
    closed_to_new_placements: bool
    allowed_actions: list[str]
    deadlines: list[Deadline]  # the stage's pending deadlines, soonest first

    def to_json(self) -> dict[str, Any]:
        return {
            "provider_id": self.provider_id,
            "stage": str(self.stage),
            "version": self.version,
            "closed_to_new_placements": self.closed_to_new_placements,
            "allowed_actions": self.allowed_actions,
            "deadlines": [deadline_json(d) for d in self.deadlines],
        }


def deadline_json(d: Deadline) -> dict[str, Any]:
    return {
        "id": d.deadline_id,
        "provider_id": d.provider_id,
        "kind": str(d.kind),
        "title": d.title,
        "due_at": d.due_at.isoformat(),
        "owner": d.owner,
        "source": d.source,
    }


def escalation_status(cw: Any, provider_id: str) -> EscalationStatus:
    """The provider's escalation stage now, with its pending deadlines (from the deadline read
    model, which this process catches up as it appends: the answer to a command just executed
    already includes the deadlines it set)."""
    loaded = cw.application.read(ESCALATION, provider_id)
    stream = ESCALATION.stream(provider_id)
    deadlines = pending_deadlines(cw, provider_id=provider_id, source=stream)
    return EscalationStatus(
        provider_id=provider_id,
        stage=loaded.state.stage,
        version=loaded.version,
        closed_to_new_placements=closed_to_new_placements(loaded.state.stage),
        allowed_actions=sorted(ESCALATION.allowed_actions(loaded.state)),
        deadlines=deadlines,
    )
