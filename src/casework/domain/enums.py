"""Every enumerated word of the casework domain in one import (values as spec/interfaces.md).

Each enum is defined once, beside the events that use it (``casework.events.<area>``); this
module only re-exports them for the API, the CLI and the web pages.
"""

from casework.events.action_plans import ActionItemState, ActionPlanState, ActionTheme
from casework.events.intelligence import (
    IntelligenceAction,
    IntelligenceOutcome,
    IntelligenceSource,
    IntelligenceState,
    RiskLevel,
)
from casework.events.links import LinkRelation, RecordKind
from casework.events.providers import (
    ClientCategory,
    ClosureKind,
    CqcRating,
    KeyQuestion,
    ProviderState,
    RiskCriterion,
    ServiceType,
)
from casework.events.rag import Rag
from casework.events.safeguarding import (
    SafeguardingCategory,
    SafeguardingOutcome,
    SafeguardingState,
)
from casework.events.visits import AssessmentOutcome, AssessmentState, VisitReason, VisitState

__all__ = [
    "ActionItemState",
    "ActionPlanState",
    "ActionTheme",
    "AssessmentOutcome",
    "AssessmentState",
    "ClientCategory",
    "ClosureKind",
    "CqcRating",
    "IntelligenceAction",
    "IntelligenceOutcome",
    "IntelligenceSource",
    "IntelligenceState",
    "KeyQuestion",
    "LinkRelation",
    "ProviderState",
    "Rag",
    "RecordKind",
    "RiskCriterion",
    "RiskLevel",
    "SafeguardingCategory",
    "SafeguardingOutcome",
    "SafeguardingState",
    "ServiceType",
    "VisitReason",
    "VisitState",
]
