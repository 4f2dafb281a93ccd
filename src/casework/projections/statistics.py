"""Statistics for any period, from facts kept per record and keyed by date.

The ``statistics`` projection folds each record's stream (a visit, an assessment, an
intelligence record, an action plan, a provider, its escalation, a notice) into one fact row
with the dates things happened (``occurred_at`` as a council-local date). ``statistics(source,
from_date, to_date)`` then answers any period with SQL over those dates: nothing is a counter,
so a period that was never asked for before is as exact as the annual one.

Definitions (both inclusive dates):
- intelligence_logged: records logged in the period; intelligence_actioned: of those, the ones
  whose (latest) risk assessment found that action was required (Leicester: 2161 / 417).
- visits: visits completed in the period, by reason; ``visits_by_kind`` splits the assessment
  visits into announced / unannounced full monitoring visits and ``additional`` ones, and counts
  responsive plus safe and wellbeing visits as ``responsive`` (Leicester: 152 + 20 + 292).
- qaf_by_service_type: assessments concluded in the period, compliant or non-compliant, and
  assessments opened by the period's end and not concluded by then (ongoing), by service type.
- open_action_plans_by_service_type (and ``_by_group``, North Northamptonshire's groups): plans
  raised by the period's end and not closed by then.
- rag_by_category / rag_by_year: RAG outcomes of visits completed in the period (one count per
  visit per client category of its provider; by financial year, one count per visit).
- sanctions_in_force / notices_open: at the period's end.
- contracts_terminated: contracts terminated in the period, after a 90 day final notice ran its
  course or immediately for a serious breach (``immediate_terminations``, by grounds).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Boolean, Column, Date, Integer, String, Table, Text, and_, func, or_, select

from casework.domain.enums import (
    AssessmentOutcome,
    ClientCategory,
    CqcRating,
    IntelligenceOutcome,
    Rag,
    ServiceType,
    VisitReason,
    VisitState,
)
from casework.domain.escalation import STAGE_ENTERED_BY_TYPE
from casework.domain.fields import enum_width
from casework.domain.notices import ACTION_OF_TYPE as NOTICE_ACTIONS
from casework.domain.notices import NOTICE_LIFECYCLE, NoticeState
from casework.domain.periods import financial_year as financial_year_of
from casework.domain.visits import VISIT_ACTION_OF_TYPE, VISIT_LIFECYCLE
from casework.events.sanctions import SanctionStage
from casework.events.store import StoredEvent
from casework.projections.base import read_models
from casework.projections.fold import PartitionedFold, State, current_data
from casework.projections.sources import connect, local_date

_R = TypeVar("_R", bound=Any)
_STAGE_BY_TYPE = {name: stage.value for name, stage in STAGE_ENTERED_BY_TYPE.items()}
ASSESSMENT_REASONS = ("full_monitoring", "additional")
RESPONSIVE_REASONS = ("responsive", "safe_and_wellbeing")
RATING_ORDER = ("outstanding", "good", "requires_improvement", "inadequate")


def _table(name: str, *columns: Column, multi: bool = False) -> Table:
    # a stream: unbounded, as ids are
    key: list[Column[Any]] = [Column("partition", Text, primary_key=True)]
    if multi:
        key.append(Column("seq", Integer, primary_key=True, autoincrement=False))
    return Table(name, read_models, *key, *columns)


# Ids are unbounded text; a column holding an enum's value is sized from the enum
# (casework.domain.fields), so anything the domain accepts fits.
def _enum(*enums: type[StrEnum]) -> String:
    return String(enum_width(*enums))


st_providers = _table(
    "st_providers", Column("provider_id", Text, index=True),
    Column("service_type", _enum(ServiceType)), Column("categories", Text),  # joined with ","
    Column("contracted", Boolean), Column("beds", Integer),
)
st_categories = _table(
    "st_provider_categories", Column("provider_id", Text, index=True),
    Column("category", _enum(ClientCategory)), multi=True,
)
st_ratings = _table(
    "st_cqc_ratings", Column("provider_id", Text, index=True),
    Column("report_date", Date), Column("overall", _enum(CqcRating)), multi=True,
)
st_intelligence = _table(
    "st_intelligence", Column("provider_id", Text), Column("logged_on", Date, index=True),
    Column("action_required", Boolean), Column("assessed_on", Date),
    Column("first_action_on", Date), Column("closed_on", Date),
    Column("outcome", _enum(IntelligenceOutcome)),
)
st_visits = _table(
    "st_visits", Column("provider_id", Text), Column("reason", _enum(VisitReason)),
    Column("announced", Boolean), Column("out_of_hours", Boolean),
    Column("state", _enum(VisitState)),
    Column("planned_on", Date), Column("completed_on", Date, index=True),
    Column("rag", _enum(Rag)), Column("compliant", Boolean),
)
st_assessments = _table(
    "st_assessments", Column("provider_id", Text), Column("opened_on", Date),
    Column("concluded_on", Date), Column("outcome", _enum(AssessmentOutcome)),
    Column("rag", _enum(Rag)),
)
st_plans = _table(
    "st_action_plans", Column("provider_id", Text), Column("raised_on", Date),
    Column("closed_on", Date),
)
st_sanctions = _table(
    "st_sanctions", Column("provider_id", Text), Column("stage", _enum(SanctionStage)),
    Column("from_on", Date), Column("to_on", Date), multi=True,
)
st_terminations = _table(
    "st_terminations", Column("provider_id", Text), Column("terminated_on", Date, index=True),
    Column("immediate", Boolean), Column("grounds", Text),  # the council's words: unbounded
)
st_notices = _table(
    "st_notices", Column("provider_id", Text), Column("issued_on", Date),
    Column("resolved_on", Date), Column("outcome", _enum(NoticeState)),  # a final state
)

_PREFIXES = ("provider", "intelligence", "visit", "assessment", "action-plan", "escalation", "notice")


def _kind(stream: str) -> str | None:
    for prefix in _PREFIXES:
        if stream.startswith(prefix + "-") and not (
            prefix == "provider" and stream.startswith("provider-failure-")
        ):
            return prefix
    return None


def _on(event: StoredEvent) -> str:
    return local_date(event.occurred_at).isoformat()


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# ----------------------------------------------------------------------------- the fold
def fold(state: State | None, event: StoredEvent) -> State:
    """Pure: one record's facts after ``event``."""
    kind = _kind(event.stream)
    d = current_data(event)
    s: State = state if state is not None else {"kind": kind, "provider_id": event.provider_id}
    t, on = event.type, _on(event)
    if kind == "provider":
        if t == "ProviderRegistered":
            s["contracted"] = d.get("contracted", True)  # recorded before the field: contracted
        if t in ("ProviderRegistered", "ProviderDetailsChanged"):
            for key in ("service_type", "categories", "contracted", "beds"):
                if d.get(key) is not None:
                    s[key] = d[key]
        elif t == "CqcRatingPublished" and d.get("overall"):
            s.setdefault("ratings", []).append([d["report_date"], d["overall"]])
    elif kind == "intelligence":
        if t == "IntelligenceLogged":
            s.update(logged_on=on, action_required=None, assessed_on=None, first_action_on=None,
                     closed_on=None, outcome=None)
        elif t == "RiskAssessed":
            s.update(action_required=bool(d["action_required"]), assessed_on=on)
        elif t == "IntelligenceActionTaken":
            s["first_action_on"] = s["first_action_on"] or on
        elif t == "IntelligenceClosed":
            s.update(closed_on=on, outcome=d["outcome"])
        elif t == "IntelligenceReopened":
            s.update(closed_on=None, outcome=None)
    elif kind == "visit":
        if t == "VisitPlanned":
            s.update(reason=d["reason"], announced=bool(d.get("announced", True)),
                     out_of_hours=bool(d.get("out_of_hours", False)), state=VISIT_LIFECYCLE.initial,
                     planned_on=local_date(_dt(d["planned_for"])).isoformat(),
                     completed_on=None, rag=None, compliant=None)
        else:
            s["state"] = VISIT_LIFECYCLE.replay(event.stream, s["state"], VISIT_ACTION_OF_TYPE[t])
            if t == "VisitRescheduled":
                s["planned_on"] = local_date(_dt(d["planned_for"])).isoformat()
            elif t == "VisitCompleted":
                s.update(completed_on=on, rag=d.get("rag"), compliant=d.get("compliant"))
    elif kind == "assessment":
        if t == "AssessmentOpened":
            s.update(opened_on=on, concluded_on=None, outcome=None, rag=None)
        elif t == "AssessmentConcluded":
            s.update(concluded_on=on, outcome=d["outcome"], rag=d["rag"])
    elif kind == "action-plan":
        if t == "ActionPlanRaised":
            s.update(raised_on=on, closed_on=None)
        elif t == "ActionPlanClosed":
            s["closed_on"] = on
    elif kind == "escalation":
        stage = _STAGE_BY_TYPE.get(t) or (d["to_stage"] if t == "SanctionLifted" else None)
        if stage:
            periods = s.setdefault("periods", [])
            if periods and periods[-1][2] is None:
                periods[-1][2] = on
            periods.append([stage, on, None])
        if t == "ContractTerminated":
            s["terminated"] = [on, bool(d.get("immediate")), d.get("grounds")]
    elif kind == "notice":
        # The notice's state, replayed; a final state (complied, failed) is its outcome.
        notice_state = NOTICE_LIFECYCLE.replay(
            event.stream, s.get("state", NOTICE_LIFECYCLE.initial), NOTICE_ACTIONS[t]
        )
        s["state"] = notice_state
        if t == "RemedyNoticeIssued":
            s.update(issued_on=on, resolved_on=None, outcome=None)
        elif NOTICE_LIFECYCLE.is_final(notice_state):
            s.update(resolved_on=on, outcome=notice_state)
    return s


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _rows(partition: str, s: State) -> dict[str, list[dict[str, Any]]]:
    kind, pid = s["kind"], s["provider_id"]
    if kind == "provider":
        cats = s.get("categories") or []
        return {
            st_providers.name: [{"provider_id": pid, "service_type": s.get("service_type"),
                                 "categories": ",".join(cats),
                                 "contracted": s.get("contracted", True), "beds": s.get("beds")}],
            st_categories.name: [{"seq": i, "provider_id": pid, "category": c}
                                 for i, c in enumerate(cats)],
            st_ratings.name: [{"seq": i, "provider_id": pid, "report_date": _d(r), "overall": o}
                              for i, (r, o) in enumerate(s.get("ratings", []))],
        }
    if kind == "intelligence" and "logged_on" in s:
        return {st_intelligence.name: [{
            "provider_id": pid, "logged_on": _d(s["logged_on"]),
            "action_required": s["action_required"], "assessed_on": _d(s["assessed_on"]),
            "first_action_on": _d(s["first_action_on"]), "closed_on": _d(s["closed_on"]),
            "outcome": s["outcome"],
        }]}
    if kind == "visit" and "reason" in s:
        return {st_visits.name: [{
            "provider_id": pid, "reason": s["reason"], "announced": s["announced"],
            "out_of_hours": s["out_of_hours"], "state": s["state"],
            "planned_on": _d(s["planned_on"]), "completed_on": _d(s["completed_on"]),
            "rag": s["rag"], "compliant": s["compliant"],
        }]}
    if kind == "assessment" and "opened_on" in s:
        return {st_assessments.name: [{
            "provider_id": pid, "opened_on": _d(s["opened_on"]),
            "concluded_on": _d(s["concluded_on"]), "outcome": s["outcome"], "rag": s["rag"],
        }]}
    if kind == "action-plan" and "raised_on" in s:
        return {st_plans.name: [{"provider_id": pid, "raised_on": _d(s["raised_on"]),
                                 "closed_on": _d(s["closed_on"])}]}
    if kind == "escalation":
        terminated = s.get("terminated")
        return {
            st_sanctions.name: [
                {"seq": i, "provider_id": pid, "stage": st, "from_on": _d(f), "to_on": _d(t)}
                for i, (st, f, t) in enumerate(s.get("periods", []))
            ],
            st_terminations.name: [{
                "provider_id": pid, "terminated_on": _d(terminated[0]), "immediate": terminated[1],
                "grounds": terminated[2],
            }] if terminated else [],
        }
    if kind == "notice" and "issued_on" in s:
        return {st_notices.name: [{"provider_id": pid, "issued_on": _d(s["issued_on"]),
                                   "resolved_on": _d(s["resolved_on"]), "outcome": s["outcome"]}]}
    return {}


