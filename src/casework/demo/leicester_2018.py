"""Leicester City Council's Contracts and Assurance service, 2018/19 (seeds/004, spec/domain.md).

Figures reproduced for 1 April 2018 to 31 March 2019:
- 133 contracted providers: 18 nursing homes, 79 residential homes, 21 domiciliary care and 15
  supported living providers, each with a CQC rating history (some re-inspected in the year);
- 2161 intelligence records logged, allocated and risk assessed; 417 required action;
- 464 visits (38.7 a month): 172 assessment visits (76 QAF assessments started in the year, each
  with an announced and an unannounced visit = 152, plus 20 additional visits) and 292 safe and
  wellbeing / responsive visits prompted by intelligence, some out of hours;
- QAF outcomes by service type: nursing 18 compliant / 0 non-compliant, residential 75 / 4,
  domiciliary 13 / 2 with 6 ongoing, supported living 11 / 0 with 4 ongoing (the assessments
  concluded in the year include 57 started in early 2018);
- action plans after non-compliance (one of over 50 actions), safeguarding concerns from
  intelligence, a requirement to improve, a contract suspension and Notices To Remedy Breach.
"""

from __future__ import annotations

from datetime import date, timedelta

from casework.demo.writer import Writer, at, ref
from casework.domain.commands import (
    AssignLeadOfficer,
    CloseSafeguardingConcern,
    CompleteActionItem,
    ConcludeAssessment,
    LinkAssessmentVisit,
    NewActionItem,
    OpenAssessment,
    PersonDetails,
    RaiseActionPlan,
    RaiseSafeguardingConcern,
    RecordSafeguardingOutcome,
    ReferSafeguardingConcern,
    VerifyActionItem,
)
from casework.domain.escalation import EscalateContract
from casework.domain.notices import IssueRemedyNotice, RecordNoticeComplied
from casework.events.action_plans import ActionTheme
from casework.events.intelligence import IntelligenceAction
from casework.events.links import RecordKind
from casework.events.providers import ClientCategory as C
from casework.events.providers import CqcRating
from casework.events.providers import ServiceType as T
from casework.events.safeguarding import SafeguardingCategory, SafeguardingOutcome
from casework.events.visits import VisitReason

NAME = "leicester-2018"
SEED = 2018
PERIOD = (date(2018, 4, 1), date(2019, 3, 31))
FRAMEWORK = "leicester-qaf"
AREAS = ("personalised_care", "voice_choice_and_control", "safeguarding_and_safety",
         "staffing_and_employment", "business_management", "quality_management")

# service type, categories offered, providers, compliant, non-compliant, ongoing at year end
CONTRACTS = (
    (T.care_home_nursing, (C.OP,), 18, 18, 0, 0),
    (T.care_home_residential, (C.OP, C.MH, C.LD), 79, 75, 4, 0),
    (T.home_care, (C.OP, C.PDSI), 21, 13, 2, 6),
    (T.supported_living, (C.LD, C.MH), 15, 11, 0, 4),
)
INTELLIGENCE_LOGGED = 2161
INTELLIGENCE_ACTIONED = 417
ASSESSMENTS_STARTED = 76
ADDITIONAL_VISITS = 20
RESPONSIVE_VISITS = 292  # of which safe and wellbeing:
SAFE_AND_WELLBEING = 112
OUT_OF_HOURS = 18
# Actions on the records that required action, other than a responsive visit.
OTHER_ACTIONS = {
    IntelligenceAction.safeguarding_referral: 40,
    IntelligenceAction.information_request: 45,
    IntelligenceAction.cqc_referral: 25,
    IntelligenceAction.action_plan: 15,
}
# Overall CQC rating at the year end: 5 Outstanding, 114 Good, 13 RI, 1 Inadequate; 40 providers
# re-inspected in the year, 23 of them up from Requires improvement.
FINAL_RATINGS = [CqcRating.outstanding] * 5 + [CqcRating.good] * 114 + [
    CqcRating.requires_improvement] * 13 + [CqcRating.inadequate]
REINSPECTED, IMPROVED = 40, 23


