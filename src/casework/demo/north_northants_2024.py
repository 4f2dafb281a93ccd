"""North Northamptonshire Council's quality team, May to July 2024 (seeds/003, spec/domain.md).

Figures reproduced for 1 May to 31 July 2024:
- visits by reason: welcome 14, full monitoring 55, action plan review 33, high-risk support /
  welfare checks 21 (123 in all);
- open action plans at the end of July by group: older person domiciliary care 16, older person
  residential / nursing care 6, working age adult supported living / domiciliary care 5, working
  age adult residential / nursing care 4, day services 2 (33 in all). Plans raised from full
  monitoring visits since January; some were closed before the end of July (every item verified
  at a review visit), some items are reviewed in the quarter.
"""

from __future__ import annotations

from datetime import date, timedelta

from casework.demo.writer import Writer, at, days, ref
from casework.domain.commands import CompleteActionItem, NewActionItem, RaiseActionPlan, VerifyActionItem
from casework.events.action_plans import ActionTheme
from casework.events.links import RecordKind
from casework.events.providers import ClientCategory as C
from casework.events.providers import CqcRating
from casework.events.providers import ServiceType as T
from casework.events.visits import VisitReason as R

NAME = "north-northants-2024"
SEED = 2024
PERIOD = (date(2024, 5, 1), date(2024, 7, 31))
VISITS = {R.welcome: 14, R.full_monitoring: 55, R.action_plan_review: 33, R.high_risk_welfare_check: 21}
# group: (service types, categories, providers in the portfolio, open plans at the end of July)
GROUPS = {
    "older_person_domiciliary": ((T.home_care,), (C.OP,), 24, 16),
    "older_person_residential_nursing": ((T.care_home_residential, T.care_home_nursing), (C.OP,), 14, 6),
    "working_age_supported_living_domiciliary": ((T.supported_living, T.home_care), (C.LD, C.MH), 12, 5),
    "working_age_residential_nursing": ((T.care_home_residential,), (C.LD, C.MH, C.PDSI), 8, 4),
    "day_services": ((T.day_service,), (C.LD,), 4, 2),
}
CLOSED_PLANS = 6  # raised this year and closed before the end of July
THEMES = (ActionTheme.outcome_setting_recording, ActionTheme.person_centred_care_planning,
          ActionTheme.mental_capacity_assessments, ActionTheme.medication_management,
          ActionTheme.staffing, ActionTheme.governance)


def load(w: Writer) -> None:
    start, end = PERIOD
    rng = w.rng
    portfolio: dict[str, list[str]] = {}
    for group, (types, cats, count, _) in GROUPS.items():
        for i in range(count):
            pid = w.provider(types[i % len(types)], [cats[i % len(cats)]], registered=date(2021, 4, 1),
                             district=w.pick(("Corby", "Kettering", "Wellingborough", "East Northants")))
            w.rating(pid, w.day_between(date(2021, 6, 1), date(2023, 12, 1)),
                     rng.choices(list(CqcRating)[:4], weights=(4, 70, 22, 4))[0])
            portfolio.setdefault(group, []).append(pid)
    # Plans raised (from a full monitoring visit before May) that are still open at the end of July.
    open_plans = [
        _plan(w, pid, w.day_between(date(2024, 1, 8), date(2024, 4, 26)))
        for group, (_, _, _, wanted) in GROUPS.items()
        for pid in portfolio[group][:wanted]
    ]
    closed = [_plan(w, pid, w.day_between(date(2024, 1, 8), date(2024, 3, 29)))
              for pid in rng.sample([p for ps in portfolio.values() for p in ps[-3:]], CLOSED_PLANS)]
    # The quarter's visits; review visits verify items (and close the plans that are done).
    in_quarter = days(start, end)
    reviews = [(pid, plan, items, True) for pid, plan, items in closed] + [
        (pid, plan, items, False) for pid, plan, items in rng.sample(open_plans, VISITS[R.action_plan_review]
                                                                      - CLOSED_PLANS)]
    for pid, plan, items, finish in reviews:
        day = w.pick(in_quarter[:-7])
        visit = w.visit(pid, day, R.action_plan_review, findings="Action plan reviewed with the manager")
        for item in range(1, (items if finish else items // 2) + 1):
            w.run(CompleteActionItem(plan_id=plan, item_id=str(item), occurred_at=at(day - timedelta(3))))
            w.run(VerifyActionItem(plan_id=plan, item_id=str(item), visit_id=visit, occurred_at=at(day, 13)))
    everyone = [p for ps in portfolio.values() for p in ps]
    for reason in (R.welcome, R.full_monitoring, R.high_risk_welfare_check):
        for _ in range(VISITS[reason]):
            scores = _scores(w) if reason is R.full_monitoring else None
            w.visit(w.pick(everyone), w.pick(in_quarter), reason, scores=scores,
                    announced=reason is not R.high_risk_welfare_check)


def _scores(w: Writer) -> dict[str, str]:
    from casework.demo.leicester_2018 import AREAS

    return {a: w.rng.choice(("met", "met", "partially_met", "not_met")) for a in AREAS}


def _plan(w: Writer, pid: str, day: date) -> tuple[str, str, int]:
    visit = w.visit(pid, day, R.full_monitoring, scores=_scores(w))
    items = w.rng.randint(3, 9)
    plan = w.run(
        RaiseActionPlan(
            provider_id=pid, raised_from=ref(RecordKind.visit, visit), title="Full monitoring actions",
            items=[NewActionItem(description=f"Improve {THEMES[i % len(THEMES)].value.replace('_', ' ')}",
                                 theme=THEMES[i % len(THEMES)], owner="registered manager",
                                 due=day + timedelta(42 + 7 * i)) for i in range(items)],
            occurred_at=at(day, 16)),
        what="action plans",
    )
    return pid, plan, items
