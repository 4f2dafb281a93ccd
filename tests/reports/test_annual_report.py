"""The annual report, rendered in each format for a demonstration scenario, carries its figures;
exempt information never appears in it."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
import structlog
from typer.testing import CliRunner

from casework.bootstrap import Casework
from casework.cli.main import app as cli
from casework.demo import load_scenario
from casework.domain.actors import Actor, Role
from casework.domain.commands import (
    LogIntelligence,
    PersonDetails,
    RaiseSafeguardingConcern,
    RegisterProvider,
)
from casework.reports.annual import annual_report, months
from casework.reports.render import render


@pytest.fixture(autouse=True)
def _logging_not_left_on_a_closed_stream():
    """``casework`` commands run in CliRunner point the logs at its stream, closed afterwards."""
    yield
    structlog.reset_defaults()

MAY, JULY = date(2024, 5, 1), date(2024, 7, 31)


@pytest.fixture
def north_northants(casework: Casework) -> Casework:
    load_scenario(casework, "north-northants-2024")
    return casework


def test_json_report_carries_the_scenarios_figures(north_northants: Casework) -> None:
    figures = json.loads(render(annual_report(north_northants, MAY, JULY), "json"))
    assert figures["visits_total"] == 123
    assert figures["visits_by_reason"]["action_plan_review"] == 33
    assert figures["open_action_plans_total"] == 33
    assert figures["open_action_plans_by_group"]["older_person_domiciliary"] == 16
    assert [m["month"] for m in figures["visits_per_month"]] == ["2024-05", "2024-06", "2024-07"]
    assert figures["visits_per_month_average"] == 41.0
    shares = figures["rating_profile"]["shares"]
    assert round(sum(v for v in shares.values() if v is not None)) == 100


def test_csv_report_has_one_figure_per_row(north_northants: Casework) -> None:
    rows = list(csv.DictReader(io.StringIO(render(annual_report(north_northants, MAY, JULY), "csv"))))
    value = {(r["section"], r["item"], r["measure"]): r["value"] for r in rows}
    assert value[("visits", "total", "visits")] == "123"
    assert value[("visits by reason", "welcome", "visits")] == "14"
    assert value[("visits by reason", "high_risk_welfare_check", "visits")] == "21"
    assert value[("open action plans", "total", "plans")] == "33"
    assert value[("open action plans by group", "day_services", "plans")] == "2"


def test_html_report_is_self_contained_with_tables_and_inline_charts(north_northants: Casework) -> None:
    html = render(annual_report(north_northants, MAY, JULY), "html")
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "<script" not in html
    assert "Visits by reason" in html
    assert '<td>Welcome</td><td class="n">14</td>' in html
    assert '<td>Older person domiciliary care</td><td class="n">16</td>' in html
    assert "123</strong> visits (41.0 a month)" in html


def test_qaf_outcomes_show_percentages_compliant(casework: Casework) -> None:
    from casework.reports.model import QafRow

    row = QafRow(service_type="care_home_residential", compliant=75, non_compliant=4, ongoing=0)
    assert row.percent_compliant == 94.9
    assert months(date(2018, 4, 1), date(2019, 3, 31))[::11] == ["2018-04", "2019-03"]


def test_exempt_information_is_left_out_of_every_format(casework: Casework) -> None:
    app, officer = casework.application, Actor("amy", Role.officer)
    when = datetime(2025, 6, 2, 10, tzinfo=UTC)
    provider = app.execute(RegisterProvider(name="Hilltop", service_type="care_home_residential",
                                            occurred_at=when), officer).aggregate_id
    app.execute(LogIntelligence(provider_id=provider, source="whistleblowing", received_at=when,
                                summary="Night staff asleep on duty (exempt)",
                                whistleblower=PersonDetails(name="Wendy Whistle", contact="07700 900123"),
                                occurred_at=when), officer)
    app.execute(RaiseSafeguardingConcern(provider_id=provider, category="neglect",
                                         summary="Resident left unattended (exempt)",
                                         adults_at_risk=[PersonDetails(name="Arthur Atrisk")],
                                         occurred_at=when), officer)
    report = annual_report(casework, date(2025, 4, 1), date(2026, 3, 1))
    assert report.intelligence_logged == 1
    for fmt in ("html", "csv", "json"):
        text = render(report, fmt)
        for secret in ("Wendy", "07700", "Arthur", "(exempt)", "asleep", "unattended"):
            assert secret not in text, (fmt, secret)


def test_casework_report_annual_writes_the_chosen_format(settings, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CASEWORK_DATABASE_URL", settings.database_url)
    assert CliRunner().invoke(cli, ["demo", "--scenario", "nottingham-city"]).exit_code == 0
    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["report", "annual", "--from", "2014-04-01", "--to", "2015-03-31",
                                      "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert figures["visits_total"] == 67
    assert {c: sum(r.values()) for c, r in figures["rag_by_category"].items()} == {
        "OP": 39, "PDSI": 2, "MH": 10, "LD": 16}
    html = CliRunner().invoke(cli, ["report", "annual", "--from", "2014-04-01", "--to", "2015-03-31"])
    assert html.exit_code == 0 and html.output.startswith("<!doctype html>")
    backwards = CliRunner().invoke(cli, ["report", "annual", "--from", "2015-04-01", "--to", "2015-03-31"])
    assert backwards.exit_code == 2


def test_the_report_shows_immediate_terminations_apart_and_loudly(casework: Casework) -> None:
    from datetime import timedelta

    from casework.domain.escalation import (
        ApproveImmediateTermination,
        EscalateContract,
        ProposeImmediateTermination,
        TerminateContract,
    )

    ann, ben = Actor("ann", Role.manager), Actor("ben", Role.manager)
    app = casework.application
    slow, fast, kept = (
        app.execute(RegisterProvider(name=name, service_type="care_home_residential"), ann).aggregate_id
        for name in ("Ash Court", "Birch Lodge", "Cedar House")
    )
    for why in ("QAF non-compliance", "plan not delivered", "no improvement at review"):
        app.execute(EscalateContract(provider_id=slow, reason=why), ann)
    app.execute(EscalateContract(provider_id=kept, reason="QAF non-compliance"), ann)
    app.execute(ProposeImmediateTermination(provider_id=fast, grounds="fraud",
                                            reason="Invoiced care that was not delivered"), ann)
    app.execute(ApproveImmediateTermination(provider_id=fast), ben)
    casework.clock.advance(timedelta(days=90))
    app.execute(TerminateContract(provider_id=slow, reason="No improvement in 90 days"), ann)

    year = (date(2026, 3, 1), date(2027, 2, 28))
    report = annual_report(casework, *year)
    assert (report.contracts_terminated, report.terminated_after_final_notice) == (2, 1)
    assert report.immediate_terminations == {"fraud": 1}
    page = render(report, "html")
    loud = page.split('id="immediate-terminations"', 1)[1].split("</div>", 1)[0]
    assert "Immediate terminations for a serious breach" in loud and "Fraud" in loud
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    value = {(r["section"], r["item"]): r["value"] for r in rows}
    assert value[("contracts terminated", "immediately for a serious breach")] == "1"
    assert value[("immediate terminations by grounds", "fraud")] == "1"
    before = annual_report(casework, date(2025, 3, 1), date(2026, 2, 28))
    assert before.contracts_terminated == 0 and before.immediate_terminations == {}
