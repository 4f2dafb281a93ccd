"""A council's own population: the figures count the providers it contracts, not every CQC
location it imported from elsewhere (market intelligence), unless asked for "all" (both backends)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
import structlog
from typer.testing import CliRunner

from casework.api.app import create_app
from casework.bootstrap import Casework
from casework.cli.main import app as cli
from casework.demo import load_scenario
from casework.domain.actors import Actor, Role
from casework.domain.enums import CqcRating
from casework.domain.providers import UpdateProviderDetails
from casework.imports.cqc import BUNDLED_CQC_FILE
from casework.imports.cqc_importer import CqcImporter, provider_id_for
from casework.projections.statistics import Population, statistics

from .builders import rated_provider

OFFICER = Actor("officer", Role.officer)
YEAR = (date(2025, 4, 1), date(2026, 3, 31))


@pytest.fixture(autouse=True)
def _logging_not_left_on_a_closed_stream():
    yield
    structlog.reset_defaults()


def test_figures_count_the_councils_contracted_providers_unless_all_are_asked_for(casework: Casework) -> None:
    ours = rated_provider(casework, "Ours", contracted=True, rating=CqcRating.good, beds=30)
    theirs = rated_provider(casework, "Elsewhere", contracted=False, rating=CqcRating.inadequate, beds=50)
    casework.projections.catch_up()

    own = statistics(casework, *YEAR)
    assert own.population is Population.contracted
    assert (own.providers_counted, own.beds) == (1, 30)
    assert own.cqc_ratings.counts["good"] == 1 and own.cqc_ratings.counts["inadequate"] == 0
    assert own.cqc_ratings.by_service_type == {"care_home_residential": {"good": 1}}
    assert own.intelligence_logged == 1  # the other provider's record is not the council's

    known = statistics(casework, *YEAR, Population.all)
    assert (known.providers_counted, known.beds, known.intelligence_logged) == (2, 80, 2)
    assert known.cqc_ratings.counts["inadequate"] == 1

    # An officer marks the other service contracted: it is counted from then on.
    casework.application.execute(UpdateProviderDetails(provider_id=theirs, contracted=True), OFFICER)
    casework.projections.catch_up()
    assert statistics(casework, *YEAR).providers_counted == 2
    assert casework.application.load("provider", theirs).contracted
    assert casework.application.load("provider", ours).contracted


def test_the_cqc_import_registers_the_councils_areas_as_contracted_and_others_as_market_intelligence(
    casework: Casework,
) -> None:
    report = CqcImporter(casework.application, contracted_areas=["plymouth"]).import_file(BUNDLED_CQC_FILE)
    assert report.ok and report.providers_registered == 421
    events = [e for page in casework.store.iter_all() for e in page if e.type == "ProviderRegistered"]
    in_plymouth = {e.data["provider_id"] for e in events if e.data["district"] == "Plymouth"}
    assert 0 < len(in_plymouth) < 421
    assert report.registered_contracted == len(in_plymouth)
    assert all(e.data["contracted"] == (e.data["provider_id"] in in_plymouth) for e in events)
    casework.projections.catch_up()
    assert statistics(casework, date(2020, 4, 1), date(2021, 3, 31)).providers_counted == len(in_plymouth)
    # Importing again with other areas changes no provider already known (an officer may have).
    again = CqcImporter(casework.application, contracted_areas=["devon"]).import_file(BUNDLED_CQC_FILE)
    assert again.events_appended == 0
    assert casework.application.load("provider", provider_id_for("1-1000587219")).contracted is False


def _round(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def test_the_demonstration_gives_leicesters_cqc_profile_although_devon_homes_are_imported(
    casework: Casework,
) -> None:
    """Leicester's 2018/19 report: 3.5 % Outstanding, 85.6 % Good, 10.4 % Requires improvement,
    0.5 % Inadequate of the services it contracts. The 421 Devon and Plymouth homes the
    demonstration also imports are market intelligence and must not move these figures."""
    load_scenario(casework, "leicester-2018")
    CqcImporter(casework.application).import_file(BUNDLED_CQC_FILE)
    casework.projections.catch_up()
    own = statistics(casework, date(2018, 4, 1), date(2019, 3, 31))
    counts = own.cqc_ratings.counts
    rated = sum(counts.values())
    shares = {k: 100 * v / rated for k, v in counts.items()}
    report = {"outstanding": 3.5, "good": 85.6, "requires_improvement": 10.4, "inadequate": 0.5}
    assert {k: _round(v) for k, v in shares.items()} == {k: _round(v) for k, v in report.items()}
    assert own.providers_counted == 133 == rated
    everyone = statistics(casework, date(2018, 4, 1), date(2019, 3, 31), Population.all)
    assert everyone.providers_counted == 133 + 421


def test_the_statistics_api_and_the_annual_report_say_whose_figures_they_are(
    casework: Casework, as_role, settings, monkeypatch
) -> None:
    from fastapi.testclient import TestClient

    rated_provider(casework, "Ours", contracted=True, rating=CqcRating.good, beds=30)
    rated_provider(casework, "Elsewhere", contracted=False, rating=CqcRating.good, beds=50)
    with TestClient(create_app(casework), raise_server_exceptions=False) as client:
        period = {"from": "2025-04-01", "to": "2026-03-31"}
        own = client.get("/api/v1/stats", params=period, headers=as_role("officer"))
        assert own.status_code == 200
        assert (own.json()["population"], own.json()["providers_counted"]) == ("contracted", 1)
        known = client.get("/api/v1/stats", params={**period, "population": "all"},
                           headers=as_role("officer"))
        assert (known.json()["population"], known.json()["providers_counted"]) == ("all", 2)
        wrong = client.get("/api/v1/stats", params={**period, "population": "mine"},
                           headers=as_role("officer"))
        assert wrong.status_code == 422 and "population" in wrong.text

    monkeypatch.setenv("CASEWORK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CASEWORK_COUNCIL_NAME", "Testshire County Council")
    for whose, expected in (("contracted", "the council's 1 contracted providers"),
                            ("all", "all 2 providers known")):
        result = CliRunner().invoke(cli, ["report", "annual", "--from", "2025-04-01", "--to", "2026-03-31",
                                          "--population", whose])
        assert result.exit_code == 0, result.output
        assert expected in result.output
    refused = CliRunner().invoke(cli, ["report", "annual", "--from", "2025-04-01", "--to", "2026-03-31",
                                       "--population", "mine"])
    assert refused.exit_code == 2 and "contracted or all" in refused.output


def test_an_officer_marks_a_provider_contracted_over_http_and_bad_input_changes_nothing(
    casework: Casework, as_role
) -> None:
    from fastapi.testclient import TestClient

    pid = rated_provider(casework, "Elsewhere", contracted=False, rating=CqcRating.good, beds=50)
    with TestClient(create_app(casework), raise_server_exceptions=False) as client:
        head = casework.store.head_position()
        bad = client.post(f"/api/v1/providers/{pid}/details", json={"contracted": "perhaps"},
                           headers=as_role("officer"))
        assert bad.status_code == 422 and "contracted" in bad.text
        empty = client.post(f"/api/v1/providers/{pid}/details", json={}, headers=as_role("officer"))
        assert empty.status_code == 422
        assert casework.store.head_position() == head
        refused = client.post(f"/api/v1/providers/{pid}/details", json={"contracted": True},
                               headers=as_role("auditor"))
        assert refused.status_code == 403
        done = client.post(f"/api/v1/providers/{pid}/details", json={"contracted": True},
                            headers=as_role("officer"))
        assert done.status_code == 200, done.text
    assert casework.application.load("provider", pid).contracted is True

