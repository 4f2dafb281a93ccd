"""Models of every lifecycle, written from spec/domain.md independently of the domain code, and
the random walk that drives the real Application with them.

A walk creates one record, then sends random steps ``(action, valid, n)``: the action to try,
whether its parameters are valid (an empty reason, an inconsistent outcome, a date that goes
backwards when ``valid`` is False) and a small number that picks a target (a stage, an item, a
visit, a number of days). The model says what must happen (accepted, or refused with which
error) and keeps the state the record must then be in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from casework.bootstrap import Casework
from casework.domain.actors import Actor, Role
from casework.domain.commands import (
    AddActionItem,
    AllocateIntelligence,
    AssessRisk,
    CancelVisit,
    ChangeActionItemDueDate,
    CloseIntelligence,
    CloseSafeguardingConcern,
    CompleteActionItem,
    CompleteVisit,
    ConcludeAssessment,
    LinkAssessmentVisit,
    LogIntelligence,
    NewActionItem,
    OpenAssessment,
    PlanVisit,
    RaiseActionPlan,
    RaiseSafeguardingConcern,
    RecordRef,
    RecordSafeguardingOutcome,
    ReferSafeguardingConcern,
    RegisterProvider,
    ReopenIntelligence,
    RescheduleVisit,
    ReturnActionItem,
    StartActionItem,
    TakeIntelligenceAction,
    VerifyActionItem,
)
from casework.domain.errors import InvalidInput, NotAllowed
from casework.domain.escalation import (
    ApproveImmediateTermination,
    EscalateContract,
    LiftSanction,
    ProposeImmediateTermination,
    RejectImmediateTermination,
    TerminateContract,
)
from casework.domain.notices import (
    ExtendRemedyNotice,
    IssueRemedyNotice,
    RecordNoticeComplied,
    RecordNoticeFailed,
)
from casework.domain.provider_failure import (
    CloseProcedure,
    IdentifyFailureConcern,
    InitiateProcedure,
    ReviewContingencyPlan,
    StartContingencyPlanning,
    StartResidentsMoving,
)

MANAGER = Actor("mia", Role.manager)
OK = None  # the model's verdict: accepted


@dataclass(frozen=True)
class Step:
    action: str
    valid: bool
    n: int
    follow: bool = False  # try an action the spec allows now instead (walks go deeper)


def text(valid: bool) -> str:
    return "because the review found it" if valid else "   "


class Model:
    """One lifecycle's independent model. ``table[state][action] -> next state`` is the spec."""

    aggregate: str
    table: dict[str, dict[str, str]]

    def __init__(self, cw: Casework, provider_id: str) -> None:
        self.cw, self.provider_id = cw, provider_id
        self.today = cw.clock.now().date()
        self.ident = self.create()
        self.state = self.initial

    @classmethod
    def step_actions(cls) -> list[str]:
        """The actions a walk tries."""
        return sorted({a for moves in cls.table.values() for a in moves})

    def allowed(self) -> set[str]:
        """What the spec allows now (compared with ``Application.allowed_actions``)."""
        return set(self.table[self.state])

    def pick(self, step: Step) -> Step:
        """The step to take: ``step``, or when it follows the spec, an action allowed now."""
        allowed = sorted(self.allowed() & set(self.step_actions()))
        if step.follow and allowed:
            return replace(step, action=allowed[step.n % len(allowed)])
        return step

    def run(self, command: Any) -> str:
        return self.cw.application.execute(command, MANAGER).aggregate_id

    # Per lifecycle: create the record; build a step's command and say what must happen.
    initial: str

    def create(self) -> str:
        raise NotImplementedError

    def command(self, step: Step) -> tuple[Any, type[Exception] | None]:
        raise NotImplementedError

    def accepted(self, step: Step) -> None:
        """The command was accepted: move the model."""
        self.state = self.table[self.state][step.action]

    def loaded_matches(self, loaded: Any) -> None:
        """The state folded from the store's events equals the model."""
        assert str(getattr(loaded, "state", getattr(loaded, "stage", None))) == self.state

    def lifecycle_verdict(self, step: Step, invalid: bool) -> type[Exception] | None:
        if step.action not in self.table[self.state]:
            return NotAllowed
        return InvalidInput if invalid else OK


