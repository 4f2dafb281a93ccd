"""Colours mean one thing: red, amber and green are RAG ratings only, in the annual report and on
the dashboard; legends never overlap."""

from __future__ import annotations

import re
from datetime import date

import pytest

from casework.bootstrap import bootstrap
from casework.demo import load_scenario
from casework.projections.statistics import statistics
from casework.reports import charts
from casework.reports.annual import from_statistics
from casework.reports.render import ReportFormat, render
from casework.settings import Settings
from casework.web.pages.dashboard import charts_of

RAG = {c.lower() for c in charts.RAG_COLOURS.values()}
RAG_SERIES = {"Red", "Amber", "Green"}


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    """The Leicester year's figures (colours do not depend on the backend: SQLite only)."""
    path = tmp_path_factory.mktemp("colours") / "casework.db"
    cw = bootstrap(Settings(database_url=f"sqlite:///{path}", scheduler_enabled=False))
    try:
        load_scenario(cw, "leicester-2018")
        cw.projections.catch_up()
        return statistics(cw, date(2018, 4, 1), date(2019, 3, 31))
    finally:
        cw.close()


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", html, flags=re.S)


def test_the_reports_charts_use_red_amber_and_green_for_nothing_but_rag(figures) -> None:
    html = render(from_statistics(figures, "Leicester City Council"), ReportFormat.html)
    svgs = _svgs(html)
    assert svgs
    for svg in svgs:
        used = {c.lower() for c in re.findall(r'fill="(#[0-9a-fA-F]{6})"', svg)}
        assert not used & RAG, (re.search(r"<title>(.*?)</title>", svg).group(1), used & RAG)


def test_the_dashboards_charts_use_red_amber_and_green_for_rag_charts_only(figures) -> None:
    for chart in charts_of(figures):
        colours = {c.lower() for c in chart.colours}
        if set(chart.series) == RAG_SERIES:
            assert colours == RAG, chart.title
        else:
            assert not colours & RAG, (chart.title, chart.series, colours & RAG)
        assert len(chart.colours) == (len(chart.rows) if len(chart.series) == 1 else len(chart.series))


def _legend_boxes(svg: str) -> list[tuple[float, float, float, float]]:
    """(left, top, right, bottom) of each legend entry: its swatch and its 12 px text, whose
    width is taken generously as 0.62 em per character (Arial averages about 0.5)."""
    boxes = []
    for x, y, text in re.findall(r'<text x="([\d.]+)" y="([\d.]+)" font-size="12">([^<]*)</text>', svg):
        left, baseline = float(x) - 16, float(y)
        boxes.append((left, baseline - 12, float(x) + 0.62 * 12 * len(text), baseline + 3))
    return boxes


def test_the_rating_profiles_legend_entries_never_overlap_even_with_long_labels() -> None:
    svg = str(charts.stacked_bar(
        [("Outstanding", 1_234), ("Good", 12_345), ("Requires improvement", 70), ("Inadequate", 5),
         ("Not rated", 99)],
        title="CQC overall ratings", colours=charts.RATING_COLOURS,
    ))
    boxes = _legend_boxes(svg)
    assert len(boxes) == 5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (a, b)
    height = float(re.search(r'height="([\d.]+)"', svg).group(1))
    assert all(box[3] <= height for box in boxes)  # nothing drawn below the picture
