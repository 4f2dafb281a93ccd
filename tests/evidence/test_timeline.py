"""The bundle's timeline in words: the raw forms issue 19 quotes (`Linked {"id": …, "kind":
"intelligence"}`, `Scores {}`, `Announced False`) never reach it, and it is ordered by when things
happened, a late entry marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from casework.evidence.bundle import plain_description, render_timeline
from casework.projections.history import SEALED, HistoryEntry

WHEN = datetime(2018, 9, 3, 9, 0, tzinfo=UTC)


def entry(position: int, type: str, data: dict, occurred: datetime, recorded: datetime | None = None,
          reason: str | None = None) -> HistoryEntry:
    return HistoryEntry(
        position=position, event_id=f"e{position}", stream="visit-1", version=position, type=type,
        occurred_at=occurred, recorded_at=recorded or occurred, actor="amy", reason=reason,
        data=data, has_restricted_data=SEALED in data.values(), hash="ab" * 32)


def test_an_entry_reads_as_words_never_as_raw_data() -> None:
    said = plain_description(entry(1, "VisitPlanned", {
        "visit_id": "9453ce50-1234-4abc-8def-0123456789ab", "announced": False, "scores": {},
        "triggered_by": {"id": "9453ce50-1234-4abc-8def-0123456789ab", "kind": "intelligence"},
        "planned_for": "2018-09-05T10:00:00+00:00", "items": [], "reason": "responsive",
        "whistleblower": SEALED}, WHEN))
    assert said.startswith("Visit planned: ")
    assert "announced no" in said and "triggered by intelligence record 9453ce50" in said
    assert "planned for 5 Sep 2018 11:00" in said and "sealed personal data (not shown)" in said
    for raw in ("False", "{", "}", "[]", '"', "scores", "items", "9453ce50-1234"):
        assert raw not in said, raw


def test_the_timeline_is_in_the_order_things_happened_with_late_entries_marked() -> None:
    late = entry(1, "VisitCompleted", {"findings": "Fine"}, WHEN + timedelta(days=2),
                 recorded=WHEN + timedelta(days=9))
    early = entry(2, "VisitPlanned", {"reason": "responsive"}, WHEN)
    page = render_timeline([late, early], title="Elm <Court>", council="Test council",
                           exported_at=WHEN + timedelta(days=10))
    assert page.index("Visit planned") < page.index("Visit completed")
    assert "recorded late: 12 Sep 2018" in page
    assert page.count("recorded late") == 1
    assert "Elm &lt;Court&gt;" in page and "Elm <Court>" not in page


def test_the_timeline_takes_another_describer() -> None:
    page = render_timeline([entry(1, "VisitPlanned", {}, WHEN)], lambda e: f"said by {e.actor}",
                           title="t", council="c", exported_at=WHEN)
    assert "said by amy" in page and "Visit planned" not in page
