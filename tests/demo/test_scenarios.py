"""Each demonstration scenario reproduces its council's published figures, read back through the
statistics read model (not the generator's own counters), on both backends."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from casework.bootstrap import Casework, bootstrap
from casework.cli.main import app as cli
from casework.demo import SCENARIOS, load_scenario
from casework.projections.provider_view import list_providers
from casework.projections.statistics import Statistics, statistics
from casework.workflows.status import escalation_status


@pytest.fixture(autouse=True)
def _logging_not_left_on_a_closed_stream():
    """``casework`` commands run in CliRunner point the logs at its stream, closed afterwards."""
    yield
    structlog.reset_defaults()


def _figures(cw: Casework, scenario: str, start: date, end: date) -> Statistics:
    loaded = load_scenario(cw, scenario)
    assert not loaded.already_loaded and loaded.events > 0
    cw.projections.catch_up()
    return statistics(cw, start, end)


def test_leicester_2018_reproduces_the_2018_19_annual_report(casework: Casework) -> None:
    s = _figures(casework, "leicester-2018", date(2018, 4, 1), date(2019, 3, 31))
    assert (s.intelligence_logged, s.intelligence_actioned) == (2161, 417)
    assert s.visits_total == 464
    assert round(s.visits_total / 12, 1) == 38.7
    assert s.assessment_visits == 172
    kinds = s.visits_by_kind
    assert kinds["announced"] + kinds["unannounced"] == 152
    assert kinds["additional"] == 20
    assert kinds["responsive"] == 292
    assert sum(s.visits_per_month.values()) == 464 and len(s.visits_per_month) == 12
    qaf = {k: (v.compliant, v.non_compliant, v.ongoing) for k, v in s.qaf_by_service_type.items()}
    assert qaf == {
        "care_home_nursing": (18, 0, 0),
        "care_home_residential": (75, 4, 0),
        "home_care": (13, 2, 6),
        "supported_living": (11, 0, 4),
    }
    # Nottingham City's ladder, one stage at a time and each with its reason: one provider at each
    # of the first two sanctions, one at a 90 day final notice issued on 21 January 2019.
    assert s.sanctions_in_force == {"requirement_to_improve": 1, "final_notice_90_day": 1}
    [at_notice] = list_providers(casework, stage="final_notice_90_day")
    notice = escalation_status(casework, at_notice.id).final_notice
    assert notice is not None and notice.expired  # the clock stands in 2026
    assert (notice.issued_at.date(), notice.expires_at.date()) == (date(2019, 1, 21), date(2019, 4, 21))
    reasons = [e.data["reason"] for e in casework.store.read_stream(f"escalation-{at_notice.id}")]
    assert len(reasons) == 3 and all(r.strip() for r in reasons)


def test_north_northants_2024_reproduces_may_to_july_visits_and_open_action_plans(casework: Casework) -> None:
    s = _figures(casework, "north-northants-2024", date(2024, 5, 1), date(2024, 7, 31))
    assert s.visits_by_reason == {
        "welcome": 14, "full_monitoring": 55, "action_plan_review": 33, "high_risk_welfare_check": 21,
    }
    assert s.visits_total == 123
    assert s.open_action_plans_by_group == {
        "older_person_domiciliary": 16,
        "older_person_residential_nursing": 6,
        "working_age_supported_living_domiciliary": 5,
        "working_age_residential_nursing": 4,
        "day_services": 2,
    }
    assert sum(s.open_action_plans_by_service_type.values()) == 33


def test_nottingham_city_reproduces_rag_outcomes_by_category_for_two_years(casework: Casework) -> None:
    s = _figures(casework, "nottingham-city", date(2014, 4, 1), date(2016, 3, 31))
    assert s.rag_by_year == {
        "2014/15": {"red": 18, "amber": 33, "green": 16},
        "2015/16": {"red": 7, "amber": 36, "green": 24},
    }
    by_category = {
        year: {cat: tuple(rag.get(c, 0) for c in ("red", "amber", "green")) for cat, rag in cats.items()}
        for year, cats in s.rag_by_year_and_category.items()
    }
    assert by_category == {
        "2014/15": {"OP": (14, 16, 9), "PDSI": (0, 2, 0), "MH": (2, 5, 3), "LD": (2, 10, 4)},
        "2015/16": {"OP": (4, 22, 13), "PDSI": (0, 1, 1), "MH": (1, 6, 3), "LD": (2, 7, 7)},
    }


@pytest.mark.parametrize("scenario", ["nottingham-city"])
def test_loading_a_scenario_twice_appends_nothing_the_second_time(casework: Casework, scenario: str) -> None:
    load_scenario(casework, scenario)
    head = casework.store.head_position()
    again = load_scenario(casework, scenario)
    assert again.already_loaded
    assert casework.store.head_position() == head


def test_every_scenario_is_registered_under_its_cli_name() -> None:
    assert set(SCENARIOS) == {"leicester-2018", "north-northants-2024", "nottingham-city"}


def test_casework_demo_prints_what_it_loaded_and_refuses_nothing_on_a_second_run(
    settings, monkeypatch
) -> None:
    monkeypatch.setenv("CASEWORK_DATABASE_URL", settings.database_url)
    first = CliRunner().invoke(cli, ["demo", "--scenario", "nottingham-city"])
    assert first.exit_code == 0, first.output
    assert "loaded scenario nottingham-city: 83 providers, 134 visits" in first.output
    second = CliRunner().invoke(cli, ["demo", "--scenario", "nottingham-city"])
    assert second.exit_code == 0
    assert "already in this store: nothing appended" in second.output
    unknown = CliRunner().invoke(cli, ["demo", "--scenario", "nowhere"])
    assert unknown.exit_code == 2


def test_casework_demo_users_prints_a_token_per_role_that_signs_in_and_a_new_one_each_run(
    settings, monkeypatch
) -> None:
    monkeypatch.setenv("CASEWORK_DATABASE_URL", settings.database_url)
    runs = [CliRunner().invoke(cli, ["demo", "--scenario", "nottingham-city", "--users"]) for _ in "ab"]
    assert [r.exit_code for r in runs] == [0, 0], runs[0].output
    cw = bootstrap(settings)
    try:
        for run in runs:
            tokens = {
                name: token for _, name, token in
                (line.split() for line in run.output.splitlines() if line.strip().startswith(
                    ("manager ", "officer ", "auditor ", "admin ")))
            }
            assert set(tokens) == {"demo.manager", "demo.officer", "demo.auditor", "demo.admin"}
            for name, token in tokens.items():
                assert cw.users.authenticate(token).name == name  # both runs' tokens work
        assert cw.users.get("demo.manager").role == "manager"
    finally:
        cw.close()


def test_no_deadline_of_the_demonstration_is_owned_by_system_and_escalated_cases_have_a_lead(
    casework: Casework,
) -> None:
    from casework.workflows.deadline_calendar import fired_alerts, lead_officers, pending_deadlines

    load_scenario(casework, "leicester-2018")
    casework.projections.catch_up()
    casework.scheduler.fire_due()  # what fell due between the year and the clock
    rows = [*pending_deadlines(casework, reminders=True),
            *(a.deadline for a in fired_alerts(casework, reminders=True))]
    assert rows and {"system", "unassigned", ""}.isdisjoint({d.owner for d in rows})
    leads = lead_officers(casework)
    assert sorted(leads.values()) == ["demo.manager", "demo.officer"]
    # The sanctions and notices of the escalated providers are their lead officers'.
    escalated = [d for d in rows if d.provider_id in leads
                 and d.source.startswith(("escalation-", "notice-"))]
    assert escalated and all(d.owner == leads[d.provider_id] for d in escalated)


def test_catching_the_demonstration_up_to_2027_fires_all_that_is_due_in_one_pass_and_polls_add_nothing(
    casework: Casework,
) -> None:
    """The finding: `deadlines run --now 2027-06-01T09:00:00+01:00` fired one missed suspension
    review and left the rest pending; the server then fired one stale review every 30 s."""
    from datetime import UTC, datetime, timedelta

    from casework.domain.actors import Actor, Role
    from casework.domain.escalation import EscalateContract
    from casework.projections.provider_view import list_providers
    from casework.workflows.deadline_calendar import fired_alerts, pending_deadlines

    load_scenario(casework, "leicester-2018")
    casework.projections.catch_up()
    # The demonstration's suspended provider has since reached its final notice (the ladder);
    # its other sanctioned provider is suspended in March 2019, and nobody reviews it after.
    [improving] = list_providers(casework, stage="requirement_to_improve")
    casework.application.execute(EscalateContract(
        provider_id=improving.id, reason="Improvement plan not delivered",
        occurred_at=datetime(2019, 3, 4, 10, tzinfo=UTC)), Actor("manny", Role.manager))
    now = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    report = casework.scheduler.fire_due(now)
    assert report.alerts and not report.more_due
    assert pending_deadlines(casework, before=now, reminders=True) == [], "everything due fired"
    [review] = [d for d in report.alerts if d.kind == "suspension_review"]
    assert review.missed > 100 and review.missed_note.startswith(f"missed {review.missed} reviews since 2019")
    [next_review] = [d for d in pending_deadlines(casework) if d.kind == "suspension_review"]
    assert now < next_review.due_at <= now + timedelta(days=28)
    fired = len(fired_alerts(casework, reminders=True))

    casework.clock.set(now)
    for _ in range(10):  # the running server's polls, 30 s apart
        casework.clock.advance(timedelta(seconds=30))
        casework.scheduler.tick()
    assert len(fired_alerts(casework, reminders=True)) == fired, "no alert dripped out on a poll"


def test_the_readme_gives_the_demonstration_years_figures_as_the_data_has_them(casework: Casework) -> None:
    """Issue 20: the README said 578 visits; 464 of them fall in 2018/19, the rest before it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    said = re.search(r"([\d,]+) intelligence records and (\d+) visits in the year, with (\d+) "
                     r"earlier visits\s+from January to March 2018", readme)
    assert said is not None, "the README no longer states the demonstration year's figures"
    year = _figures(casework, "leicester-2018", date(2018, 4, 1), date(2019, 3, 31))
    before = statistics(casework, date(2018, 1, 1), date(2018, 3, 31))
    ever = statistics(casework, date(2000, 1, 1), date(2100, 1, 1))
    assert (int(said[1].replace(",", "")), int(said[2]), int(said[3])) == (
        year.intelligence_logged, year.visits_total, before.visits_total)
    assert before.visits_total + year.visits_total == ever.visits_total
