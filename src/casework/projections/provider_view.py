"""The provider view: what a page shows about one provider, and the list of providers.

``fold(state, event)`` is a pure fold of everything recorded about a provider (all its streams,
in position order) into a plain dict. The read model keeps that dict per provider
(``provider_view_state``) plus ``rm_providers`` for filtering; ``view_of(state, now)`` turns it
into the ``ProviderView`` the API returns. Facts that depend on the day (overdue items, the risk
score, the next full monitoring due) are computed when read, so they are never stale.

Two times (docs/auditing.md): ``provider_view(source, id, happened_at=t1, known_at=t2)`` folds
the provider's history with the same fold.

- *As it happened at* ``t1``: every event that had happened by ``t1`` (``occurred_at``), whenever
  it was recorded, folded in the order things happened (``happened_order``). A visit written up a
  week late counts from the day of the visit.
- *As known at* ``t2``: only what had been recorded by ``t2`` (``recorded_at``), in log order: the
  page as the system showed it then. ``as_of`` is the older name of ``known_at``.

Both together: what the record held at ``t2`` about the world at ``t1``. The day a view is
computed for (overdue items, the risk matrix) is ``t1``, else ``t2``, else today.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, Index, String, Table, Text, func, or_, select

from casework.domain.action_plans import ITEM_ACTION_OF_TYPE, ITEM_LIFECYCLE
from casework.domain.enums import CqcRating, ProviderState, Rag, ServiceType
from casework.domain.escalation import CLOSED_TO_PLACEMENTS, STAGE_ENTERED_BY_TYPE
from casework.domain.fields import enum_width
from casework.domain.intelligence import ACTION_OF_TYPE as RECORD_ACTIONS
from casework.domain.intelligence import OPEN_STATES as OPEN_RECORD_STATES
from casework.domain.intelligence import RECORD_LIFECYCLE, IntelligenceState
from casework.domain.notices import ACTION_OF_TYPE as NOTICE_ACTIONS
from casework.domain.notices import NOTICE_LIFECYCLE
from casework.domain.provider_failure import ACTION_OF as FAILURE_ACTION_OF
from casework.domain.provider_failure import CLOSE_ACTION, PROVIDER_FAILURE_LIFECYCLE
from casework.domain.safeguarding import ACTION_OF_TYPE as CONCERN_ACTIONS
from casework.domain.safeguarding import CONCERN_LIFECYCLE
from casework.domain.visits import VISIT_ACTION_OF_TYPE, VISIT_LIFECYCLE
from casework.events.provider_failure import FailureOutcome
from casework.events.sanctions import SanctionStage
from casework.events.store import StoredEvent
from casework.events.store.reading import Order
from casework.projections.base import read_models
from casework.projections.fold import PartitionedFold, State, current_data
from casework.projections.risk_matrix import (
    RiskMatrix,
    assess,
    monitoring_interval_days,
    open_items,
    overdue_items,
)
from casework.projections.sources import connect, local_date, now_of, store_of

FULL_MONITORING = "full_monitoring"
# A record missing from a provider's open records is closed (it may be re-opened).
_CLOSED_RECORD = IntelligenceState.closed.value
_FAILURE_ACTIONS = {cls.type_name: action for cls, action in FAILURE_ACTION_OF.items()}
# A visit has one open state, its first (tests/projections/test_one_truth_per_rule.py): a visit
# in the map is planned, so its entry (which pages read) needs no state of its own.
_PLANNED = VISIT_LIFECYCLE.initial

rm_providers = Table(
    "rm_providers",
    read_models,
    # What a command chose (the id, names) is unbounded text; values from an enum are sized
    # from it (casework.domain.fields): so anything the domain accepts fits.
    Column("partition", Text, primary_key=True),  # the provider id
    Column("name", Text, nullable=True),
    Column("name_lower", Text, nullable=True),
    Column("service_type", String(enum_width(ServiceType)), nullable=True),
    Column("stage", String(enum_width(SanctionStage)), nullable=False),
    Column("rag", String(enum_width(Rag)), nullable=True),
    Column("cqc_rating", String(enum_width(CqcRating)), nullable=True),
    Column("district", Text, nullable=True),
    Column("state", String(enum_width(ProviderState)), nullable=False),
    Index("ix_rm_providers_stage", "stage"),
    Index("ix_rm_providers_service_type", "service_type"),
)


def new_state(provider_id: str) -> State:
    return {
        "id": provider_id, "name": None, "service_type": None, "categories": [],
        "district": None, "cqc_location_id": None, "state": ProviderState.active.value,
        "address": None, "postcode": None, "beds": None, "registered_manager": None,
        "contracted": True,
        "cqc_rating": None, "cqc_rated_on": None, "stage": "monitoring", "stage_since": None,
        "rag": None, "rag_on": None, "version": 0, "escalation_version": 0,
        # Each lifecycle's state is replayed through the domain's table; an entry leaves its
        # map when it reaches a final state (an intelligence record: when it is closed).
        "records": {},    # open intelligence: id -> [state, risk, action_required]
        "concerns": {},   # open safeguarding: id -> [state, section_42]
        "plans": {},      # open action plans: id -> raised on
        "items": {},      # unverified items: "plan/item" -> [state, due]
        "visits": {},     # planned visits: id -> [reason, planned_for] (planned: see _PLANNED)
        "last_full_monitoring": None,
        "changes": [],    # [kind, on] ownership / registered manager changes
        "criteria": {},   # officer risk criteria: key -> [rag, on]
        "failures": {},   # open provider failure procedures: id -> [stage, kind]
        "notices": {},    # open remedy notices: id -> [state, remedy_by]
        "assessments": {},  # ongoing assessments: id -> opened on
    }


def _on(event: StoredEvent) -> str:
    return local_date(event.occurred_at).isoformat()


# ----------------------------------------------------------------------------- the fold
# What the register says of a provider, shown on its page (a registration recorded before a
# field existed leaves it unknown; one recorded before ``contracted`` was a contracted provider).
_REGISTER = ("name", "service_type", "categories", "district", "cqc_location_id", "address",
             "postcode", "beds", "registered_manager", "contracted")


def _registered(s: State, d: dict, e: StoredEvent) -> None:
    for key in _REGISTER:
        s[key] = d.get(key, s.get(key))


def _details_changed(s: State, d: dict, e: StoredEvent) -> None:
    for key in _REGISTER:
        if d.get(key) is not None:
            s[key] = d[key]


def _manager_changed(s: State, d: dict, e: StoredEvent) -> None:
    s["registered_manager"] = d.get("new_manager")
    s["changes"].append(["manager", _on(e)])


def _cqc_rating(s: State, d: dict, e: StoredEvent) -> None:
    # Historic reports may be imported after newer ones: the latest report date wins.
    if d.get("overall") and (s["cqc_rated_on"] is None or d["report_date"] >= s["cqc_rated_on"]):
        s["cqc_rating"], s["cqc_rated_on"] = d["overall"], d["report_date"]


def _change(kind: str) -> Callable[[State, dict, StoredEvent], None]:
    def handler(s: State, d: dict, e: StoredEvent) -> None:
        s["changes"].append([kind, _on(e)])
    return handler


def _closed(s: State, d: dict, e: StoredEvent) -> None:
    s["state"] = ProviderState.closed.value


def _criterion(s: State, d: dict, e: StoredEvent) -> None:
    s["criteria"][d["criterion"]] = [d["rag"], _on(e)]


def _record_logged(s: State, d: dict, e: StoredEvent) -> None:
    s["records"][d["record_id"]] = [RECORD_LIFECYCLE.initial, None, False]


def _record_moved(s: State, d: dict, e: StoredEvent) -> None:
    rid, records = d["record_id"], s["records"]
    entry = records.get(rid) or [_CLOSED_RECORD, None, False]
    entry[0] = RECORD_LIFECYCLE.replay(rid, entry[0], RECORD_ACTIONS[e.type])
    if e.type == "RiskAssessed":
        entry[1], entry[2] = d["risk"], bool(d["action_required"])
    elif e.type == "IntelligenceReopened":  # to be assessed again (as the record's evolve)
        entry[1], entry[2] = None, False
    if entry[0] in OPEN_RECORD_STATES:
        records[rid] = entry
    else:
        records.pop(rid, None)


def _concern_raised(s: State, d: dict, e: StoredEvent) -> None:
    s["concerns"][d["concern_id"]] = [CONCERN_LIFECYCLE.initial, False]


def _concern_moved(s: State, d: dict, e: StoredEvent) -> None:
    cid = d["concern_id"]
    entry = s["concerns"][cid]
    entry[0] = CONCERN_LIFECYCLE.replay(cid, entry[0], CONCERN_ACTIONS[e.type])
    if e.type == "SafeguardingConcernReferred":
        entry[1] = bool(d["section_42"])
    if CONCERN_LIFECYCLE.is_final(entry[0]):
        del s["concerns"][cid]


def _plan_raised(s: State, d: dict, e: StoredEvent) -> None:
    s["plans"][d["plan_id"]] = _on(e)
    for item in d["items"]:
        s["items"][f"{d['plan_id']}/{item['item_id']}"] = [ITEM_LIFECYCLE.initial, item["due"]]


def _item_added(s: State, d: dict, e: StoredEvent) -> None:
    s["items"][f"{d['plan_id']}/{d['item']['item_id']}"] = [ITEM_LIFECYCLE.initial, d["item"]["due"]]


def _item_moved(s: State, d: dict, e: StoredEvent) -> None:
    key = f"{d['plan_id']}/{d['item_id']}"
    entry = s["items"][key]
    entry[0] = ITEM_LIFECYCLE.replay(key, entry[0], ITEM_ACTION_OF_TYPE[e.type])
    if e.type == "ActionItemDueDateChanged":
        entry[1] = d["due"]
    if ITEM_LIFECYCLE.is_final(entry[0]):
        del s["items"][key]


def _plan_closed(s: State, d: dict, e: StoredEvent) -> None:
    s["plans"].pop(d["plan_id"], None)
    prefix = f"{d['plan_id']}/"
    s["items"] = {k: v for k, v in s["items"].items() if not k.startswith(prefix)}


def _visit_planned(s: State, d: dict, e: StoredEvent) -> None:
    s["visits"][d["visit_id"]] = [d["reason"], d["planned_for"]]


def _visit_moved(s: State, d: dict, e: StoredEvent) -> None:
    vid = d["visit_id"]
    entry = s["visits"][vid]
    state = VISIT_LIFECYCLE.replay(vid, _PLANNED, VISIT_ACTION_OF_TYPE[e.type])
    if e.type == "VisitRescheduled":
        entry[1] = d["planned_for"]
    if not VISIT_LIFECYCLE.is_final(state):
        return
    del s["visits"][vid]
    if e.type == "VisitCompleted" and entry[0] == FULL_MONITORING:
        on = _on(e)
        if s["last_full_monitoring"] is None or on > s["last_full_monitoring"]:
            s["last_full_monitoring"] = on


def _assessment_opened(s: State, d: dict, e: StoredEvent) -> None:
    s["assessments"][d["assessment_id"]] = _on(e)


def _assessment_concluded(s: State, d: dict, e: StoredEvent) -> None:
    s["assessments"].pop(d["assessment_id"], None)
    on = _on(e)
    if s["rag_on"] is None or on >= s["rag_on"]:
        s["rag"], s["rag_on"] = d["rag"], on


def _sanction_issued(s: State, d: dict, e: StoredEvent) -> None:
    s["stage"], s["stage_since"] = STAGE_ENTERED_BY_TYPE[e.type].value, _on(e)
    s["escalation_version"] = e.version


def _sanction_lifted(s: State, d: dict, e: StoredEvent) -> None:
    s["stage"], s["stage_since"] = d["to_stage"], _on(e)
    s["escalation_version"] = e.version


def _failure_moved(s: State, d: dict, e: StoredEvent) -> None:
    pid, failures = d["procedure_id"], s["failures"]
    if e.type == "ProviderFailureConcernIdentified":
        failures[pid] = [PROVIDER_FAILURE_LIFECYCLE.initial, d["kind"]]
    action = (CLOSE_ACTION[FailureOutcome(d["outcome"])] if e.type == "ProviderFailureProcedureClosed"
              else _FAILURE_ACTIONS[e.type])
    entry = failures[pid]
    entry[0] = PROVIDER_FAILURE_LIFECYCLE.replay(pid, entry[0], action)
    if PROVIDER_FAILURE_LIFECYCLE.is_final(entry[0]):
        del failures[pid]


def _notice_moved(s: State, d: dict, e: StoredEvent) -> None:
    nid, notices = d["notice_id"], s["notices"]
    if e.type == "RemedyNoticeIssued":
        notices[nid] = [NOTICE_LIFECYCLE.initial, None]
    entry = notices[nid]
    entry[0] = NOTICE_LIFECYCLE.replay(nid, entry[0], NOTICE_ACTIONS[e.type])
    if "remedy_by" in d:
        entry[1] = d["remedy_by"]
    if NOTICE_LIFECYCLE.is_final(entry[0]):
        del notices[nid]


HANDLERS = {
    "ProviderRegistered": _registered,
    "ProviderDetailsChanged": _details_changed,
    "CqcRatingPublished": _cqc_rating,
    "OwnershipChanged": _change("owner"),
    "RegisteredManagerChanged": _manager_changed,
    "ProviderClosed": _closed,
    "RiskCriterionRecorded": _criterion,
    "IntelligenceLogged": _record_logged,
    **{name: _record_moved for name in RECORD_ACTIONS},
    "SafeguardingConcernRaised": _concern_raised,
    **{name: _concern_moved for name in CONCERN_ACTIONS},
    "ActionPlanRaised": _plan_raised,
    "ActionItemAdded": _item_added,
    **{name: _item_moved for name in ITEM_ACTION_OF_TYPE},
    "ActionPlanClosed": _plan_closed,
    "VisitPlanned": _visit_planned,
    **{name: _visit_moved for name in VISIT_ACTION_OF_TYPE},
    "AssessmentOpened": _assessment_opened,
    "AssessmentConcluded": _assessment_concluded,
    **{name: _sanction_issued for name in STAGE_ENTERED_BY_TYPE},
    "SanctionLifted": _sanction_lifted,
    **{name: _failure_moved for name in (*_FAILURE_ACTIONS, "ProviderFailureProcedureClosed")},
    **{name: _notice_moved for name in NOTICE_ACTIONS},
}


def fold(state: State | None, event: StoredEvent) -> State:
    """Pure: a provider's state after ``event`` (mutates and returns ``state``, or a new one)."""
    provider_id = event.provider_id
    if provider_id is None:
        raise ValueError(f"{event.type} at position {event.position} names no provider")
    state = state if state is not None else new_state(provider_id)
    handler = HANDLERS.get(event.type)
    if handler is not None:
        handler(state, current_data(event), event)
    if event.stream == f"provider-{provider_id}":  # the latest version, in whatever order folded
        state["version"] = max(state["version"], event.version)
    return state


