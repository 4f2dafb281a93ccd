"""Every casework command in one import. Each is a frozen pydantic model with ``occurred_at``
(None = the clock; never in the future) and class-level ``permitted`` roles; build one from
untrusted input with ``Cls.parse(data)`` (a bad field -> ``InvalidInput`` naming it) and run it
with ``Application.execute(command, actor, command_id=..., expected_version=...)``."""

from casework.domain.action_plans import (
    AddActionItem,
    ChangeActionItemDueDate,
    CompleteActionItem,
    NewActionItem,
    RaiseActionPlan,
    ReturnActionItem,
    StartActionItem,
    VerifyActionItem,
)
from casework.domain.aggregate import Command
from casework.domain.intelligence import (
    AllocateIntelligence,
    AssessRisk,
    CloseIntelligence,
    LinkIntelligence,
    LogIntelligence,
    ReopenIntelligence,
    TakeIntelligenceAction,
)
from casework.domain.personal_data import PersonDetails
from casework.domain.providers import (
    AssignLeadOfficer,
    ChangeOwner,
    ChangeRegisteredManager,
    CloseProvider,
    EndContract,
    PublishCqcRating,
    RecordRiskCriterion,
    RegisterProvider,
    StartContract,
    UpdateProviderDetails,
)
from casework.domain.safeguarding import (
    CloseSafeguardingConcern,
    RaiseSafeguardingConcern,
    RecordSafeguardingOutcome,
    ReferSafeguardingConcern,
)
from casework.domain.visits import (
    CancelVisit,
    CompleteVisit,
    ConcludeAssessment,
    LinkAssessmentVisit,
    OpenAssessment,
    PlanVisit,
    RescheduleVisit,
)
from casework.events.links import RecordRef

__all__ = [
    "AddActionItem",
    "AllocateIntelligence",
    "AssessRisk",
    "AssignLeadOfficer",
    "CancelVisit",
    "ChangeActionItemDueDate",
    "ChangeOwner",
    "ChangeRegisteredManager",
    "CloseIntelligence",
    "CloseProvider",
    "CloseSafeguardingConcern",
    "Command",
    "CompleteActionItem",
    "CompleteVisit",
    "EndContract",
    "ConcludeAssessment",
    "LinkAssessmentVisit",
    "LinkIntelligence",
    "LogIntelligence",
    "NewActionItem",
    "OpenAssessment",
    "PersonDetails",
    "PlanVisit",
    "PublishCqcRating",
    "RaiseActionPlan",
    "RaiseSafeguardingConcern",
    "RecordRef",
    "RecordRiskCriterion",
    "RecordSafeguardingOutcome",
    "ReferSafeguardingConcern",
    "RegisterProvider",
    "ReopenIntelligence",
    "RescheduleVisit",
    "ReturnActionItem",
    "StartActionItem",
    "StartContract",
    "TakeIntelligenceAction",
    "UpdateProviderDetails",
    "VerifyActionItem",
]