class StatisticsProjection(PartitionedFold):
    name: ClassVar[str] = "statistics"
    # 2: a notice's state is replayed through its lifecycle (kept in the fold's state).
    # 3: ids are unbounded text, enum values sized from their enums (casework.domain.fields).
    # 4: providers keep whether the council contracts them, and their beds.
    # 5: terminations, after a final notice or immediate (st_terminations).
    version: ClassVar[int] = 5
    rebuild_cost: ClassVar[float] = 12.0  # us per event, for sharing a rebuild (parallel.py)
    event_types: ClassVar[frozenset[str]] = frozenset({
        "ProviderRegistered", "ProviderDetailsChanged", "CqcRatingPublished",
        "IntelligenceLogged", "RiskAssessed", "IntelligenceActionTaken", "IntelligenceClosed",
        "IntelligenceReopened", "VisitPlanned", "VisitRescheduled", "VisitCompleted",
        "VisitCancelled", "AssessmentOpened", "AssessmentConcluded", "ActionPlanRaised",
        "ActionPlanClosed", *_STAGE_BY_TYPE, "SanctionLifted", *NOTICE_ACTIONS,
    })
    query_tables: ClassVar[list[Table]] = [
        st_providers, st_categories, st_ratings, st_intelligence, st_visits, st_assessments,
        st_plans, st_sanctions, st_terminations, st_notices,
    ]

    def partition(self, event: StoredEvent) -> str | None:
        return event.stream if _kind(event.stream) else None

    def fold(self, state: State | None, event: StoredEvent) -> State:
        return fold(state, event)

    def rows(self, partition: str, state: State) -> dict[str, list[dict[str, Any]]]:
        return _rows(partition, state)