def fold_history(events: list[StoredEvent]) -> State | None:
    state: State | None = None
    for event in events:
        if event.provider_id is not None:
            state = fold(state, event)
    return state


# ----------------------------------------------------------------------------- the view
def cqc_page(location_id: str | None) -> str | None:
    """The provider's public page on CQC's website."""
    return f"https://www.cqc.org.uk/location/{location_id}" if location_id else None


class ProviderView(BaseModel):
    """One provider as a page or ``GET /providers/{id}`` shows it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str | None
    service_type: str | None
    categories: list[str]
    district: str | None
    state: str
    cqc_rating: str | None
    cqc_rated_on: date | None
    escalation_stage: str
    escalation_stage_since: date | None
    closed_to_new_placements: bool
    rag: str | None  # from the latest concluded assessment
    rag_on: date | None
    risk_score: int
    open_intelligence: int
    open_action_items: int
    overdue_action_items: int
    open_action_plans: int
    open_safeguarding_concerns: int
    open_remedy_notices: int
    open_provider_failure_procedures: int
    last_full_monitoring: date | None
    next_full_monitoring: date | None  # the planned visit, else when one falls due
    next_full_monitoring_planned: bool
    version: int  # of the provider's own stream (for expected_version)
    escalation_version: int  # of its escalation stream
    # The register: where it is, its size, CQC's id for it (its public page: cqc_url), who
    # manages it, and whether the council contracts it (else market intelligence).
    address: str | None = None
    postcode: str | None = None
    beds: int | None = None
    cqc_location_id: str | None = None
    registered_manager: str | None = None
    contracted: bool = True
    as_of: datetime | None = None  # the as-known-at instant (its older name), if any
    as_happened_at: datetime | None = None
    as_known_at: datetime | None = None


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def next_full_monitoring(state: State, score: int) -> tuple[date | None, bool]:
    planned = sorted(p for reason, p in state["visits"].values() if reason == FULL_MONITORING)
    if planned:
        return local_date(datetime.fromisoformat(planned[0])), True
    last = _d(state["last_full_monitoring"])
    if last is None:
        return None, False
    return last + timedelta(days=monitoring_interval_days(score)), False


def view_of(
    state: State, now: datetime, as_of: datetime | None = None, *, happened_at: datetime | None = None
) -> ProviderView:
    """The view of a folded state on the day of ``now`` (overdue items, risk score); ``as_of``
    and ``happened_at`` are the times it was folded for, shown with it."""
    today = local_date(now)
    matrix = assess(state["id"], state, today)
    upcoming, planned = next_full_monitoring(state, matrix.score)
    return ProviderView(
        id=state["id"], name=state["name"], service_type=state["service_type"],
        categories=state["categories"], district=state["district"], state=state["state"],
        cqc_rating=state["cqc_rating"], cqc_rated_on=_d(state["cqc_rated_on"]),
        escalation_stage=state["stage"], escalation_stage_since=_d(state["stage_since"]),
        closed_to_new_placements=state["stage"] in CLOSED_TO_PLACEMENTS,
        rag=state["rag"], rag_on=_d(state["rag_on"]), risk_score=matrix.score,
        open_intelligence=len(state["records"]), open_action_items=open_items(state),
        overdue_action_items=overdue_items(state, today), open_action_plans=len(state["plans"]),
        open_safeguarding_concerns=len(state["concerns"]),
        open_remedy_notices=len(state["notices"]),
        open_provider_failure_procedures=len(state["failures"]),
        last_full_monitoring=_d(state["last_full_monitoring"]),
        next_full_monitoring=upcoming, next_full_monitoring_planned=planned,
        version=state["version"], escalation_version=state["escalation_version"], as_of=as_of,
        as_happened_at=happened_at, as_known_at=as_of,
        address=state.get("address"), postcode=state.get("postcode"), beds=state.get("beds"),
        cqc_location_id=state.get("cqc_location_id"),
        registered_manager=state.get("registered_manager"), contracted=state.get("contracted", True),
    )


# ----------------------------------------------------------------------------- projection
class ProviderViewProjection(PartitionedFold):
    name: ClassVar[str] = "provider_view"
    # 2: lifecycle states replayed through the domain's tables (a re-allocated record keeps
    # risk_assessed / actioned); notices and procedures keep their state. 3: the id, name and
    # district are unbounded text (casework.domain.fields).
    # 4: the register's address, beds, registered manager and contracted (the provider page).
    version: ClassVar[int] = 4
    rebuild_cost: ClassVar[float] = 8.0  # us per event, for sharing a rebuild (parallel.py)
    event_types: ClassVar[frozenset[str]] = frozenset(HANDLERS) | {"ProviderRegistered"}
    query_tables: ClassVar[list[Table]] = [rm_providers]

    def partition(self, event: StoredEvent) -> str | None:
        return event.provider_id

    def fold(self, state: State | None, event: StoredEvent) -> State:
        return fold(state, event)

    def rows(self, partition: str, state: State) -> dict[str, list[dict[str, Any]]]:
        return {
            rm_providers.name: [{
                "name": state["name"],
                "name_lower": (state["name"] or "").lower(),
                "service_type": state["service_type"],
                "stage": state["stage"],
                "rag": state["rag"],
                "cqc_rating": state["cqc_rating"],
                "district": state["district"],
                "state": state["state"],
            }]
        }


PROJECTION = ProviderViewProjection()


# ----------------------------------------------------------------------------- queries
def provider_state(
    source: Any,
    provider_id: str,
    as_of: datetime | None = None,
    *,
    happened_at: datetime | None = None,
    known_at: datetime | None = None,
) -> State | None:
    """The folded state: from the read model (now), or from the provider's history as it
    happened at ``happened_at`` and/or as known at ``known_at`` (``as_of``: its older name)."""
    known = known_at or as_of
    if known is None and happened_at is None:
        with connect(source) as conn:
            found = PROJECTION.load(conn, [provider_id])
        return found.get(provider_id)
    order: Order = "happened" if happened_at is not None else "recorded"
    return fold_history(
        store_of(source).read_history(provider_id, known, happened_at=happened_at, order=order)
    )


def provider_view(
    source: Any,
    provider_id: str,
    as_of: datetime | None = None,
    *,
    now: datetime | None = None,
    happened_at: datetime | None = None,
    known_at: datetime | None = None,
) -> ProviderView | None:
    """A provider's current view, or as it happened at ``happened_at`` and/or as known at
    ``known_at`` (``as_of``: its older name); None when nothing is recorded about it (then)."""
    known = known_at or as_of
    state = provider_state(source, provider_id, happened_at=happened_at, known_at=known)
    if state is None:
        return None
    return view_of(state, happened_at or known or now_of(source, now), known, happened_at=happened_at)


def risk_matrix(
    source: Any,
    provider_id: str,
    as_of: datetime | None = None,
    *,
    now: datetime | None = None,
    happened_at: datetime | None = None,
    known_at: datetime | None = None,
) -> RiskMatrix | None:
    """The ten criteria of a provider's risk matrix: today, or as it happened at
    ``happened_at`` and/or as known at ``known_at`` (``as_of``: its older name)."""
    known = known_at or as_of
    state = provider_state(source, provider_id, happened_at=happened_at, known_at=known)
    if state is None:
        return None
    return assess(provider_id, state, local_date(happened_at or known or now_of(source, now)))


def list_providers(
    source: Any,
    q: str | None = None,
    service_type: str | None = None,
    stage: str | None = None,
    rag: str | None = None,
    sort: str = "risk",
    *,
    now: datetime | None = None,
) -> list[ProviderView]:
    """Providers filtered by name or district (``q``: a part of either, as typed: ``%`` and ``_``
    match themselves), service type, stage and RAG.

    ``sort``: ``risk`` (lowest risk score first: the visiting order), ``name`` or ``stage``."""
    p = rm_providers
    query = select(p.c.partition)
    if q:
        part = q.lower()
        query = query.where(or_(p.c.name_lower.contains(part, autoescape=True),
                                func.lower(p.c.district).contains(part, autoescape=True)))
    if service_type:
        query = query.where(p.c.service_type == service_type)
    if stage:
        query = query.where(p.c.stage == stage)
    if rag:
        query = query.where(p.c.rag == rag)
    with connect(source) as conn:
        ids = [r[0] for r in conn.execute(query)]
        states = PROJECTION.load(conn, ids)
    instant = now_of(source, now)
    views = [view_of(states[i], instant) for i in ids if i in states]
    if sort == "name":
        views.sort(key=lambda v: ((v.name or "").lower(), v.id))
    elif sort == "stage":
        order = [s.value for s in SanctionStage]
        views.sort(key=lambda v: (-order.index(v.escalation_stage), v.risk_score, v.id))
    else:
        views.sort(key=lambda v: (v.risk_score, (v.name or "").lower(), v.id))
    return views


def ranked_providers(source: Any, *, now: datetime | None = None) -> list[ProviderView]:
    """Active providers ranked for visit planning: lowest risk score (highest risk) first."""
    return [v for v in list_providers(source, sort="risk", now=now) if v.state == ProviderState.active]


__all__ = [
    "PROJECTION",
    "ProviderView",
    "ProviderViewProjection",
    "fold",
    "fold_history",
    "list_providers",
    "provider_view",
    "ranked_providers",
    "risk_matrix",
    "view_of",
]
