"""Statistics for any period, from the facts of stored events (not from any counter)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from casework.events import Metadata, to_new_event
from casework.events.action_plans import ActionItem, ActionPlanRaised
from casework.events.intelligence import IntelligenceLogged, RiskAssessed
from casework.events.links import RecordKind, RecordRef
from casework.events.providers import ProviderRegistered
from casework.events.store import AppendRequest
from casework.events.visits import (
    AssessmentConcluded,
    AssessmentOpened,
    VisitCompleted,
    VisitPlanned,
)
from casework.projections import statistics


class Batch:
    """Many streams appended in one transaction (as a demo generator would)."""

    def __init__(self) -> None:
        self.requests: list[AppendRequest] = []

    def stream(self, name: str, pid: str, *events: tuple) -> None:  # (event, occurred_at)
        meta = Metadata(actor="generator", provider_id=pid)
        self.requests.append(AppendRequest(
            name, [to_new_event(e, metadata=meta, occurred_at=at) for e, at in events], 0))

    def provider(self, service_type: str, categories: list[str]) -> str:
        pid = str(uuid.uuid4())
        self.stream(f"provider-{pid}", pid, (ProviderRegistered(
            provider_id=pid, name=f"P {pid[:4]}", service_type=service_type,
            categories=categories), datetime(2015, 1, 1, tzinfo=UTC)))
        return pid

    def visit(self, pid: str, reason: str, on: datetime, rag: str | None = None,
              announced: bool = True) -> None:
        vid = str(uuid.uuid4())
        self.stream(f"visit-{vid}", pid,
                    (VisitPlanned(visit_id=vid, provider_id=pid, reason=reason, planned_for=on,
                                  announced=announced), on - timedelta(days=3)),
                    (VisitCompleted(visit_id=vid, findings="seen", rag=rag), on))


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 11, tzinfo=UTC)


def test_north_northamptonshire_visits_by_reason_and_open_plans_by_group(casework) -> None:
    b = Batch()
    groups = {  # (service type, categories): open plans at the end of July 2024
        ("home_care", ("OP",)): 16, ("care_home_residential", ("OP",)): 6,
        ("supported_living", ("LD",)): 5, ("care_home_nursing", ("PDSI",)): 4,
        ("day_service", ("LD",)): 2,
    }
    providers = {key: b.provider(key[0], list(key[1])) for key in groups}
    for (key, count) in groups.items():
        for _ in range(count):
            plan_id = str(uuid.uuid4())
            item = ActionItem(item_id="1", description="x", theme="staffing", owner="m",
                              due=date(2024, 9, 1))
            b.stream(f"action-plan-{plan_id}", providers[key], (ActionPlanRaised(
                plan_id=plan_id, provider_id=providers[key], items=[item],
                raised_from=RecordRef(kind=RecordKind.provider, id=providers[key])),
                day(2024, 6, 1)))
    any_provider = providers[("home_care", ("OP",))]
    reasons = {"welcome": 14, "full_monitoring": 55, "action_plan_review": 33,
               "high_risk_welfare_check": 21}
    for reason, count in reasons.items():
        for n in range(count):
            b.visit(any_provider, reason, day(2024, 5 + n % 3, 1 + n % 28))
    b.visit(any_provider, "welcome", day(2024, 4, 30))  # before the period: not counted
    b.visit(any_provider, "welcome", day(2024, 8, 1))  # after it
    casework.store.append_batch(b.requests)

    stats = statistics(casework, date(2024, 5, 1), date(2024, 7, 31))
    assert stats.visits_by_reason == reasons
    assert stats.visits_total == 123
    assert stats.open_action_plans_by_group == {
        "older_person_domiciliary": 16, "older_person_residential_nursing": 6,
        "working_age_supported_living_domiciliary": 5, "working_age_residential_nursing": 4,
        "day_services": 2,
    }
    assert sum(stats.open_action_plans_by_service_type.values()) == 33
    assert statistics(casework, date(2024, 1, 1), date(2024, 5, 31)).open_action_plans_by_group == {}


def test_leicester_shaped_intelligence_visits_and_qaf_outcomes(casework) -> None:
    b = Batch()
    nursing = b.provider("care_home_nursing", ["OP"])
    domiciliary = b.provider("home_care", ["OP"])
    for n in range(40):  # 40 logged in 2018/19, 9 needing action; 3 more in the next year
        rid = str(uuid.uuid4())
        at = day(2018, 4, 2) + timedelta(days=n * 9)
        b.stream(f"intelligence-{rid}", nursing,
                 (IntelligenceLogged(record_id=rid, provider_id=nursing, source="complaint",
                                     received_at=at, summary="x"), at),
                 (RiskAssessed(record_id=rid, risk="medium", action_required=n < 9,
                               rationale="x"), at + timedelta(days=1)))
    for n in range(3):
        rid = str(uuid.uuid4())
        b.stream(f"intelligence-{rid}", nursing, (IntelligenceLogged(
            record_id=rid, provider_id=nursing, source="cqc", received_at=day(2019, 4, 2),
            summary="x"), day(2019, 4, 2 + n)))
    for n in range(5):
        b.visit(nursing, "full_monitoring", day(2018, 6, 1 + n), announced=n % 2 == 0)
    b.visit(nursing, "additional", day(2018, 7, 1))
    for n in range(7):
        b.visit(domiciliary, "responsive" if n % 2 else "safe_and_wellbeing", day(2018, 9, 1 + n))
    outcomes = [(nursing, "compliant", day(2018, 8, 1)), (nursing, "compliant", day(2019, 1, 1)),
                (domiciliary, "non_compliant", day(2018, 10, 1)), (domiciliary, None, None),
                (domiciliary, "compliant", day(2019, 5, 1))]  # concluded after: ongoing then
    for pid, outcome, concluded in outcomes:
        aid = str(uuid.uuid4())
        events = [(AssessmentOpened(assessment_id=aid, provider_id=pid, framework_id="qaf",
                                    framework_version=1), day(2018, 5, 1))]
        if outcome:
            events.append((AssessmentConcluded(assessment_id=aid, outcome=outcome, rag="green"),
                           concluded))
        b.stream(f"assessment-{aid}", pid, *events)
    casework.store.append_batch(b.requests)

    stats = statistics(casework, date(2018, 4, 1), date(2019, 3, 31))
    assert (stats.intelligence_logged, stats.intelligence_actioned) == (40, 9)
    assert stats.visits_total == 13
    assert stats.visits_by_kind == {"announced": 3, "unannounced": 2, "additional": 1,
                                    "responsive": 7}
    assert stats.assessment_visits == 6
    qaf = {k: (v.compliant, v.non_compliant, v.ongoing) for k, v in stats.qaf_by_service_type.items()}
    assert qaf == {"care_home_nursing": (2, 0, 0), "home_care": (0, 1, 2)}


def test_rag_by_category_and_financial_year_like_nottingham_city(casework) -> None:
    b = Batch()
    ld = b.provider("care_home_residential", ["LD"])
    op = b.provider("care_home_nursing", ["OP"])
    figures = {2014: {"red": 18, "amber": 33, "green": 16}, 2015: {"red": 7, "amber": 36, "green": 24}}
    for year, rags in figures.items():
        n = 0
        for rag, count in rags.items():
            for _ in range(count):
                n += 1
                b.visit(ld if n % 2 else op, "full_monitoring", day(year, 4, 1) + timedelta(days=n * 5),
                        rag=rag)
    casework.store.append_batch(b.requests)
    stats = statistics(casework, date(2014, 4, 1), date(2016, 3, 31))
    assert stats.rag_by_year == {"2014/15": figures[2014], "2015/16": figures[2015]}
    by_category = stats.rag_by_category
    assert sum(by_category["LD"].values()) + sum(by_category["OP"].values()) == 134
    one_year = statistics(casework, date(2015, 4, 1), date(2016, 3, 31))
    assert one_year.rag_by_year == {"2015/16": figures[2015]}
