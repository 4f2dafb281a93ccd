"""Issue 20: the dashboard opens on the latest financial year in which the team did casework
(not the current, empty one, where an import logged records nobody has assessed), with presets
for financial years (April to March) and their quarters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from casework.domain.actors import Actor, Role
from casework.domain.intelligence import LogIntelligence
from casework.domain.notices import IssueRemedyNotice
from casework.domain.periods import financial_year, quarters
from casework.domain.providers import RegisterProvider
from casework.domain.visits import CompleteVisit, PlanVisit

from .conftest import Web

OLIVE = Actor("olive", Role.officer)
VISITED = datetime(2018, 11, 5, 10, tzinfo=UTC)  # in 2018/19


def _figure(html: str, ident: str) -> str:
    return re.search(rf'id="{ident}">([^<]*)<', html).group(1)


def _a_visit_in_2018_and_an_unassessed_record_today(web: Web) -> None:
    app = web.cw.application
    pid = app.execute(RegisterProvider(name="Rose Court", service_type="supported_living",
                                       occurred_at=VISITED - timedelta(days=30)), OLIVE).aggregate_id
    visit = app.execute(PlanVisit(provider_id=pid, reason="full_monitoring", planned_for=VISITED,
                                  occurred_at=VISITED - timedelta(days=7)), OLIVE).aggregate_id
    app.execute(CompleteVisit(visit_id=visit, findings="All well", rag="green", compliant=True,
                              occurred_at=VISITED), OLIVE)
    app.execute(LogIntelligence(provider_id=pid, source="cqc", summary="Rated Inadequate",
                                received_at=web.clock.now() - timedelta(hours=1)), OLIVE)


def test_the_dashboard_opens_on_the_latest_financial_year_with_casework(web: Web) -> None:
    _a_visit_in_2018_and_an_unassessed_record_today(web)
    web.sign_in("olive")
    html = web.client.get("/dashboard").text
    assert 'value="2018-04-01"' in html and 'value="2019-03-31"' in html
    assert "This is 2018/19, the latest financial year with casework recorded" in html
    assert _figure(html, "fig-visits") == "1"
    current = web.client.get("/dashboard?start=2025-04-01").text  # still there when asked for
    assert _figure(current, "fig-visits") == "0" and _figure(current, "fig-logged") == "1"


def test_presets_offer_each_financial_year_and_the_quarters_of_the_one_shown(web: Web) -> None:
    _a_visit_in_2018_and_an_unassessed_record_today(web)
    web.sign_in("olive")
    html = web.client.get("/dashboard").text
    years = re.findall(r'href="/dashboard\?start=(\d{4})-04-01&amp;end=(\d{4})-03-31"', html)
    assert years == [("2025", "2026"), ("2018", "2019")]  # this year, then those with casework
    for q in quarters(financial_year(VISITED.date())):
        assert f'href="/dashboard?start={q.first}&amp;end={q.last}" title="{q.name}"' in html
    assert "Quarters of 2018/19:" in html
    q3 = web.client.get("/dashboard?start=2018-10-01&end=2018-12-31").text
    assert _figure(q3, "fig-visits") == "1" and 'aria-current="true">Q3' in q3


def test_with_no_casework_at_all_it_opens_on_this_financial_year_so_far(web: Web) -> None:
    web.sign_in("olive")
    html = web.client.get("/dashboard").text
    today = web.clock.now().date()
    assert f'value="{financial_year(today).first}"' in html and f'value="{today}"' in html


def test_financial_years_and_quarters_run_april_to_march():
    year = financial_year(datetime(2019, 2, 3).date())
    assert (str(year.first), str(year.last), year.name) == ("2018-04-01", "2019-03-31", "2018/19")
    assert [(str(q.first), str(q.last)) for q in quarters(year)] == [
        ("2018-04-01", "2018-06-30"), ("2018-07-01", "2018-09-30"),
        ("2018-10-01", "2018-12-31"), ("2019-01-01", "2019-03-31")]
    assert financial_year(datetime(2018, 3, 31).date()).name == "2017/18"


def test_one_open_notice_is_one_notice_not_one_notices(web: Web) -> None:
    app = web.cw.application
    manny = Actor("manny", Role.manager)
    pid = app.execute(RegisterProvider(name="Elm House", service_type="supported_living"), manny).aggregate_id
    app.execute(IssueRemedyNotice(provider_id=pid, breach="Staffing below contract", actions=["Recruit"],
                                  remedy_by=web.clock.now().date() + timedelta(days=28)), manny)
    web.sign_in("manny")
    html = web.client.get("/dashboard").text
    assert "1 notice to remedy breach open." in html and "1 notices" not in html