class IntelligenceModel(Model):
    aggregate = "intelligence"
    initial = "logged"
    table = {
        "logged": {"allocate": "allocated"},
        "allocated": {"allocate": "allocated", "assess": "risk_assessed"},
        "risk_assessed": {"allocate": "risk_assessed", "assess": "risk_assessed",
                          "take_action": "actioned", "close": "closed"},
        "actioned": {"allocate": "actioned", "take_action": "actioned", "close": "closed"},
        "closed": {"reopen": "allocated"},
    }

    def create(self) -> str:
        self.actions_taken = 0
        return self.run(LogIntelligence(provider_id=self.provider_id, source="complaint", summary="Falls",
                                        received_at=self.cw.clock.now() - timedelta(hours=1)))

    def command(self, step: Step) -> tuple[Any, type[Exception] | None]:
        rid, valid = self.ident, step.valid
        if step.action == "allocate":
            command = AllocateIntelligence(record_id=rid, officer="amy" if valid else "")
        elif step.action == "assess":
            command = AssessRisk(record_id=rid, risk=["low", "medium", "high", "critical"][step.n % 4],
                                 action_required=step.n % 2 == 0, rationale=text(valid))
        elif step.action == "take_action":
            command, valid = TakeIntelligenceAction(record_id=rid, action="responsive_visit"), True
        elif step.action == "close":
            consistent = "actioned" if self.actions_taken else "no_further_action"
            other = "no_further_action" if self.actions_taken else "actioned"
            command = CloseIntelligence(record_id=rid, outcome=consistent if valid else other)
        else:
            command = ReopenIntelligence(record_id=rid, reason=text(valid))
        return command, self.lifecycle_verdict(step, not valid)

    def accepted(self, step: Step) -> None:
        super().accepted(step)
        self.actions_taken += step.action == "take_action"

    def loaded_matches(self, loaded: Any) -> None:
        super().loaded_matches(loaded)
        assert len(loaded.actions) == self.actions_taken


class SafeguardingModel(Model):
    aggregate = "safeguarding"
    initial = "raised"
    table = {
        "raised": {"refer": "referred"},
        "referred": {"record_outcome": "outcome_recorded"},
        "outcome_recorded": {"close": "closed"},
        "closed": {},
    }

    def create(self) -> str:
        return self.run(RaiseSafeguardingConcern(provider_id=self.provider_id, category="neglect",
                                                 summary="Missed medication"))

    def command(self, step: Step) -> tuple[Any, type[Exception] | None]:
        cid = self.ident
        command = {
            "refer": lambda: ReferSafeguardingConcern(concern_id=cid, section_42=step.n % 2 == 0),
            "record_outcome": lambda: RecordSafeguardingOutcome(
                concern_id=cid, outcome=["substantiated", "not_substantiated"][step.n % 2]),
            "close": lambda: CloseSafeguardingConcern(concern_id=cid),
        }[step.action]()
        return command, self.lifecycle_verdict(step, invalid=False)


class VisitModel(Model):
    aggregate = "visit"
    initial = "planned"
    table = {
        "planned": {"reschedule": "planned", "complete": "completed", "cancel": "cancelled"},
        "completed": {},
        "cancelled": {},
    }

    def create(self) -> str:
        return self.run(PlanVisit(provider_id=self.provider_id, reason="responsive",
                                  planned_for=self.cw.clock.now() + timedelta(days=3)))

    def command(self, step: Step) -> tuple[Any, type[Exception] | None]:
        vid, valid = self.ident, step.valid
        if step.action == "reschedule":
            when = self.cw.clock.now() + timedelta(days=step.n + 1)
            command, valid = RescheduleVisit(visit_id=vid, planned_for=when), True
        elif step.action == "complete":
            command = CompleteVisit(visit_id=vid, findings=text(valid), rag="amber", compliant=True)
        else:
            command = CancelVisit(visit_id=vid, reason=text(valid))
        return command, self.lifecycle_verdict(step, not valid)