def load(w: Writer) -> None:
    start, end = PERIOD
    rng = w.rng
    providers = _providers(w)
    _ratings(w, [p for p, _ in providers])
    _assessments(w, providers)
    actions = [IntelligenceAction.responsive_visit] * RESPONSIVE_VISITS + [
        a for a, n in OTHER_ACTIONS.items() for _ in range(n)]
    assert len(actions) == INTELLIGENCE_ACTIONED
    plan = actions + [None] * (INTELLIGENCE_LOGGED - len(actions))
    rng.shuffle(plan)
    logged_on = sorted(w.day_between(start, end - timedelta(10)) for _ in plan)
    responsive = 0
    for day, action in zip(logged_on, plan, strict=True):
        provider = w.pick(providers)[0]
        record = w.intelligence(provider, day, action=action)
        if action is IntelligenceAction.responsive_visit:
            responsive += 1
            reason = VisitReason.safe_and_wellbeing if responsive <= SAFE_AND_WELLBEING else (
                VisitReason.responsive)
            w.visit(provider, day + timedelta(rng.randint(1, 5)), reason, announced=False,
                    out_of_hours=responsive % (RESPONSIVE_VISITS // OUT_OF_HOURS) == 0
                    and responsive // (RESPONSIVE_VISITS // OUT_OF_HOURS) <= OUT_OF_HOURS,
                    triggered_by=ref(RecordKind.intelligence, record))
        elif action is IntelligenceAction.safeguarding_referral:
            _safeguarding(w, provider, record, day)
    _sanctions(w, providers)


def _providers(w: Writer) -> list[tuple[str, T]]:
    found = []
    for service_type, categories, count, *_ in CONTRACTS:
        for _ in range(count):
            cats = [w.pick(categories)]
            beds = w.rng.randint(12, 60) if service_type in (T.care_home_nursing,
                                                             T.care_home_residential) else None
            pid = w.provider(service_type, cats, registered=date(2014, 4, 1), district="Leicester",
                             beds=beds)
            found.append((pid, service_type))
    return found


def _ratings(w: Writer, providers: list[str]) -> None:
    finals = list(FINAL_RATINGS)
    w.rng.shuffle(finals)
    start, end = PERIOD
    good_ones = [i for i, r in enumerate(finals) if r in (CqcRating.good, CqcRating.outstanding)]
    reinspected = set(w.rng.sample(good_ones, REINSPECTED))
    improved = set(list(reinspected)[:IMPROVED])
    for i, (pid, final) in enumerate(zip(providers, finals, strict=True)):
        first_day = w.day_between(date(2016, 1, 4), date(2017, 12, 15))
        if i in reinspected:
            before = CqcRating.requires_improvement if i in improved else final
            w.rating(pid, first_day, before)
            w.rating(pid, w.day_between(start, end), final)
        else:
            w.rating(pid, first_day, final)


def _scores(w: Writer, compliant: bool) -> dict[str, str]:
    """QAF area scores: compliant = no area 'not met'; non-compliant = two areas not met."""
    scores = {a: w.rng.choice(("met", "met", "met", "partially_met")) for a in AREAS}
    if not compliant:
        for area in w.rng.sample(AREAS, 2):
            scores[area] = "not_met"
    return scores


def _assessments(w: Writer, providers: list[tuple[str, T]]) -> None:
    """One QAF assessment per provider, concluded in the year or still ongoing at its end."""
    rng = w.rng
    start, end = PERIOD
    cases: list[tuple[str, bool | None]] = []  # provider, compliant (None: ongoing)
    by_type: dict[T, list[str]] = {}
    for pid, service_type in providers:
        by_type.setdefault(service_type, []).append(pid)
    for service_type, _, _, n_compliant, n_non_compliant, n_ongoing in CONTRACTS:
        pids = by_type[service_type]
        outcomes: list[bool | None] = [True] * n_compliant + [False] * n_non_compliant + [None] * n_ongoing
        cases += list(zip(pids, outcomes, strict=True))
    ongoing = [c for c in cases if c[1] is None]
    concluded = [c for c in cases if c[1] is not None]
    rng.shuffle(concluded)
    in_year = ongoing + concluded[: ASSESSMENTS_STARTED - len(ongoing)]
    before_year = concluded[ASSESSMENTS_STARTED - len(ongoing):]
    additional = set(rng.sample(range(len(in_year)), ADDITIONAL_VISITS))
    for n, (pid, compliant) in enumerate(in_year):
        opened = w.day_between(start, date(2019, 2, 20)) if compliant is not None else w.day_between(
            date(2019, 1, 7), date(2019, 3, 1))
        visits = [(VisitReason.full_monitoring, True, opened + timedelta(2)),
                  (VisitReason.full_monitoring, False, opened + timedelta(rng.randint(8, 14)))]
        if n in additional:
            visits.append((VisitReason.additional, True, opened + timedelta(rng.randint(15, 20))))
        _assessment(w, pid, opened, visits, compliant)
    for pid, compliant in before_year:
        opened = w.day_between(date(2018, 1, 8), date(2018, 3, 5))
        visits = [(VisitReason.full_monitoring, True, opened + timedelta(2)),
                  (VisitReason.full_monitoring, False, opened + timedelta(rng.randint(8, 20)))]
        _assessment(w, pid, opened, visits, compliant, conclude_on=w.day_between(
            date(2018, 4, 9), date(2018, 6, 29)))


def _assessment(w: Writer, pid: str, opened: date, visits: list, compliant: bool | None,
                conclude_on: date | None = None) -> None:
    officer = w.officer()
    assessment = w.run(OpenAssessment(provider_id=pid, framework_id=FRAMEWORK, occurred_at=at(opened, 9)),
                       officer, what="QAF assessments")
    last = opened
    for reason, announced, day in visits:
        scores = _scores(w, compliant is not False) if reason is VisitReason.full_monitoring else None
        visit = w.visit(pid, day, reason, announced=announced, scores=scores, framework_id=FRAMEWORK)
        w.run(LinkAssessmentVisit(assessment_id=assessment, visit_id=visit, occurred_at=at(day, 15)),
              officer)
        last = max(last, day)
    if compliant is None:
        return
    concluded = conclude_on or last + timedelta(3)
    w.run(ConcludeAssessment(assessment_id=assessment, occurred_at=at(concluded, 16)), officer)
    if not compliant:
        _action_plan(w, pid, assessment, concluded, items=52 if not w.loaded.counts["action plans"] else 8)


def _action_plan(w: Writer, pid: str, assessment: str, day: date, items: int) -> None:
    themes = list(ActionTheme)
    officer = w.officer()
    plan = w.run(
        RaiseActionPlan(
            provider_id=pid, raised_from=ref(RecordKind.assessment, assessment),
            title="Quality Assurance Framework: actions to achieve compliance",
            items=[NewActionItem(description=f"Action {i + 1}: evidence of improvement",
                                 theme=themes[i % len(themes)], owner="registered manager",
                                 due=day + timedelta(28 + 7 * (i % 8))) for i in range(items)],
            occurred_at=at(day, 17)),
        officer, what="action plans",
    )
    for i in range(items // 2):  # half the actions done and verified so far
        done = day + timedelta(21 + i % 20)
        w.run(CompleteActionItem(plan_id=plan, item_id=str(i + 1), occurred_at=at(done, 10)), officer)
        w.run(VerifyActionItem(plan_id=plan, item_id=str(i + 1), occurred_at=at(done + timedelta(7), 11)),
              officer)


def _safeguarding(w: Writer, pid: str, record: str, day: date) -> None:
    officer = w.officer()
    invented = PersonDetails(name="Adult at risk (invented) " + w.pick("ABCDEFGH"))
    adults = [invented] if w.rng.random() < 0.3 else []
    concern = w.run(
        RaiseSafeguardingConcern(provider_id=pid, category=w.pick(list(SafeguardingCategory)[:5]),
                                 summary="Concern referred from an intelligence record",
                                 adults_at_risk=adults,
                                 triggered_by=ref(RecordKind.intelligence, record),
                                 occurred_at=at(day + timedelta(1), 10)),
        officer, what="safeguarding concerns",
    )
    w.run(ReferSafeguardingConcern(concern_id=concern, section_42=w.rng.random() < 0.4,
                                   occurred_at=at(day + timedelta(2), 10)), officer)
    if day < date(2019, 2, 1):
        w.run(RecordSafeguardingOutcome(concern_id=concern, outcome=w.pick(list(SafeguardingOutcome)),
                                        occurred_at=at(day + timedelta(30), 10)), officer)
        w.run(CloseSafeguardingConcern(concern_id=concern, occurred_at=at(day + timedelta(31), 10)),
              officer)


def _sanctions(w: Writer, providers: list[tuple[str, T]]) -> None:
    residential = [p for p, t in providers if t is T.care_home_residential]
    domiciliary = [p for p, t in providers if t is T.home_care]
    improve, suspend = residential[3], domiciliary[2]
    # Each escalated provider's case has a lead officer: its open deadlines are theirs.
    # The demonstration users (`casework demo --users`) lead the two cases, so that the people one
    # signs in as own their deadlines, reminders and alerts.
    for pid, lead in ((improve, "demo.officer"), (suspend, "demo.manager")):
        w.run(AssignLeadOfficer(provider_id=pid, officer=lead, occurred_at=at(date(2018, 9, 3), 9)),
              what="lead officers")
    w.run(EscalateContract(provider_id=improve, reason="QAF non-compliance: two areas not met",
                           occurred_at=at(date(2018, 11, 5))), what="sanctions")
    w.run(EscalateContract(provider_id=suspend, reason="Missed calls and medication errors",
                           occurred_at=at(date(2018, 9, 3))), what="sanctions")
    w.run(EscalateContract(provider_id=suspend, reason="Improvement plan not delivered",
                           occurred_at=at(date(2018, 10, 15))), what="sanctions")
    # Nottingham City's third stage: the suspension's reviews found no lasting improvement.
    w.run(EscalateContract(provider_id=suspend,
                           reason="Suspension reviews: missed calls and medication errors continue",
                           occurred_at=at(date(2019, 1, 21))), what="sanctions")
    for pid, issued, complied in ((suspend, date(2018, 10, 15), date(2018, 12, 10)),
                                  (improve, date(2019, 2, 18), None)):
        notice = w.run(IssueRemedyNotice(provider_id=pid, breach="Breach of the service specification",
                                         actions=["Submit an improvement plan", "Evidence staff training"],
                                         remedy_by=issued + timedelta(56), occurred_at=at(issued, 12)),
                       what="notices to remedy breach")
        if complied:
            w.run(RecordNoticeComplied(notice_id=notice, note="Actions evidenced at a visit",
                                       occurred_at=at(complied)))
