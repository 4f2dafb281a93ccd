"""Shared pieces: scratch databases, the event payload every system writes, timing and memory."""

from __future__ import annotations

import gc
import os
import random
import statistics
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg

PG_ADMIN_URL = os.environ.get("CASEWORK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DB = os.environ.get("CASEWORK_BENCH_DB", "casework_bench")

SUMMARY = (
    "Whistleblower reports staff shortages on the night shift; medication rounds late on two "
    "occasions and call bells unanswered for over twenty minutes. Asks not to be named."
)


# ----------------------------------------------------------------------------- configuration
@dataclass
class Sizes:
    singles: int = 2000          # single-event transactions per system
    bulk_events: int = 100_000   # events written in bulk (chunks of `chunk`)
    chunk: int = 1000            # events per bulk transaction
    per_stream: int = 10         # events per stream in the bulk load
    stream_events: int = 10_000  # the long stream / the provider's history
    repeats: int = 5             # read repetitions (median reported)
    rounds: int = 5              # write systems take turns in this many rounds (fair under noise)
    http_seconds: float = 20.0   # bounded time for the HTTP load test
    http_clients: int = 16
    http_workers: int = 2        # `casework serve --workers` (one per core of this machine)
    rebuild_events: int = 1_000_000
    growth_sizes: tuple[int, ...] = (100_000, 1_000_000)  # the log grown in steps (growth hook)
    growth_cold_max: int = 1_000_000  # start-up with every read model to rebuild, up to this
    growth_requests: int = 20  # timed requests of each kind at each size (medians)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(singles=300, bulk_events=10_000, stream_events=2_000, repeats=3, rounds=3,
                   http_seconds=5.0, rebuild_events=20_000, growth_sizes=(13_000, 26_000),
                   growth_requests=10)


@dataclass
class Context:
    sizes: Sizes
    pg_admin_url: str = PG_ADMIN_URL
    bench_db: str = BENCH_DB
    tmpdir: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    profile: str | None = None   # "pyinstrument" to profile Casework's store calls

    @property
    def pg_url(self) -> str:
        """libpq URL of the scratch database (psycopg.connect accepts it)."""
        base, _, _ = self.pg_admin_url.rpartition("/")
        return f"{base}/{self.bench_db}"

    @property
    def sa_url(self) -> str:
        return "postgresql+psycopg://" + self.pg_url.split("://", 1)[1]

    def put(self, key: str, value: Any) -> None:
        self.figures[key] = value


def recreate_database(admin_url: str, name: str) -> None:
    """Drop and create the scratch database (never a test database)."""
    if not name.startswith("casework_bench"):
        raise SystemExit(f"refusing to drop {name!r}: benchmark databases are named casework_bench*")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


# ----------------------------------------------------------------------------- the workload
BASE_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Ev:
    """One event as every system under test receives it (already decided, ready to store)."""

    event_id: str
    stream: str
    version: int
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    provider_id: str
    occurred_at: datetime


def make_event(stream: str, version: int, provider_id: str, i: int) -> Ev:
    """An intelligence-like event of ~500 bytes of JSON (data + metadata)."""
    rnd = random.Random(i)
    data = {
        "record_id": stream.removeprefix("intelligence-"),
        "provider_id": provider_id,
        "source": rnd.choice(["whistleblower", "complaint", "cqc", "safeguarding_team", "visit"]),
        "received_at": (BASE_TIME - timedelta(minutes=i)).isoformat(),
        "summary": SUMMARY,
        "risk": rnd.choice(["low", "medium", "high", "critical"]),
        "categories": ["staffing", "medication"],
        "sequence": i,
    }
    metadata = {"actor": "amy", "provider_id": provider_id, "command_id": str(uuid.uuid4())}
    return Ev(
        event_id=str(uuid.uuid4()),
        stream=stream,
        version=version,
        type="IntelligenceLogged" if version == 1 else "IntelligenceUpdated",
        data=data,
        metadata=metadata,
        provider_id=provider_id,
        occurred_at=BASE_TIME - timedelta(minutes=i),
    )


def bulk_streams(total: int, per_stream: int, tag: str) -> Iterator[list[Ev]]:
    """``total`` events as streams of ``per_stream`` events, 50 providers, in stream order."""
    n = 0
    s = 0
    while n < total:
        stream = f"intelligence-{tag}-{s}"
        provider = f"provider-{s % 50}"
        count = min(per_stream, total - n)
        yield [make_event(stream, v, provider, n + v) for v in range(1, count + 1)]
        n += count
        s += 1


def chunked_streams(total: int, per_stream: int, chunk: int, tag: str) -> Iterator[list[list[Ev]]]:
    """Bulk transactions: lists of streams holding ``chunk`` events together."""
    batch: list[list[Ev]] = []
    size = 0
    for stream in bulk_streams(total, per_stream, tag):
        batch.append(stream)
        size += len(stream)
        if size >= chunk:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


HISTORY_PROVIDER = "provider-history"
LONG_STREAM = "intelligence-long"


def long_stream(n: int) -> list[Ev]:
    """One stream of ``n`` events (aggregate with a long life)."""
    return [make_event(LONG_STREAM, v, "provider-long", v) for v in range(1, n + 1)]


def history_streams(n: int, streams: int = 20) -> list[list[Ev]]:
    """A provider's history: ``n`` events over ``streams`` streams (read back by provider)."""
    per = n // streams
    out = []
    for s in range(streams):
        count = per if s < streams - 1 else n - per * (streams - 1)
        stream = f"intelligence-hist-{s}"
        out.append([make_event(stream, v, HISTORY_PROVIDER, s * per + v) for v in range(1, count + 1)])
    return out


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


# ----------------------------------------------------------------------------- measuring
def quiet_logs() -> None:
    """Casework logs every command at INFO; the table must stay readable."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger().setLevel(logging.WARNING)


def fmt(v: Any, unit: str = "") -> str:
    """A figure for a table: thousands separated, three significant digits below 10."""
    if v is None:
        return "-"
    if isinstance(v, float) and v >= 1000:
        return f"{v:,.0f}{unit}"
    if isinstance(v, float):
        return f"{v:.3g}{unit}" if v < 10 else f"{v:.1f}{unit}"
    return f"{v:,}{unit}" if isinstance(v, int) else f"{v}{unit}"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def median_time(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn`` over ``repeats`` runs, after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        gc.collect()
        elapsed, _ = timed(fn)
        times.append(elapsed)
    return statistics.median(times)


def peak_mb(fn: Callable[[], Any]) -> float:
    """Peak Python heap (tracemalloc) while ``fn`` runs and its result is alive, in MB."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return round(peak / 1e6, 1)


@dataclass
class Latencies:
    """Per-operation latencies of a sequence of single operations."""

    samples: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.samples.append(seconds)

    def extend(self, other: Latencies) -> None:
        self.samples.extend(other.samples)

    @property
    def rate(self) -> float:
        return len(self.samples) / sum(self.samples) if self.samples else 0.0

    def pct_ms(self, p: float) -> float:
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
        return ordered[k] * 1000


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