class AssessmentModel(Model):
    aggregate = "assessment"
    initial = "ongoing"
    table = {"ongoing": {"link_visit": "ongoing", "conclude": "concluded"}, "concluded": {}}

    def create(self) -> str:
        at = self.cw.clock.now() + timedelta(days=2)
        self.visits = [self.run(PlanVisit(provider_id=self.provider_id, reason="full_monitoring",
                                          planned_for=at)) for _ in range(3)]
        self.linked: list[str] = []
        return self.run(OpenAssessment(provider_id=self.provider_id))

    def command(self, step: Step) -> tuple[Any, type[Exception] | None]:
        aid = self.ident
        if step.action == "link_visit":
            # invalid: a visit already linked, or one that does not exist
            visit = self.visits[step.n % 3]
            if not step.valid:
                visit = self.linked[0] if self.linked else "no-such-visit"
            return (LinkAssessmentVisit(assessment_id=aid, visit_id=visit),
                    self.lifecycle_verdict(step, visit in self.linked or visit not in self.visits))
        # invalid: no outcome given and no scored visit to work it out from
        given = {"outcome": "compliant", "rag": "green"} if step.valid else {}
        return ConcludeAssessment(assessment_id=aid, **given), self.lifecycle_verdict(step, not step.valid)

    def accepted(self, step: Step) -> None:
        super().accepted(step)
        if step.action == "link_visit":
            self.linked.append(self.visits[step.n % 3])

    def loaded_matches(self, loaded: Any) -> None:
        super().loaded_matches(loaded)
        assert list(loaded.visit_ids) == self.linked


ITEM_TABLE = {
    "open": {"start": "in_progress", "complete": "completed", "change_due_date": "open"},
    "in_progress": {"complete": "completed", "change_due_date": "in_progress"},
    "completed": {"verify": "verified", "return": "in_progress"},
    "verified": {},
}


class ActionPlanModel(Model):
    """The plan (add_item; closes by itself when every item is verified) and its items."""

    aggregate = "action_plan"
    initial = "open"
    table = {"open": {"add_item": "open", "close": "closed"}, "closed": {}}
    item_actions = ("start", "complete", "verify", "return", "change_due_date")

    @classmethod
    def step_actions(cls) -> list[str]:  # the plan closes by itself, never by a command
        return ["add_item", *cls.item_actions]

    def create(self) -> str:
        visit = self.run(PlanVisit(provider_id=self.provider_id, reason="full_monitoring",
                                   planned_for=self.cw.clock.now() + timedelta(days=1)))
        self.items = ["open", "open"]
        self.dues = [self.today + timedelta(days=30)] * 2
        return self.run(RaiseActionPlan(
            provider_id=self.provider_id, raised_from=RecordRef(kind="visit", id=visit),
            items=[self._item(True), self._item(True)],
        ))

    def _item(self, valid: bool) -> NewActionItem:
        due = self.today + timedelta(days=30) if valid else self.today - timedelta(days=1)
        return NewActionItem(description="Review care plans", theme="governance", owner="RM", due=due)

    def command(self, step: Step) -> tuple[Any, type[Exception] | None]:
        pid, valid = self.ident, step.valid
        if step.action == "add_item":
            return AddActionItem(plan_id=pid, item=self._item(valid)), self.lifecycle_verdict(step, not valid)
        index = step.n % len(self.items)
        base = {"plan_id": pid, "item_id": str(index + 1)}
        if step.action == "start":
            command, valid = StartActionItem(**base), True
        elif step.action == "complete":
            command, valid = CompleteActionItem(**base), True
        elif step.action == "verify":
            command, valid = VerifyActionItem(**base), True
        elif step.action == "return":
            command = ReturnActionItem(**base, reason=text(valid))
        else:
            command = ChangeActionItemDueDate(**base, due=self.today + timedelta(days=60), reason=text(valid))
        if self.state == "closed" or step.action not in ITEM_TABLE[self.items[index]]:
            return command, NotAllowed
        return command, OK if valid else InvalidInput

    def pick(self, step: Step) -> Step:
        if not step.follow or self.state == "closed":
            return step
        allowed = sorted(ITEM_TABLE[self.items[step.n % len(self.items)]]) or ["add_item"]
        return replace(step, action=allowed[step.n % len(allowed)])

    def item_allowed(self, step: Step) -> set[str]:
        return set(ITEM_TABLE[self.items[step.n % len(self.items)]]) if self.state == "open" else set()

    def accepted(self, step: Step) -> None:
        if step.action == "add_item":
            self.items.append("open")
            return
        index = step.n % len(self.items)
        self.items[index] = ITEM_TABLE[self.items[index]][step.action]
        if all(s == "verified" for s in self.items):
            self.state = "closed"

    def loaded_matches(self, loaded: Any) -> None:
        super().loaded_matches(loaded)
        assert [str(i.state) for i in loaded.items] == self.items


