"""The event store's contract, run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from casework.events import (
    ConcurrencyError,
    DomainEvent,
    DuplicateEventError,
    Metadata,
    to_new_event,
    upcaster,
)
from casework.events.base import decode
from casework.events.store import AppendRequest, EventStore


class NoteRecorded(DomainEvent, type_name="TestNoteRecorded", version=2):
    text: str
    priority: str


@upcaster("TestNoteRecorded", from_version=1)
def _note_v1_to_v2(data: dict) -> dict:
    return {**data, "priority": "normal"}


WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def note(text_: str, provider: str = "p1", event_id: uuid.UUID | None = None):
    return to_new_event(
        NoteRecorded(text=text_, priority="high"),
        metadata=Metadata(actor="amy", provider_id=provider),
        occurred_at=WHEN,
        event_id=event_id,
    )


@pytest.fixture
def store(casework) -> EventStore:
    return casework.store


def test_append_assigns_versions_positions_and_both_times(store, clock):
    stored = store.append("note-1", [note("a"), note("b")], expected_version=0)
    assert [e.version for e in stored] == [1, 2]
    assert stored[0].position < stored[1].position
    assert stored[0].occurred_at == WHEN
    assert stored[0].recorded_at == clock.now()
    again = store.read_stream("note-1")
    assert [e.data["text"] for e in again] == ["a", "b"]
    assert again[0].hash == stored[0].hash and again[1].hash == stored[1].hash
    assert again[0].occurred_at == WHEN and again[0].recorded_at == clock.now()
    assert again[0].actor == "amy"


def test_stale_expected_version_writes_nothing(store):
    store.append("note-1", [note("a")], expected_version=0)
    with pytest.raises(ConcurrencyError) as err:
        store.append("note-1", [note("b"), note("c")], expected_version=0)
    assert err.value.actual == 1
    assert [e.data["text"] for e in store.read_stream("note-1")] == ["a"]
    assert store.count() == 1


def test_batch_over_streams_is_all_or_nothing(store):
    store.append("note-2", [note("x")], expected_version=0)
    with pytest.raises(ConcurrencyError):
        store.append_batch(
            [
                AppendRequest("note-1", [note("a")], expected_version=0),
                AppendRequest("note-2", [note("y")], expected_version=0),  # stale
            ]
        )
    assert store.read_stream("note-1") == []
    assert store.count() == 1


def test_retry_with_same_event_ids_is_a_no_op(store):
    first = [note("a"), note("b")]
    stored = store.append("note-1", first, expected_version=0)
    retried = store.append("note-1", first, expected_version=0)
    assert [e.position for e in retried] == [e.position for e in stored]
    assert store.count() == 2


def test_same_event_id_with_other_content_is_refused(store):
    ident = uuid.uuid4()
    store.append("note-1", [note("a", event_id=ident)], expected_version=0)
    with pytest.raises(DuplicateEventError):
        store.append("note-1", [note("changed", event_id=ident)], expected_version=1)
    assert store.count() == 1


def test_history_spans_streams_and_respects_as_of(store, clock):
    store.append("note-1", [note("first")], expected_version=0)
    clock.advance(timedelta(days=1))
    cut = clock.now()
    store.append("visit-9", [note("second")], expected_version=0)
    store.append("note-3", [note("other provider", provider="p2")], expected_version=0)
    clock.advance(timedelta(days=1))
    store.append("note-1", [note("third")], expected_version=1)
    assert [e.data["text"] for e in store.read_history("p1")] == ["first", "second", "third"]
    assert [e.data["text"] for e in store.read_history("p1", as_of=cut)] == ["first", "second"]


def test_read_all_pages_in_position_order(store):
    for i in range(25):
        store.append(f"note-{i % 4}", [note(str(i))])
    seen, after = [], 0
    while page := store.read_all(after, limit=7):
        seen.extend(e.data["text"] for e in page)
        after = page[-1].position
    assert seen == [str(i) for i in range(25)]
    assert store.head_position() == after


def test_typed_event_is_upcast_from_an_older_schema():
    event = decode("TestNoteRecorded", 1, {"text": "old"})
    assert event == NoteRecorded(text="old", priority="normal")


def test_verify_passes_on_an_intact_log(store):
    store.append("note-1", [note("a"), note("b")])
    store.append("note-2", [note("c")])
    report = store.verify()
    assert report.ok and report.events_checked == 3 and report.streams_checked == 2


def test_verify_finds_a_payload_edited_behind_the_stores_back(store):
    store.append("note-1", [note("a"), note("b"), note("c")])
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET data = :d WHERE stream = 'note-1' AND version = 2"),
            {"d": '{"priority":"high","text":"forged"}'},
        )
    report = store.verify()
    assert not report.ok
    assert report.broken.stream == "note-1" and report.broken.version == 2
    assert "altered" in report.broken.reason


def test_verify_finds_a_deleted_event(store):
    store.append("note-1", [note("a"), note("b"), note("c")])
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE stream = 'note-1' AND version = 2"))
    report = store.verify()
    assert not report.ok and report.broken.version == 3
    assert "deleted" in report.broken.reason


def test_verify_against_exported_heads_finds_a_log_cut_short(store):
    store.append("note-1", [note("a"), note("b")])
    heads = store.export_heads()
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE stream = 'note-1' AND version = 2"))
    assert store.verify().ok  # the chain that is left is consistent...
    report = store.verify(against=heads)  # ...but shorter than it was
    assert not report.ok and "lost" in report.broken.reason


# ------------------------------------------------------- appends from two processes to one stream
# On PostgreSQL a one-stream append chains its hashes to the head this process last saw and lets
# the database check that head under the append lock (migration 0004). Another process's appends,
# or a log restored under a running process, must then cost a retry, never a wrong link.


@pytest.fixture
def other_process(store) -> EventStore:
    """A second store on the same database, with its own memory of stream heads."""
    return EventStore(store.engine, store.clock)


def test_an_append_after_another_process_appended_links_to_its_event(store, other_process):
    store.append("note-1", [note("a")], expected_version=0)
    store.read_stream("note-1")
    other_process.append("note-1", [note("b")], expected_version=1)
    stored = store.append("note-1", [note("c")])  # no expected version: after whatever is there
    assert stored[0].version == 3
    assert [e.data["text"] for e in store.read_stream("note-1")] == ["a", "b", "c"]
    assert store.verify().ok


def test_a_stale_expected_version_is_refused_even_when_this_process_saw_that_head(store, other_process):
    store.append("note-1", [note("a")], expected_version=0)
    other_process.append("note-1", [note("b")], expected_version=1)
    with pytest.raises(ConcurrencyError) as err:
        store.append("note-1", [note("c")], expected_version=1)
    assert err.value.actual == 2
    assert store.count() == 2


def test_an_append_after_the_log_was_restored_links_to_the_restored_head(store, other_process):
    store.append("note-1", [note("a")], expected_version=0)
    # The head this process remembers is replaced behind its back by an event with the same
    # version and other content (a restore from a backup taken elsewhere, say).
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE stream = 'note-1'"))
    other_process.append("note-1", [note("restored")], expected_version=0)
    store.append("note-1", [note("next")], expected_version=1)
    assert [e.data["text"] for e in store.read_stream("note-1")] == ["restored", "next"]
    assert store.verify().ok


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_the_append_function_takes_the_stores_lock_and_channel(store):
    from casework.events.store import APPEND_LOCK_KEY, NOTIFY_CHANNEL

    with store.engine.connect() as conn:
        query = text("SELECT prosrc FROM pg_proc WHERE proname = 'casework_append'")
        source = conn.execute(query).scalar()
    assert f"pg_advisory_xact_lock({APPEND_LOCK_KEY})" in source
    assert f"pg_notify('{NOTIFY_CHANNEL}'" in source


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_a_one_statement_append_hands_its_connection_back_to_the_pool_transactional(store):
    # The one-statement append borrows a pooled connection in autocommit. Were it returned so,
    # the next batch append's advisory lock would end with its own statement and stop
    # serialising positions with commits.
    from sqlalchemy.pool import QueuePool

    from casework.events.store.database import make_engine

    one = make_engine(store.engine.url.render_as_string(hide_password=False),
                      poolclass=QueuePool, pool_size=1, max_overflow=0)
    try:
        single = EventStore(one, store.clock)
        single.append("note-1", [note("a")])
        with one.connect() as conn:
            assert conn.connection.driver_connection.autocommit is False
        single.append_batch([AppendRequest("note-1", [note("b")]), AppendRequest("note-2", [note("c")])])
        assert [e.version for e in single.read_stream("note-1")] == [1, 2]
    finally:
        one.dispose()
