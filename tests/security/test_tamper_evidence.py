"""Every column a read depends on is under the hash (issue 17, finding 4).

Someone with write access to the database edits one column of one event behind the store's back:
``casework verify`` (the store's ``verify`` and the command's exit status) and the provider
history's own check must name that event, whichever column it was. Before this was fixed,
``events.provider_id`` could be changed unnoticed, moving a whistleblowing record out of its
provider's history, and an event moved to position 0 vanished from the feed and from verify.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select, text, update

from casework.events.schema import events as T
from casework.projections.history import history

from .scenario import build_case

FORGED_PROVIDER = "00000000-0000-0000-0000-000000000000"


def _reworded(payload: str) -> str:
    value = orjson.loads(payload)
    value["forged"] = True
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


# column -> the forged value, from the event's row (a dict of its columns) and the log's
# highest position. Every column of the events table is listed; the test below checks that.
EDITS: dict[str, Callable[[dict[str, Any], int], Any]] = {
    "event_id": lambda row, top: str(uuid.uuid4()),
    "stream": lambda row, top: f"intelligence-{uuid.uuid4()}",
    "version": lambda row, top: row["version"] + 7,
    "type": lambda row, top: "RecordClosed",
    "schema_version": lambda row, top: row["schema_version"] + 1,
    "data": lambda row, top: _reworded(row["data"]),
    "metadata": lambda row, top: _reworded(row["metadata"]),
    "provider_id": lambda row, top: FORGED_PROVIDER,
    "occurred_at": lambda row, top: row["occurred_at"] - timedelta(days=1),
    "recorded_at": lambda row, top: row["recorded_at"] + timedelta(seconds=1),
    "hash": lambda row, top: "f" * 64,
    # after the stream's later events (reordering it), and out of the feed (read_all(after=0))
    "position": lambda row, top: top + 100,
    "position=0": lambda row, top: 0,
}


def test_every_column_of_the_events_table_is_edited_below() -> None:
    assert {c.name for c in T.columns} == {name.split("=")[0] for name in EDITS}


@pytest.mark.parametrize("column", list(EDITS))
def test_an_edit_of_any_column_of_one_event_is_named_by_verify_and_by_the_history(
    casework, http, cli, column
) -> None:
    case = build_case(http)
    stream = f"intelligence-{case.record_id}"
    with casework.engine.begin() as conn:
        # The record's allocation: an event in the middle of the whistleblowing record's stream.
        row = conn.execute(select(T).where(T.c.stream == stream, T.c.version == 2)).one()._asdict()
        top = conn.execute(select(func.max(T.c.position))).scalar_one()
        forged = EDITS[column](row, top)
        conn.execute(
            update(T).where(T.c.event_id == row["event_id"]).values({column.split("=")[0]: forged})
        )
    named = forged if column == "event_id" else row["event_id"]

    report = casework.store.verify()
    assert not report.ok and named in str(report.broken), report.broken

    verified = cli("verify")
    assert verified.exit_code == 1 and named in verified.stderr, verified.output

    found = history(casework, case.provider_id)
    assert found is not None and not found.verified
    assert named in found.broken, found.broken


def test_moving_a_whistleblowing_record_to_another_provider_is_named_by_verify_and_against_heads(
    casework, http, cli, tmp_path
) -> None:
    """The issue's own steps: the whole record's stream is given another provider id, so the
    record leaves its provider's history."""
    case = build_case(http)
    heads = tmp_path / "HEADS.json"
    assert cli("verify", "--export-heads", str(heads)).exit_code == 0
    before = history(casework, case.provider_id)
    stream = f"intelligence-{case.record_id}"
    first = casework.store.read_stream(stream)[0]
    with casework.engine.begin() as conn:
        conn.execute(text("UPDATE events SET provider_id = :z WHERE stream = :s"),
                     {"z": FORGED_PROVIDER, "s": stream})

    after = history(casework, case.provider_id)
    assert before is not None and after is not None
    assert len(after.events) < len(before.events)  # the record left the provider's history
    report = casework.store.verify()
    assert not report.ok and first.event_id in str(report.broken)
    assert "provider" in report.broken.reason
    for args in (("verify",), ("verify", "--against", str(heads))):
        result = cli(*args)
        assert result.exit_code == 1 and first.event_id in result.stderr, result.output
    # Where the record went, the history flags it as not that provider's.
    elsewhere = history(casework, FORGED_PROVIDER)
    assert elsewhere is not None and not elsewhere.verified
    assert first.event_id in elsewhere.broken