STAGES = ["monitoring", "requirement_to_improve", "contract_suspension", "final_notice_90_day", "terminated"]


class EscalationModel(Model):
    """The ladder: escalate one stage, or skip with grounds from the council's list, naming the
    reason; lift to monitoring or one stage down with the verified improvement; terminate only
    from a final notice that has run its 90 days (never, in a walk: its clock stands still);
    immediate termination proposed by one manager and approved by another (the walk has one
    manager, so only withdrawal decides a proposal); while a proposal waits, the ladder holds."""

    aggregate = "escalation"
    initial = "monitoring"
    table = {
        stage: {} if stage == "terminated" else (
            ({"escalate": "?"} if stage != "final_notice_90_day" else {})
            | ({"lift": "?"} if stage != "monitoring" else {})
            | {"propose_termination": stage, "terminate": "terminated", "approve_termination": "terminated",
               "reject_termination": stage}
        )
        for stage in STAGES
    }

    def create(self) -> str:
        self.proposed = False
        return self.provider_id  # exists from the start, in monitoring

    def allowed(self) -> set[str]:
        if self.state == "terminated":
            return set()
        if self.proposed:
            return {"reject_termination"}  # approval needs a second manager
        return set(self.table[self.state]) - {"terminate", "approve_termination", "reject_termination"}

    def command(self, step: Step) -> tuple[Any, type[Exception] | None]:
        rank, pid, reason = STAGES.index(self.state), self.provider_id, text(step.valid).strip()
        refused = NotAllowed if step.action not in self.allowed() else None
        if step.action == "escalate":
            target = None if step.n == 0 else STAGES[step.n % 5]
            to = rank + 1 if target is None else STAGES.index(target)
            skips = to - rank - 1 > 0
            grounds = "fraud" if skips and step.valid else None
            command = EscalateContract(provider_id=pid, to=target, reason=reason, grounds=grounds)
            if refused or rank == 4 or to <= rank or to == 4:
                return command, NotAllowed
            self.target = STAGES[to]
            return command, OK if step.valid else InvalidInput
        if step.action == "terminate":
            return TerminateContract(provider_id=pid, reason=reason), NotAllowed
        if step.action == "propose_termination":
            self.target = self.state
            command = ProposeImmediateTermination(provider_id=pid, grounds="fraud", reason=reason)
            return command, refused or (OK if step.valid else InvalidInput)
        if step.action == "approve_termination":
            return ApproveImmediateTermination(provider_id=pid), NotAllowed
        if step.action == "reject_termination":
            self.target = self.state
            command = RejectImmediateTermination(provider_id=pid, reason=reason)
            return command, refused or (OK if step.valid else InvalidInput)
        to = max(rank - step.n % 3, 0) if step.n % 3 else 0
        command = LiftSanction(provider_id=pid, to=STAGES[to], improvement=reason)
        if refused or rank == 4 or rank == 0 or to < rank - 1 and to != 0:
            return command, NotAllowed
        return command, OK if step.valid else InvalidInput

    def accepted(self, step: Step) -> None:
        if step.action == "lift":
            rank = STAGES.index(self.state)
            self.state = STAGES[max(rank - step.n % 3, 0) if step.n % 3 else 0]
        else:
            self.state = self.target
        self.proposed = step.action == "propose_termination"


