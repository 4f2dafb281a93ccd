"""Law: whatever commands are tried (allowed or refused), every read model says what the
aggregates say, and the deadline calendar holds exactly the deadlines the rulebook derives from
the log. Random command sequences run through the Application on both backends; after each
step every row about this example's records is checked against ``Application.read``."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from casework.domain.action_plans import (
    ACTION_PLAN,
    ITEM_LIFECYCLE,
    ITEM_OPEN_STATES,
    NewActionItem,
    is_overdue,
)
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
    OpenAssessment,
    PlanVisit,
    RaiseActionPlan,
    RaiseSafeguardingConcern,
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
from casework.domain.errors import DomainError
from casework.domain.escalation import (
    ESCALATION,
    EscalateContract,
    LiftSanction,
    TerminateContract,
    closed_to_new_placements,
)
from casework.domain.intelligence import INTELLIGENCE, OPEN_STATES, service_level_of
from casework.domain.notices import (
    NOTICE,
    NOTICE_LIFECYCLE,
    ExtendRemedyNotice,
    IssueRemedyNotice,
    RecordNoticeComplied,
    RecordNoticeFailed,
)
from casework.domain.provider_failure import (
    PROVIDER_FAILURE,
    PROVIDER_FAILURE_LIFECYCLE,
    CloseProcedure,
    IdentifyFailureConcern,
    InitiateProcedure,
    ReviewContingencyPlan,
    StartContingencyPlanning,
    StartResidentsMoving,
)
from casework.domain.safeguarding import CONCERN_LIFECYCLE, SAFEGUARDING
from casework.domain.visits import ASSESSMENT, VISIT
from casework.events.errors import ConcurrencyError
from casework.events.links import RecordKind, RecordRef
from casework.projections.provider_view import provider_state, provider_view
from casework.projections.sources import local_date
from casework.projections.triage import triage_inbox
from casework.workflows.deadline_calendar import pending_deadlines
from casework.workflows.rulebook import derive
from casework.workflows.service_levels import SERVICE_LEVEL_KINDS

ACTORS = {"manager": Actor("mia", Role.manager), "officer": Actor("amy", Role.officer)}
SERVICE_LEVEL_DEADLINES = frozenset(SERVICE_LEVEL_KINDS.values())
n = st.integers(0, 7)  # which record of its kind a command is about (7: one never made)

STEPS = st.one_of(
    st.tuples(st.just("wait"), st.integers(1, 24 * 12)),
    st.tuples(st.just("log"),),
    st.tuples(st.just("allocate"), n, st.sampled_from(["amy", "bob"])),
    st.tuples(st.just("assess"), n, st.sampled_from(["low", "medium", "high", "critical"]),
              st.booleans()),
    st.tuples(st.just("act"), n),
    st.tuples(st.just("close_record"), n, st.sampled_from(["actioned", "no_further_action"])),
    st.tuples(st.just("reopen"), n),
    st.tuples(st.just("raise_concern"),),
    st.tuples(st.just("refer"), n, st.booleans()),
    st.tuples(st.just("concern_outcome"), n),
    st.tuples(st.just("close_concern"), n),
    st.tuples(st.just("plan_visit"), st.sampled_from(["full_monitoring", "responsive", "welcome"])),
    st.tuples(st.just("reschedule"), n),
    st.tuples(st.just("complete_visit"), n),
    st.tuples(st.just("cancel_visit"), n),
    st.tuples(st.just("open_assessment"),),
    st.tuples(st.just("link_visit"), n, n),
    st.tuples(st.just("conclude"), n),
    st.tuples(st.just("raise_plan"), st.integers(0, 20)),
    st.tuples(st.just("add_item"), n, st.integers(0, 20)),
    st.tuples(st.just("item"), n, st.integers(1, 3),
              st.sampled_from(["start", "complete", "verify", "return", "due"])),
    st.tuples(st.just("escalate"), st.sampled_from([None, "contract_suspension", "terminated"])),
    st.tuples(st.just("terminate"),),
    st.tuples(st.just("lift"), st.sampled_from(["monitoring", "requirement_to_improve",
                                                 "contract_suspension"])),
    st.tuples(st.just("issue_notice"), st.integers(0, 30)),
    st.tuples(st.just("notice"), n, st.sampled_from(["comply", "extend", "fail"])),
    st.tuples(st.just("failure_concern"),),
    st.tuples(st.just("failure"), n, st.sampled_from(["initiate", "plan", "review", "move",
                                                      "recovered", "provider_exited"])),
)
# A guided step takes an action its record allows now (so that histories get deep); the others
# are tried whatever the state, and are often refused.
GUIDED = st.tuples(st.just("next"), st.sampled_from(["record", "concern", "visit", "assessment",
                                                      "plan", "notice", "failure"]), n, n)
GUIDED_RECORD = st.tuples(st.just("next"), st.just("record"), n, n)  # the rules at issue
RUNS = st.lists(
    st.tuples(st.sampled_from(["manager", "manager", "manager", "officer"]),
              # .map: one branch, not flattened into STEPS' branches: a third of the steps each
              st.one_of(GUIDED_RECORD, GUIDED, STEPS.map(tuple))),
    min_size=8, max_size=24,
)
# Every example starts with one record of each kind, so that its steps have something to act on,
# and a second intelligence record already risk assessed (the middle of triage).
PRELUDE = [("log",), ("raise_concern",), ("plan_visit", "full_monitoring"), ("open_assessment",),
           ("raise_plan", 3), ("issue_notice", 10), ("failure_concern",),
           ("log",), ("allocate", 1, "amy"), ("assess", 1, "high", False)]
RISKS = ("low", "medium", "high", "critical")


def _moving_first(lifecycle, state: str) -> list[str]:
    """The actions allowed in ``state``, those that leave it first (small choices go deep)."""
    return sorted(lifecycle.allowed_actions(state),
                  key=lambda a: (lifecycle.destination(state, a) == state, a))


class Example:
    """One example's provider and records, and the command each step makes of them."""

    def __init__(self, cw) -> None:
        self.cw = cw
        self.ids: dict[str, list[str]] = {k: [] for k in (
            "record", "concern", "visit", "assessment", "plan", "notice", "failure")}
        self.pid = cw.application.execute(
            RegisterProvider(name="Rose Court", service_type="care_home_residential"),
            ACTORS["manager"]).aggregate_id

    def pick(self, kind: str, index: int) -> str:
        found = self.ids[kind]
        if index == 7 or not found:
            return str(uuid.uuid4())  # unknown: NotFound
        return found[index % len(found)]

    def guided(self, kind: str, index: int, choice: int) -> tuple:
        """A step taking one of the actions ``kind``'s record allows now (or a refused one)."""
        found = self.ids[kind]
        if not found:
            return ("wait", 1)
        i = index % len(found)
        aggregate = {"record": INTELLIGENCE, "concern": SAFEGUARDING, "visit": VISIT,
                     "assessment": ASSESSMENT, "plan": ACTION_PLAN, "notice": NOTICE,
                     "failure": PROVIDER_FAILURE}[kind]
        state = self.cw.application.read(aggregate, found[i]).state
        if kind == "plan":
            if not state.items:
                return ("wait", 1)
            item = state.items[choice % len(state.items)]
            actions = _moving_first(ITEM_LIFECYCLE, item.state) or ["verify"]
            action = actions[choice % len(actions)]
            return ("item", i, int(item.item_id), {"change_due_date": "due"}.get(action, action))
        actions = _moving_first(aggregate.lifecycle, aggregate.state_of(state)) or ["close"]
        action = actions[choice % len(actions)]
        return {
            "allocate": ("allocate", i, ("amy", "bob")[choice % 2]),
            "assess": ("assess", i, RISKS[choice % 4], choice % 3 != 0),
            "take_action": ("act", i),
            "close": {"record": ("close_record", i, "actioned" if getattr(state, "actions", ())
                                 else "no_further_action"),
                      "concern": ("close_concern", i)}.get(kind, ("wait", 1)),
            "reopen": ("reopen", i),
            "refer": ("refer", i, choice % 2 == 0),
            "record_outcome": ("concern_outcome", i),
            "reschedule": ("reschedule", i),
            "complete": ("complete_visit", i),
            "cancel": ("cancel_visit", i),
            "link_visit": ("link_visit", i, choice),
            "conclude": ("conclude", i),
            "comply": ("notice", i, "comply"),
            "extend": ("notice", i, "extend"),
            "fail": ("notice", i, "fail"),
            "initiate": ("failure", i, "initiate"),
            "plan_contingency": ("failure", i, "plan"),
            "review_contingency": ("failure", i, "review"),
            "move_residents": ("failure", i, "move"),
            "close_recovered": ("failure", i, "recovered"),
            "close_provider_exited": ("failure", i, "provider_exited"),
        }.get(action, ("wait", 1))

    def today(self) -> date:
        return local_date(self.cw.clock.now())

    def command(self, step: tuple):
        kind, *a = step
        pid, pick, today = self.pid, self.pick, self.today()
        if kind == "log":
            return LogIntelligence(provider_id=pid, source="complaint", summary="Night staffing",
                                   received_at=self.cw.clock.now() - timedelta(hours=3)), "record"
        if kind == "allocate":
            return AllocateIntelligence(record_id=pick("record", a[0]), officer=a[1]), None
        if kind == "assess":
            return AssessRisk(record_id=pick("record", a[0]), risk=a[1], action_required=a[2],
                              rationale="as found"), None
        if kind == "act":
            return TakeIntelligenceAction(record_id=pick("record", a[0]),
                                          action="responsive_visit"), None
        if kind == "close_record":
            return CloseIntelligence(record_id=pick("record", a[0]), outcome=a[1]), None
        if kind == "reopen":
            return ReopenIntelligence(record_id=pick("record", a[0]), reason="new evidence"), None
        if kind == "raise_concern":
            return RaiseSafeguardingConcern(provider_id=pid, category="neglect",
                                            summary="Pressure sores"), "concern"
        if kind == "refer":
            return ReferSafeguardingConcern(concern_id=pick("concern", a[0]), section_42=a[1]), None
        if kind == "concern_outcome":
            return RecordSafeguardingOutcome(concern_id=pick("concern", a[0]),
                                             outcome="inconclusive"), None
        if kind == "close_concern":
            return CloseSafeguardingConcern(concern_id=pick("concern", a[0])), None
        if kind == "plan_visit":
            return PlanVisit(provider_id=pid, reason=a[0],
                             planned_for=self.cw.clock.now() + timedelta(days=3)), "visit"
        if kind == "reschedule":
            return RescheduleVisit(visit_id=pick("visit", a[0]),
                                   planned_for=self.cw.clock.now() + timedelta(days=5)), None
        if kind == "complete_visit":
            return CompleteVisit(visit_id=pick("visit", a[0]), findings="seen", rag="amber",
                                 compliant=True), None
        if kind == "cancel_visit":
            return CancelVisit(visit_id=pick("visit", a[0]), reason="provider asked"), None
        if kind == "open_assessment":
            return OpenAssessment(provider_id=pid), "assessment"
        if kind == "link_visit":
            return LinkAssessmentVisit(assessment_id=pick("assessment", a[0]),
                                       visit_id=pick("visit", a[1])), None
        if kind == "conclude":
            return ConcludeAssessment(assessment_id=pick("assessment", a[0]), outcome="compliant",
                                      rag="green"), None
        if kind == "raise_plan":
            item = NewActionItem(description="Update care plans", theme="staffing", owner="manager",
                                 due=today + timedelta(days=a[0]))
            return RaiseActionPlan(provider_id=pid, items=[item, item.model_copy()],
                                   raised_from=RecordRef(kind=RecordKind.intelligence,
                                                         id=pick("record", 0))), "plan"
        if kind == "add_item":
            item = NewActionItem(description="Audit medication", theme="other", owner="manager",
                                 due=today + timedelta(days=a[1]))
            return AddActionItem(plan_id=pick("plan", a[0]), item=item), None
        if kind == "item":
            ref = {"plan_id": pick("plan", a[0]), "item_id": str(a[1])}
            return {
                "start": StartActionItem(**ref),
                "complete": CompleteActionItem(**ref),
                "verify": VerifyActionItem(**ref),
                "return": ReturnActionItem(**ref, reason="not done"),
                "due": ChangeActionItemDueDate(**ref, due=today + timedelta(days=10), reason="agreed"),
            }[a[2]], None
        if kind == "escalate":
            return EscalateContract(provider_id=pid, to=a[0], reason="serious risk",
                                    grounds="fraud" if a[0] else None), None
        if kind == "terminate":
            return TerminateContract(provider_id=pid, reason="serious risk"), None
        if kind == "lift":
            return LiftSanction(provider_id=pid, to=a[0], improvement="verified"), None
        if kind == "issue_notice":
            return IssueRemedyNotice(provider_id=pid, breach="staffing", actions=["recruit"],
                                     remedy_by=today + timedelta(days=a[0])), "notice"
        if kind == "notice":
            nid = pick("notice", a[0])
            return {
                "comply": RecordNoticeComplied(notice_id=nid),
                "extend": ExtendRemedyNotice(notice_id=nid, remedy_by=today + timedelta(days=40),
                                             reason="progress"),
                "fail": RecordNoticeFailed(notice_id=nid),
            }[a[1]], None
        if kind == "failure_concern":
            return IdentifyFailureConcern(provider_id=pid, trigger="financial_collapse",
                                          summary="Bank refused credit"), "failure"
        if kind == "failure":
            ident = pick("failure", a[0])
            return {
                "initiate": InitiateProcedure(procedure_id=ident, lead="mia"),
                "plan": StartContingencyPlanning(procedure_id=ident, strategy_meeting_notes="met"),
                "review": ReviewContingencyPlan(procedure_id=ident, note="on track"),
                "move": StartResidentsMoving(procedure_id=ident, residents_to_move=3),
                "recovered": CloseProcedure(procedure_id=ident, outcome="recovered", note="ok"),
                "provider_exited": CloseProcedure(procedure_id=ident, outcome="provider_exited",
                                                  note="gone"),
            }[a[1]], None
        raise AssertionError(step)

    # ------------------------------------------------------------------ the checks
    def check(self) -> None:
        cw = self.cw
        app, now = cw.application, cw.clock.now()
        # Every deadline rule reads one stream, so the provider's history derives its deadlines.
        derived = derive(cw.store.read_history(self.pid)).pending(provider_id=self.pid)
        calendar = pending_deadlines(cw, provider_id=self.pid)
        assert calendar == derived

        inbox = {i.record_id: i for i in triage_inbox(cw, provider_id=self.pid)}
        assert set(inbox) == set(self.ids["record"])
        records = [app.read(INTELLIGENCE, rid).state for rid in self.ids["record"]]
        for record in records:
            row = inbox[record.id]
            assert (row.state, row.assigned_to, row.risk, row.action_required, row.outcome,
                    row.version) == (record.state, record.officer, record.risk,
                                     record.action_required, record.outcome, record.version)
            level = service_level_of(record)
            assert row.service_level == (level.value if level else None)
            due = [d for d in calendar if d.source == f"intelligence-{record.id}"
                   and d.kind in SERVICE_LEVEL_DEADLINES]
            assert [(d.kind, d.due_at) for d in due] == (
                [(SERVICE_LEVEL_KINDS[level], row.due_at)] if level else []
            )

        concerns = [app.read(SAFEGUARDING, i).state for i in self.ids["concern"]]
        plans = [app.read(ACTION_PLAN, i).state for i in self.ids["plan"]]
        notices = [app.read(NOTICE, i).state for i in self.ids["notice"]]
        failures = [app.read(PROVIDER_FAILURE, i).state for i in self.ids["failure"]]
        visits = [app.read(VISIT, i).state for i in self.ids["visit"]]
        assessments = [app.read(ASSESSMENT, i).state for i in self.ids["assessment"]]
        escalation = app.read(ESCALATION, self.pid)
        items = [i for p in plans for i in p.items]
        view = provider_view(cw, self.pid, now=now)
        assert view is not None
        assert (view.escalation_stage, view.escalation_version, view.closed_to_new_placements) == (
            escalation.state.stage, escalation.version,
            closed_to_new_placements(escalation.state.stage))
        assert view.open_intelligence == sum(r.state in OPEN_STATES for r in records)
        assert view.open_safeguarding_concerns == sum(
            not CONCERN_LIFECYCLE.is_final(c.state) for c in concerns)
        assert view.open_action_plans == sum(p.state == "open" for p in plans)
        assert view.open_action_items == sum(i.state in ITEM_OPEN_STATES for i in items)
        assert view.overdue_action_items == sum(is_overdue(i, now) for i in items)
        assert view.open_remedy_notices == sum(not NOTICE_LIFECYCLE.is_final(x.state) for x in notices)
        assert view.open_provider_failure_procedures == sum(
            not PROVIDER_FAILURE_LIFECYCLE.is_final(f.stage) for f in failures)
        assert view.next_full_monitoring_planned == any(
            v.state == "planned" and v.reason == "full_monitoring" for v in visits)
        # What the risk matrix reads: each open record's state and assessment, ongoing assessments.
        folded = provider_state(cw, self.pid)
        assert folded["records"] == {
            r.id: [r.state, r.risk, bool(r.action_required)] for r in records if r.state in OPEN_STATES
        }
        assert set(folded["assessments"]) == {a.id for a in assessments if a.state == "ongoing"}


@settings(max_examples=40, deadline=None, phases=[Phase.generate, Phase.shrink],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(run=RUNS)
def test_every_read_model_agrees_with_the_aggregates_after_any_commands(casework, run) -> None:
    example = Example(casework)  # a provider of its own: the store is shared by the examples
    for who, step in [("manager", s) for s in PRELUDE] + run:
        if step[0] == "next":
            step = example.guided(*step[1:])
        if step[0] == "wait":
            casework.clock.advance(timedelta(hours=step[1]))
            example.check()
            continue
        command, creates = example.command(step)
        head = casework.store.head_position()
        try:
            result = casework.application.execute(command, ACTORS[who])
        except (DomainError, ConcurrencyError) as refused:
            assert casework.store.head_position() == head  # refused: nothing appended
            event(f"refused: {type(refused).__name__}")
        else:
            event(f"accepted: {step[0]}")
            if creates:
                example.ids[creates].append(result.aggregate_id)
        example.check()