PROJECTION = StatisticsProjection()


# ----------------------------------------------------------------------------- the answer
class QafOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    compliant: int = 0
    non_compliant: int = 0
    ongoing: int = 0


class Population(StrEnum):
    """Whose figures: the council's contracted providers (the default everywhere), or every
    provider Casework knows of, market intelligence included (CQC locations of other areas)."""

    contracted = "contracted"
    all = "all"

    @property
    def label(self) -> str:
        return "contracted providers" if self is Population.contracted else "providers known (all)"


class RatingProfile(BaseModel):
    """Providers' latest overall CQC rating at the period's end."""

    model_config = ConfigDict(frozen=True)

    counts: dict[str, int]
    not_rated: int
    reinspected: int  # providers with a rating published within the period
    improved: int  # ... better than their previous one
    # service type -> rating (or "not_rated") -> providers
    by_service_type: dict[str, dict[str, int]] = {}


class Statistics(BaseModel):
    model_config = ConfigDict(frozen=True)

    period_from: date
    period_to: date
    intelligence_logged: int
    intelligence_actioned: int
    visits_total: int
    visits_by_reason: dict[str, int]
    visits_by_kind: dict[str, int]  # announced, unannounced, additional, responsive, out_of_hours
    visits_per_month: dict[str, int]  # yyyy-mm -> completed visits
    qaf_by_service_type: dict[str, QafOutcome]
    open_action_plans_by_service_type: dict[str, int]
    open_action_plans_by_group: dict[str, int]
    rag_by_category: dict[str, dict[str, int]]  # category -> red/amber/green
    rag_by_year: dict[str, dict[str, int]]  # financial year "2014/15" -> red/amber/green
    rag_by_year_and_category: dict[str, dict[str, dict[str, int]]]
    sanctions_in_force: dict[str, int]  # stage -> providers at it on the last day
    contracts_terminated: int = 0  # in the period, however
    immediate_terminations: dict[str, int] = {}  # of those, immediately for a serious breach: grounds -> n
    notices_open: int
    cqc_ratings: RatingProfile
    # Whose figures these are (every figure above counts only this population's records), how
    # many providers it holds at the period's end, and their beds (care homes).
    population: Population = Population.contracted
    providers_counted: int = 0
    beds: int = 0
    beds_by_service_type: dict[str, int] = {}

    @property
    def assessment_visits(self) -> int:
        k = self.visits_by_kind
        return k.get("announced", 0) + k.get("unannounced", 0) + k.get("additional", 0)


