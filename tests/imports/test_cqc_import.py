"""Importing CQC location records into the store (both backends)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import orjson
import pytest
import structlog
from typer.testing import CliRunner

from casework.bootstrap import Casework
from casework.cli.main import app as cli
from casework.imports.cqc import BUNDLED_CQC_FILE
from casework.imports.cqc_importer import CqcImporter, provider_id_for
from casework.projections.statistics import Population, statistics


@pytest.fixture(autouse=True)
def _logging_not_left_on_a_closed_stream():
    """``casework`` commands run in CliRunner point the logs at its stream, closed afterwards."""
    yield
    structlog.reset_defaults()


def _records(*changes: tuple[int, dict]) -> list[str]:
    """The first lines of the bundled file, with some records changed."""
    lines = BUNDLED_CQC_FILE.read_text(encoding="utf-8").splitlines()[:5]
    for index, update in changes:
        record = orjson.loads(lines[index])
        record.update(update)
        lines[index] = orjson.dumps(record).decode()
    return lines


def _import(cw: Casework, lines: list[str], tmp_path) -> object:
    path = tmp_path / f"cqc-{len(list(tmp_path.iterdir()))}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return CqcImporter(cw.application).import_file(path)


def test_the_bundled_file_imports_to_the_readme_figures_and_importing_it_again_appends_nothing(
    casework: Casework,
) -> None:
    importer = CqcImporter(casework.application)
    report = importer.import_file(BUNDLED_CQC_FILE)
    assert report.ok
    events = [e for page in casework.store.iter_all() for e in page]
    types = Counter(e.type for e in events)
    registered = [e for e in events if e.type == "ProviderRegistered"]
    assert len(registered) == 421
    assert sum(e.data["beds"] or 0 for e in registered) == 10_514
    assert (report.current_ratings, report.historic_ratings) == (416, 806)
    # one rating event per published report (CQC lists 4 focused reports both ways)
    assert types["CqcRatingPublished"] == 416 + 806 - 4 == report.ratings_appended
    assert types["IntelligenceLogged"] == report.intelligence_logged > 0
    current = Counter(
        casework.application.load("provider", e.data["provider_id"]).cqc_overall for e in registered
    )
    assert current == {"good": 322, "outstanding": 43, "requires_improvement": 40, "inadequate": 10,
                       "inspected_but_not_rated": 1, None: 5}
    casework.projections.catch_up()
    known = statistics(casework, date(2020, 4, 1), date(2021, 1, 31), Population.all)
    assert known.cqc_ratings.counts == {
        "outstanding": 43, "good": 322, "requires_improvement": 40, "inadequate": 10}
    assert (known.providers_counted, known.beds) == (421, 10_514)
    # No council area configured: every location is market intelligence, none is the council's.
    own = statistics(casework, date(2020, 4, 1), date(2021, 1, 31))
    assert own.providers_counted == 0 and sum(own.cqc_ratings.counts.values()) == 0

    head = casework.store.head_position()
    again = importer.import_file(BUNDLED_CQC_FILE)
    assert (again.events_appended, again.providers_unchanged) == (0, 421)
    assert casework.store.head_position() == head


def test_each_rating_is_in_the_providers_timeline_at_its_report_date(casework: Casework, tmp_path) -> None:
    _import(casework, _records(), tmp_path)
    pid = provider_id_for("1-1000587219")  # Highlands Borders Care Home: a report in 2015, 2017, 2020
    assert pid == provider_id_for("1-1000587219")  # the same id on every import
    history = casework.store.read_history(pid)
    ratings = [e for e in history if e.type == "CqcRatingPublished"]
    assert [e.occurred_at.date().isoformat() for e in sorted(ratings, key=lambda e: e.occurred_at)] == [
        "2015-04-20", "2017-07-20", "2020-05-06", "2020-12-18"]
    assert all(e.occurred_at == datetime.fromisoformat(e.data["report_date"]).replace(tzinfo=UTC)
               for e in ratings)
    registered = history[0]
    assert registered.type == "ProviderRegistered"
    expected = {
        "name": "Highlands Borders Care Home", "service_type": "care_home_residential",
        "categories": ["OP", "LD", "PDSI"], "cqc_location_id": "1-1000587219",
        "cqc_provider_id": "1-101693962", "beds": 28, "district": "Devon", "nhs_area": "NHS Devon CCG"}
    assert {k: registered.data[k] for k in expected} == expected


def test_a_newer_file_appends_only_what_changed_and_a_fall_is_logged_for_triage(
    casework: Casework, tmp_path
) -> None:
    _import(casework, _records(), tmp_path)
    head = casework.store.head_position()
    new_report = {"overall": {"rating": "Inadequate", "reportDate": "2021-02-01", "reportLinkId": "new-1",
                              "keyQuestionRatings": [{"name": "Safe", "rating": "Inadequate"}]}}
    first = orjson.loads(_records()[0])
    was_current = {"reportLinkId": first["currentRatings"]["overall"]["reportLinkId"],
                   "reportDate": "2020-05-06", "overall": {"rating": "Good"}}
    newer = _records((0, {"numberOfBeds": 30, "currentRatings": new_report,
                          "historicRatings": [*first["historicRatings"], was_current]}))
    report = _import(casework, newer, tmp_path)
    appended = casework.store.read_all(after=head)
    assert sorted(e.type for e in appended) == [
        "CqcRatingPublished", "IntelligenceLogged", "ProviderDetailsChanged"]
    details = next(e for e in appended if e.type == "ProviderDetailsChanged")
    assert details.data["beds"] == 30
    logged = next(e for e in appended if e.type == "IntelligenceLogged")
    assert logged.data["source"] == "cqc" and "Inadequate" in logged.data["summary"]
    assert logged.provider_id == provider_id_for(first["locationId"])
    assert (report.providers_updated, report.ratings_appended, report.intelligence_logged) == (1, 1, 1)


def test_an_unreadable_record_is_reported_by_line_while_the_rest_import(casework: Casework, tmp_path) -> None:
    lines = _records()
    lines.insert(2, "{not json")
    lines.insert(4, orjson.dumps({"locationId": "1-x", "name": "Hospice",
                                  "gacServiceTypes": [{"name": "Hospice services"}]}).decode())
    report = _import(casework, lines, tmp_path)
    assert [r.line for r in report.rejected] == [3, 5]
    assert "no Casework service type" in report.rejected[1].reason
    assert report.locations == 5


def test_casework_import_cqc_exits_1_naming_the_rejected_lines(settings, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CASEWORK_DATABASE_URL", settings.database_url)
    path = tmp_path / "cqc.jsonl"
    path.write_text("\n".join([*_records(), "[]"]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "cqc", str(path)])
    assert result.exit_code == 1, result.output
    assert "imported 5 locations" in result.output
    assert "1 line rejected (line 6); 5 locations imported" in result.output
    path.write_text("\n".join(_records()) + "\n", encoding="utf-8")
    again = CliRunner().invoke(cli, ["import", "cqc", str(path)])
    assert again.exit_code == 0, again.output
    assert "appended 0 events" in again.output
