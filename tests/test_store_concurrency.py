"""Concurrent writers and a tailing reader: the reader sees every event exactly once, in order.

On PostgreSQL positions come from a sequence before commit; without the store's append lock,
transactions commit out of position order and a reader tailing by position skips events.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest

from casework.clock import SystemClock
from casework.events import ConcurrencyError, Metadata, to_new_event
from casework.events.base import DomainEvent
from casework.events.store import EventStore
from casework.events.store.database import make_engine


class Tick(DomainEvent, type_name="TestTick"):
    writer: int
    n: int


WRITERS = 4
TOTAL = 20_000
BATCH = 10  # events per append: 500 transactions per writer


def _new(writer: int, n: int):
    return to_new_event(
        Tick(writer=writer, n=n),
        metadata=Metadata(actor=f"writer-{writer}"),
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_concurrent_writers_and_a_tailing_reader_see_every_event_once_in_order(database_url):
    engine = make_engine(database_url, pool_size=WRITERS + 2) if "postgres" in database_url else (
        make_engine(database_url)
    )
    store = EventStore(engine, SystemClock())
    written: list[list[str]] = [[] for _ in range(WRITERS)]
    errors: list[BaseException] = []
    done = threading.Event()

    def writer(w: int) -> None:
        try:
            per_writer = TOTAL // WRITERS
            for start in range(0, per_writer, BATCH):
                events = [_new(w, start + i) for i in range(BATCH)]
                # Several streams per writer so that writers also meet on shared streams' heads.
                store.append(f"tick-{w}-{start % 7}", events)
                written[w].extend(str(e.event_id) for e in events)
        except BaseException as exc:  # surfaced by the main thread
            errors.append(exc)

    seen: list[tuple[int, str]] = []

    def reader() -> None:
        after = 0
        while True:
            page = store.read_all(after, limit=500)
            seen.extend((e.position, e.event_id) for e in page)
            if page:
                after = page[-1].position
            elif done.is_set() and after == store.head_position():
                return
            else:
                done.wait(0.002)  # poll back-off, so the reader does not starve the writers

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    tail = threading.Thread(target=reader)
    tail.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    tail.join(timeout=120)
    engine.dispose()

    assert not errors, errors
    positions = [p for p, _ in seen]
    assert positions == sorted(positions), "the reader saw positions out of order"
    assert len(seen) == len({i for _, i in seen}), "the reader saw an event twice"
    expected = {i for ids in written for i in ids}
    assert len(expected) == TOTAL
    missed = expected - {i for _, i in seen}
    assert not missed, f"the tailing reader skipped {len(missed)} events"


def test_two_racing_writers_on_one_stream_exactly_one_wins(database_url):
    engine = make_engine(database_url)
    store = EventStore(engine, SystemClock())
    store.append("race-1", [_new(0, 0)], expected_version=0)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def contender(w: int) -> None:
        barrier.wait()
        try:
            store.append("race-1", [_new(w, 1)], expected_version=1)
            outcomes.append("won")
        except ConcurrencyError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=contender, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    versions = [e.version for e in store.read_stream("race-1")]
    engine.dispose()
    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]
    assert versions == [1, 2]


@pytest.mark.parametrize("attempts", [3])
def test_a_retried_append_after_an_unknown_outcome_stores_once(database_url, attempts):
    engine = make_engine(database_url)
    store = EventStore(engine, SystemClock())
    events = [_new(1, 1), _new(1, 2)]
    results = [store.append("retry-1", events, expected_version=0) for _ in range(attempts)]
    assert all([e.event_id for e in r] == [str(e.event_id) for e in events] for r in results)
    assert store.count() == 2
    assert uuid.UUID(results[0][0].event_id) == events[0].event_id
    engine.dispose()


def test_writers_with_no_expected_version_on_one_stream_all_land_in_one_unbroken_chain(database_url):
    """Each writer has its own store (its own memory of the stream's head, as separate processes
    would): a head that moved costs a retry, never a lost event or a broken hash chain."""
    engine = make_engine(database_url)
    writers, each = 4, 40
    stores = [EventStore(engine, SystemClock()) for _ in range(writers)]
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            barrier.wait()
            for n in range(each):
                stores[w].append("shared-1", [_new(w, n)])
        except BaseException as exc:  # surfaced by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = stores[0].read_stream("shared-1")
    report = stores[0].verify()
    engine.dispose()
    assert not errors, errors
    assert [e.version for e in stored] == list(range(1, writers * each + 1))
    assert report.ok, report.broken