def financial_year(day: date) -> str:
    """The name of the financial year ``day`` falls in ("2018/19")."""
    return financial_year_of(day).name


def activity_span(source: Any, until: date) -> tuple[date, date] | None:
    """The first and last day, up to ``until``, on which the team did casework: completed a
    visit or assessed an intelligence record (records an import logs by itself do not count).
    None when it has done none."""
    v, i = st_visits, st_intelligence
    with connect(source) as conn:
        visits = conn.execute(select(func.min(v.c.completed_on), func.max(v.c.completed_on)).where(
            v.c.state == VisitState.completed.value, v.c.completed_on <= until)).one()
        assessed = conn.execute(select(func.min(i.c.assessed_on), func.max(i.c.assessed_on))
                                .where(i.c.assessed_on <= until)).one()
    firsts = [d for d in (visits[0], assessed[0]) if d is not None]
    lasts = [d for d in (visits[1], assessed[1]) if d is not None]
    return (min(firsts), max(lasts)) if firsts else None


def plan_group(service_type: str | None, categories: str | None) -> str:
    """North Northamptonshire's groups: older person or working age, by kind of service."""
    if service_type == "day_service":
        return "day_services"
    older = "OP" in (categories or "").split(",")
    residential = service_type in ("care_home_residential", "care_home_nursing")
    age = "older_person" if older else "working_age"
    if residential:
        return f"{age}_residential_nursing"
    return "older_person_domiciliary" if older else "working_age_supported_living_domiciliary"


