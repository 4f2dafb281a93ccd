"""Issue 20, "CQC at a glance": the annual report gives the CQC rating profile of the council's
providers by service type, with their beds, in HTML, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

from casework.bootstrap import bootstrap
from casework.demo import load_scenario
from casework.projections.statistics import statistics
from casework.reports.annual import from_statistics
from casework.reports.render import ReportFormat, render
from casework.settings import Settings


def test_the_report_breaks_the_rating_profile_down_by_service_type_with_beds(tmp_path) -> None:
    cw = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", scheduler_enabled=False))
    try:
        load_scenario(cw, "leicester-2018")
        cw.projections.catch_up()
        report = from_statistics(statistics(cw, date(2018, 4, 1), date(2019, 3, 31)), "Leicester")
    finally:
        cw.close()
    by_type = report.ratings_by_service_type
    # Leicester's contracts: 18 nursing homes, 79 residential, 21 home care, 15 supported living
    assert {k: sum(v.values()) for k, v in by_type.items()} == {
        "care_home_nursing": 18, "care_home_residential": 79, "home_care": 21, "supported_living": 15}
    assert sum(v.get("Good", 0) for v in by_type.values()) == report.rating_profile.counts["Good"]
    assert report.beds == sum(report.beds_by_service_type.values()) > 0
    assert set(report.beds_by_service_type) <= {"care_home_nursing", "care_home_residential"}

    html = render(report, ReportFormat.html)
    table = re.search(r'<table id="ratings-by-service-type">(.*?)</table>', html, re.S).group(1)
    assert "Nursing care homes" in table and "Supported living" in table
    rows = list(csv.reader(io.StringIO(render(report, ReportFormat.csv))))
    nursing = [r for r in rows if r[:2] == ["cqc ratings by service type", "care_home_nursing"]]
    assert sum(int(r[3]) for r in nursing) == 18
    assert json.loads(render(report, ReportFormat.json))["ratings_by_service_type"] == by_type
