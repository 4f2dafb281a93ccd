"""Law: for any history, rebuilding the read models from the log gives exactly the rows the
incremental runner built event by event (on both backends)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import casework.projections.fold as fold_module
import casework.workflows.deadline_calendar as deadline_projection

from .builders import T0, Recorder

RISKS = st.sampled_from([None, "low", "medium", "high", "critical"])
REASONS = st.sampled_from(["welcome", "full_monitoring", "action_plan_review", "responsive",
                           "safe_and_wellbeing", "high_risk_welfare_check", "additional"])
RAGS = st.sampled_from([None, "red", "amber", "green"])

step = st.one_of(
    st.tuples(st.just("record"), RISKS, st.booleans(),
              st.sampled_from([None, "actioned", "no_further_action"]), st.booleans()),
    st.tuples(st.just("concern"), st.sampled_from([None, True, False]), st.booleans()),
    st.tuples(st.just("visit"), REASONS, st.booleans(), RAGS, st.booleans()),
    st.tuples(st.just("assessment"), st.sampled_from([None, "compliant", "non_compliant"]),
              st.sampled_from(["red", "amber", "green"])),
    st.tuples(st.just("plan"), st.integers(0, 3)),
    st.tuples(st.just("rating"), st.sampled_from(["good", "inadequate", "requires_improvement"])),
    st.tuples(st.just("escalate"),),
    st.tuples(st.just("owner"),),
    st.tuples(st.just("lead"), st.sampled_from(["amy", "bilal"])),
    st.tuples(st.just("criterion"), st.sampled_from(["red", "amber", "green"])),
)
histories = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 400), step), min_size=1,
                     max_size=25)


def play(r: Recorder, providers: list[str], history: list) -> None:
    for who, days, (kind, *args) in history:
        pid = providers[who]
        at = T0 + timedelta(days=days)
        if kind == "record":
            risk, required, close, whistle = args
            r.record(pid, at, risk=risk, action_required=required, close=close if risk else None,
                     whistleblower=whistle)
        elif kind == "concern":
            r.concern(pid, at, section_42=args[0], close=args[1] and args[0] is not None)
        elif kind == "visit":
            reason, announced, rag, cancel = args
            r.visit(pid, reason, at, announced=announced, rag=rag, cancel=cancel)
        elif kind == "assessment":
            r.assessment(pid, at, outcome=args[0], rag=args[1])
        elif kind == "plan":
            plan_id, items = r.plan(pid, at, dues=(date(2026, 2, 1), date(2026, 5, 1), date(2027, 1, 1)))
            for item in items[: args[0]]:
                r.item_done(pid, plan_id, item, at + timedelta(days=3))
            if args[0] == 3:
                r.close_plan(pid, plan_id, at + timedelta(days=3))
        elif kind == "rating":
            r.rating(pid, args[0], (at - timedelta(days=10)).date(), at)
        elif kind == "escalate":
            stage = r.versions.get(f"escalation-{pid}", 0) % 2
            if stage == 0:
                r.escalate(pid, "requirement_to_improve", at)
            else:
                r.lift(pid, "requirement_to_improve", at)
        elif kind == "owner":
            r.new_owner(pid, at)
        elif kind == "lead":
            r.lead(pid, args[0], at)
        elif kind == "criterion":
            r.criterion(pid, "fire_safety", args[0], at)


def snapshot(cw) -> dict[str, list]:
    rows = {}
    with cw.engine.connect() as conn:
        for projection in cw.projections.projections():
            for table in projection.tables:
                keys = list(table.primary_key.columns) or list(table.columns)
                rows[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*keys))]
    return rows


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=histories)
def test_rebuild_equals_incremental_after_any_history(casework, history, monkeypatch) -> None:
    monkeypatch.setattr(fold_module, "_COPY_FROM", 1)  # rebuild through COPY on PostgreSQL
    # Bounded memory: write out and read back after every couple of partitions and deadlines.
    monkeypatch.setattr(fold_module, "REBUILD_PARTITIONS_IN_MEMORY", 2)
    monkeypatch.setattr(deadline_projection, "REBUILD_DEADLINES_IN_MEMORY", 2)
    # ...and a filter of written keys that is often wrong about keys never written.
    monkeypatch.setattr(fold_module, "WRITTEN_FALSE_POSITIVES", 0.5)
    monkeypatch.setattr(fold_module, "WRITTEN_FIRST_FILTER", 1)
    monkeypatch.setattr(casework.projections, "rebuild_page_size", 3)
    r = Recorder(casework.store)
    providers = [r.provider(f"Provider {n}", service_type=s, categories=c)
                 for n, (s, c) in enumerate([("care_home_nursing", ("OP",)),
                                             ("home_care", ("LD", "PDSI")),
                                             ("supported_living", ("MH",))])]
    play(r, providers, history)
    incremental = snapshot(casework)
    assert incremental["rm_providers"], "the incremental runner built nothing"
    casework.projections.rebuild()
    assert snapshot(casework) == incremental