def _providers(conn: Any, population: Population) -> dict[str, tuple[str | None, str | None, int | None]]:
    p = st_providers
    query = select(p.c.provider_id, p.c.service_type, p.c.categories, p.c.beds)
    if population is Population.contracted:
        query = query.where(p.c.contracted.is_(True))
    return {r[0]: (r[1], r[2], r[3]) for r in conn.execute(query)}


def statistics(
    source: Any, from_date: date, to_date: date, population: Population = Population.contracted
) -> Statistics:
    """The figures of the period ``from_date``..``to_date`` (inclusive, council-local dates),
    counting the records of ``population``'s providers only: the council's contracted providers
    by default, or every provider known (``Population.all``: records of no known provider too)."""
    with connect(source) as conn:
        providers = _providers(conn, population)
        i = st_intelligence
        logged = conn.execute(
            select(i.c.provider_id, i.c.action_required).where(i.c.logged_on.between(from_date, to_date))
        ).all()
        v = st_visits
        visits = conn.execute(
            select(v.c.provider_id, v.c.reason, v.c.announced, v.c.out_of_hours,
                   v.c.completed_on, v.c.rag)
            .where(v.c.state == VisitState.completed.value, v.c.completed_on.between(from_date, to_date))
        ).all()
        a = st_assessments
        assessments = conn.execute(
            select(a.c.provider_id, a.c.opened_on, a.c.concluded_on, a.c.outcome).where(
                a.c.opened_on <= to_date,
                or_(a.c.concluded_on.is_(None), a.c.concluded_on >= from_date),
            )
        ).all()
        pl = st_plans
        plans = conn.execute(
            select(pl.c.provider_id).where(
                pl.c.raised_on <= to_date, or_(pl.c.closed_on.is_(None), pl.c.closed_on > to_date)
            )
        ).all()
        sa = st_sanctions
        sanctions = conn.execute(
            select(sa.c.stage, sa.c.provider_id).where(
                sa.c.from_on <= to_date, or_(sa.c.to_on.is_(None), sa.c.to_on > to_date),
                sa.c.stage != "monitoring",
            )
        ).all()
        te = st_terminations
        terminations = conn.execute(
            select(te.c.immediate, te.c.grounds).where(te.c.terminated_on.between(from_date, to_date))
        ).all()
        n = st_notices
        notices = conn.execute(
            select(n.c.provider_id).where(
                n.c.issued_on <= to_date, or_(n.c.resolved_on.is_(None), n.c.resolved_on > to_date)
            )
        ).all()
        c = st_categories
        categories: dict[str, list[str]] = defaultdict(list)
        for pid, cat in conn.execute(select(c.c.provider_id, c.c.category).order_by(c.c.seq)):
            categories[pid].append(cat)
        r = st_ratings
        ratings = conn.execute(
            select(r.c.provider_id, r.c.report_date, r.c.overall)
            .where(and_(r.c.report_date <= to_date)).order_by(r.c.report_date, r.c.seq)
        ).all()
    if population is Population.contracted:
        # Every figure counts only the records of the population's providers.
        logged, visits, assessments = _of(logged, providers), _of(visits, providers), _of(
            assessments, providers)
        plans, sanctions, notices = _of(plans, providers), _of(sanctions, providers), _of(
            notices, providers)
        ratings = _of(ratings, providers)
    beds: Counter[str] = Counter()
    for service, _cats, count in providers.values():
        if count:
            beds[service or "unknown"] += count
    return Statistics(
        period_from=from_date, period_to=to_date,
        intelligence_logged=len(logged),
        intelligence_actioned=sum(1 for row in logged if row.action_required),
        visits_total=len(visits), **_visit_figures(visits, categories),
        qaf_by_service_type=_qaf(assessments, providers, from_date, to_date),
        open_action_plans_by_service_type=dict(Counter(
            _service(providers, pid) or "unknown" for (pid,) in plans)),
        open_action_plans_by_group=dict(Counter(
            plan_group(*providers.get(pid, (None, None, None))[:2]) for (pid,) in plans)),
        sanctions_in_force=dict(Counter(stage for stage, _ in sanctions)),
        contracts_terminated=len(terminations),
        immediate_terminations=dict(Counter(g or "not recorded" for immediate, g in terminations
                                            if immediate)),
        notices_open=len(notices),
        cqc_ratings=_rating_profile(ratings, providers, from_date),
        population=population,
        providers_counted=len(providers),
        beds=sum(beds.values()),
        beds_by_service_type=dict(beds),
    )


