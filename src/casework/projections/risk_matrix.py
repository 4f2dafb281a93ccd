"""The Kent risk matrix: ten criteria, each Red / Amber / Green, a score out of 100.

Green scores 10, Amber 5, Red 0; the lowest score is the highest risk, and providers are visited
lowest score first. Criteria 1, 2, 8, 9 and 10 follow from events already recorded; 3 to 7 are
recorded by officers (``RiskCriterionRecorded``, the latest per criterion counts).

Mappings (our reading of the Kent model; change them here and only here):

1. CQC overall rating: Outstanding or Good green; Requires improvement amber; Inadequate red;
   not yet rated, inspected but not rated, or no rating known: amber (unknown is not safe).
2. Ownership or registered manager change in the 12 months before the day assessed: none green;
   one change amber; two or more changes (e.g. new owner and new manager) red.
3.-7. Officer criteria (self-assessment, professional feedback, food hygiene, fire safety,
   health and safety): the officer's latest RAG; **unrecorded counts as amber** until recorded.
8. Quality assurance audits and outstanding actions: no open action-plan item green; open items
   none overdue amber; any item overdue (due date passed, not completed) red.
9. Current quality, safeguarding or commissioning concerns: red if a safeguarding concern with a
   section 42 enquiry is open, an open intelligence record was assessed high or critical, or a
   provider failure procedure is open; amber if any safeguarding concern or an intelligence record
   assessed as requiring action is open; green otherwise.
10. Current placement status (the contract sanction stage): monitoring green; requirement to
   improve amber; contract suspension, 90 day final notice or terminated red.

Criteria 2 and 8 depend on the day, so the matrix is computed when read (from the provider
view's folded state and a date), never stored.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from casework.domain.action_plans import ITEM_OPEN_STATES
from casework.domain.intelligence import URGENT_RISKS
from casework.events.providers import RiskCriterion
from casework.events.rag import Rag
from casework.events.sanctions import SanctionStage
from casework.projections.words import lower

POINTS = {Rag.green: 10, Rag.amber: 5, Rag.red: 0}
CQC_RAG = {
    "outstanding": Rag.green,
    "good": Rag.green,
    "requires_improvement": Rag.amber,
    "inadequate": Rag.red,
}
STAGE_RAG = {
    SanctionStage.monitoring: Rag.green,
    SanctionStage.requirement_to_improve: Rag.amber,
    SanctionStage.contract_suspension: Rag.red,
    SanctionStage.final_notice_90_day: Rag.red,
    SanctionStage.terminated: Rag.red,
}

CRITERIA: tuple[tuple[int, str, str], ...] = (
    (1, "cqc_rating", "CQC overall rating"),
    (2, "ownership_or_management_change", "Ownership or management change"),
    (3, RiskCriterion.provider_self_assessment.value, "Provider self-assessment"),
    (4, RiskCriterion.professional_feedback.value,
     "Professional feedback and experts-by-experience visits"),
    (5, RiskCriterion.food_hygiene.value, "Food hygiene rating"),
    (6, RiskCriterion.fire_safety.value, "Fire safety"),
    (7, RiskCriterion.health_and_safety.value, "Health and safety at site visits"),
    (8, "outstanding_actions", "Quality assurance audits and outstanding actions"),
    (9, "current_concerns", "Current quality, safeguarding or commissioning concerns"),
    (10, "placement_status", "Current placement status"),
)


class Criterion(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    key: str
    title: str
    rag: Rag
    points: int
    basis: str  # why this RAG, in words
    recorded_by_officer: bool


class RiskMatrix(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider_id: str
    on: date
    criteria: list[Criterion]

    @property
    def score(self) -> int:
        return sum(c.points for c in self.criteria)


def overdue_items(state: dict[str, Any], today: date) -> int:
    """Open or in-progress items whose due date has passed."""
    return sum(
        1 for item_state, due in state["items"].values()
        if item_state in ITEM_OPEN_STATES and date.fromisoformat(due) < today
    )


def open_items(state: dict[str, Any]) -> int:
    return sum(1 for item_state, _ in state["items"].values() if item_state in ITEM_OPEN_STATES)


def changes_within(state: dict[str, Any], today: date, days: int = 365) -> int:
    since = today - timedelta(days=days)
    return sum(1 for _, on in state["changes"] if since < date.fromisoformat(on) <= today)


def _cqc(state: dict[str, Any], _today: date) -> tuple[Rag, str]:
    rating = state.get("cqc_rating")
    rag = CQC_RAG.get(rating or "", Rag.amber)
    return rag, f"CQC rating {lower(rating) if rating else 'unknown'}"


def _changes(state: dict[str, Any], today: date) -> tuple[Rag, str]:
    n = changes_within(state, today)
    rag = Rag.green if n == 0 else Rag.amber if n == 1 else Rag.red
    return rag, f"{n} ownership or manager change(s) in the last 12 months"


def _actions(state: dict[str, Any], today: date) -> tuple[Rag, str]:
    overdue, still_open = overdue_items(state, today), open_items(state)
    rag = Rag.red if overdue else Rag.amber if still_open else Rag.green
    return rag, f"{still_open} open action item(s), {overdue} overdue"


def _concerns(state: dict[str, Any], _today: date) -> tuple[Rag, str]:
    concerns = state["concerns"].values()
    records = state["records"].values()
    s42 = sum(1 for c in concerns if c[1])
    urgent = sum(1 for r in records if r[1] in URGENT_RISKS)
    needing_action = sum(1 for r in records if r[2])
    failures = len(state["failures"])
    if s42 or urgent or failures:
        rag = Rag.red
    elif concerns or needing_action:
        rag = Rag.amber
    else:
        rag = Rag.green
    basis = (
        f"{len(state['concerns'])} open safeguarding concern(s) ({s42} under section 42), "
        f"{urgent} open high/critical record(s), {needing_action} needing action, "
        f"{failures} provider failure procedure(s)"
    )
    return rag, basis


def _placement(state: dict[str, Any], _today: date) -> tuple[Rag, str]:
    stage = state.get("stage", "monitoring")
    return STAGE_RAG[stage], f"escalation stage: {lower(stage)}"


_DERIVED = {1: _cqc, 2: _changes, 8: _actions, 9: _concerns, 10: _placement}


def assess(provider_id: str, state: dict[str, Any], today: date) -> RiskMatrix:
    """The ten criteria for a provider's folded state (see provider_view.fold) on ``today``."""
    out = []
    for number, key, title in CRITERIA:
        if number in _DERIVED:
            rag, basis = _DERIVED[number](state, today)
            officer = False
        else:
            recorded = state["criteria"].get(key)
            rag = Rag(recorded[0]) if recorded else Rag.amber
            basis = f"recorded {recorded[1]}" if recorded else "not recorded yet: counts as amber"
            officer = True
        out.append(Criterion(number=number, key=key, title=title, rag=rag, points=POINTS[rag],
                             basis=basis, recorded_by_officer=officer))
    return RiskMatrix(provider_id=provider_id, on=today, criteria=out)


def risk_score(state: dict[str, Any], today: date) -> int:
    return assess("", state, today).score


def monitoring_interval_days(score: int) -> int:
    """Days between full monitoring visits: at least yearly; a lower score shortens it."""
    if score >= 80:
        return 365
    if score >= 60:
        return 270
    if score >= 40:
        return 180
    return 90


__all__ = [
    "CRITERIA",
    "Criterion",
    "RiskMatrix",
    "assess",
    "monitoring_interval_days",
    "risk_score",
]