class NoticeModel(Model):
    aggregate = "notice"
    initial = "issued"
    table = {
        "issued": {"comply": "complied", "extend": "extended", "fail": "failed"},
        "extended": {"comply": "complied", "extend": "extended", "fail": "failed"},
        "complied": {},
        "failed": {},
    }

    def create(self) -> str:
        self.remedy_by = self.today + timedelta(days=28)
        return self.run(IssueRemedyNotice(provider_id=self.provider_id, breach="Staffing levels",
                                          actions=["Recruit two nurses"], remedy_by=self.remedy_by))

    def command(self, step: Step) -> tuple[Any, type[Exception] | None]:
        nid = self.ident
        if step.action == "comply":
            return RecordNoticeComplied(notice_id=nid), self.lifecycle_verdict(step, False)
        if step.action == "fail":
            return RecordNoticeFailed(notice_id=nid), self.lifecycle_verdict(step, False)
        # invalid: a date that is not later than the current remedy-by date
        days = step.n + 1 if step.valid else -step.n
        self.new_date = self.remedy_by + timedelta(days=days)
        command = ExtendRemedyNotice(notice_id=nid, remedy_by=self.new_date, reason="Recruitment under way")
        return command, self.lifecycle_verdict(step, not step.valid)

    def accepted(self, step: Step) -> None:
        super().accepted(step)
        if step.action == "extend":
            self.remedy_by = self.new_date

    def loaded_matches(self, loaded: Any) -> None:
        super().loaded_matches(loaded)
        assert loaded.remedy_by == self.remedy_by


OPEN_FAILURE = {"close_recovered": "closed_recovered"}


class ProviderFailureModel(Model):
    aggregate = "provider_failure"
    initial = "concern_identified"
    table = {
        "concern_identified": {"initiate": "procedure_initiated", **OPEN_FAILURE},
        "procedure_initiated": {"plan_contingency": "contingency_planning", **OPEN_FAILURE},
        "contingency_planning": {"review_contingency": "contingency_planning",
                                 "move_residents": "residents_moving", **OPEN_FAILURE},
        "residents_moving": {"close_provider_exited": "closed_provider_exited", **OPEN_FAILURE},
        "closed_provider_exited": {},
        "closed_recovered": {},
    }

    def create(self) -> str:
        return self.run(IdentifyFailureConcern(provider_id=self.provider_id, trigger="financial_collapse",
                                               summary="Owner in administration"))

    def command(self, step: Step) -> tuple[Any, type[Exception] | None]:
        pid, invalid = self.ident, False
        match step.action:
            case "initiate":
                command = InitiateProcedure(procedure_id=pid, lead="mia")
            case "plan_contingency":
                command = StartContingencyPlanning(procedure_id=pid, strategy_meeting_notes="Met")
            case "review_contingency":
                command = ReviewContingencyPlan(procedure_id=pid, note="Reviewed",
                                                residents_moves_planned=step.n)
            case "move_residents":  # invalid: a negative number of residents
                invalid = not step.valid
                command = StartResidentsMoving(procedure_id=pid, residents_to_move=-1 if invalid else step.n)
            case "close_recovered":
                command = CloseProcedure(procedure_id=pid, outcome="recovered", note="Finances restored")
            case _:
                command = CloseProcedure(procedure_id=pid, outcome="provider_exited", note="All moved")
        return command, self.lifecycle_verdict(step, invalid)


MODELS: list[type[Model]] = [
    IntelligenceModel, SafeguardingModel, VisitModel, AssessmentModel, ActionPlanModel,
    EscalationModel, NoticeModel, ProviderFailureModel,
]


def new_provider(cw: Casework) -> str:
    return cw.application.execute(
        RegisterProvider(name="Elm House", service_type="care_home_nursing"), MANAGER
    ).aggregate_id