def _of(rows: Sequence[_R], providers: dict) -> list[_R]:
    """The rows of ``providers``' records (each row has a ``provider_id``)."""
    return [row for row in rows if row.provider_id in providers]


def _service(providers: dict, pid: str) -> str | None:
    found = providers.get(pid)
    return found[0] if found else None


def _visit_figures(visits: Sequence[Any], categories: dict[str, list[str]]) -> dict[str, Any]:
    by_reason: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    per_month: Counter[str] = Counter()
    rag_by_category: dict[str, Counter[str]] = defaultdict(Counter)
    rag_by_year: dict[str, Counter[str]] = defaultdict(Counter)
    rag_by_both: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for pid, reason, announced, out_of_hours, completed_on, rag in visits:
        by_reason[reason] += 1
        per_month[completed_on.strftime("%Y-%m")] += 1
        if reason == "full_monitoring":
            by_kind["announced" if announced else "unannounced"] += 1
        elif reason == "additional":
            by_kind["additional"] += 1
        elif reason in RESPONSIVE_REASONS:
            by_kind["responsive"] += 1
        if out_of_hours:
            by_kind["out_of_hours"] += 1
        if rag:
            year = financial_year(completed_on)
            rag_by_year[year][rag] += 1
            for cat in categories.get(pid, []) or ["unknown"]:
                rag_by_category[cat][rag] += 1
                rag_by_both[year][cat][rag] += 1
    return {
        "visits_by_reason": dict(by_reason),
        "visits_by_kind": dict(by_kind),
        "visits_per_month": dict(sorted(per_month.items())),
        "rag_by_category": {k: dict(v) for k, v in rag_by_category.items()},
        "rag_by_year": {k: dict(v) for k, v in sorted(rag_by_year.items())},
        "rag_by_year_and_category": {
            y: {c: dict(v) for c, v in cats.items()} for y, cats in sorted(rag_by_both.items())
        },
    }


def _qaf(
    assessments: Sequence[Any], providers: dict, from_date: date, to_date: date
) -> dict[str, QafOutcome]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for pid, _opened, concluded, outcome in assessments:
        service = _service(providers, pid) or "unknown"
        if concluded is not None and from_date <= concluded <= to_date:
            counts[service][outcome] += 1
        elif concluded is None or concluded > to_date:
            counts[service]["ongoing"] += 1
    return {s: QafOutcome(**c) for s, c in counts.items()}


_RANK = {r: i for i, r in enumerate(RATING_ORDER)}


def _rating_profile(ratings: Sequence[Any], providers: dict, from_date: date) -> RatingProfile:
    history: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for pid, report_date, overall in ratings:
        history[pid].append((report_date, overall))
    counts: Counter[str] = Counter()
    by_service: dict[str, Counter[str]] = defaultdict(Counter)
    reinspected = improved = 0
    for pid, found in history.items():
        found.sort()
        latest_date, latest = found[-1]
        counts[latest] += 1
        by_service[_service(providers, pid) or "unknown"][latest] += 1
        if latest_date >= from_date:
            reinspected += 1
            earlier = [o for d, o in found[:-1] if d < latest_date and o in _RANK]
            if earlier and latest in _RANK and _RANK[latest] < _RANK[earlier[-1]]:
                improved += 1
    rated = {r: counts.get(r, 0) for r in RATING_ORDER}
    not_rated = len(providers) - sum(rated.values())
    for pid in providers.keys() - history.keys():
        by_service[_service(providers, pid) or "unknown"]["not_rated"] += 1
    return RatingProfile(counts=rated, not_rated=max(not_rated, 0), reinspected=reinspected,
                         improved=improved,
                         by_service_type={s: dict(c) for s, c in sorted(by_service.items())})


__all__ = [
    "PROJECTION",
    "Population",
    "QafOutcome",
    "RatingProfile",
    "Statistics",
    "StatisticsProjection",
    "activity_span",
    "financial_year",
    "plan_group",
    "statistics",
]
