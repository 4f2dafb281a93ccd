"""Casework benchmarks: the store against raw psycopg/sqlite3 (the limit) and the eventsourcing
library (the peer), on the same PostgreSQL, in the same run.

    .venv/bin/python -m benchmarks.run            # default sizes (the growth hook alone ~9 min)
    .venv/bin/python -m benchmarks.run --quick    # smoke run, under a minute
    .venv/bin/python benchmarks/run.py --only pg --singles 5000 --bulk-events 200000

Prints a table and, as its last line, one JSON object with every figure and goal.
Uses its own scratch databases (casework_bench*, dropped and re-created) and a temp dir.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common as C
from benchmarks.growth import parse_sizes
from benchmarks.growth import report as growth_report
from benchmarks.hooks import HOOKS, NotYetAvailable, http_selftest
from benchmarks.systems import (
    CaseworkStore,
    Peer,
    RawPostgres,
    RawPostgresTx,
    RawSqlite,
)

SINGLE_STREAMS = 100


def say(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- shared flow
def seed_events() -> list[C.Ev]:
    return [C.make_event(f"intelligence-single-{i}", 1, f"provider-{i % 50}", i)
            for i in range(SINGLE_STREAMS)]


def single_events(n: int) -> list[C.Ev]:
    """Commands on existing aggregates: one event each, round-robin over 100 streams."""
    return [C.make_event(f"intelligence-single-{i % SINGLE_STREAMS}", 2 + i // SINGLE_STREAMS,
                         f"provider-{i % 50}", 1000 + i) for i in range(n)]


def split(items: list[Any], parts: int) -> list[list[Any]]:
    size = -(-len(items) // parts)
    return [items[i : i + size] for i in range(0, len(items), size)]


def interleaved_singles(ctx: C.Context, systems: list[Any], prefix: str) -> None:
    """Every system appends the same events; they take turns in rounds so that load from
    anything else on the machine falls on all of them alike."""
    s = ctx.sizes
    evs = single_events(s.singles)
    lats = {sys_.name: C.Latencies() for sys_ in systems}
    for r, part in enumerate(split(evs, s.rounds)):
        order = systems[r % len(systems):] + systems[: r % len(systems)]
        for sys_ in order:
            lat = sys_.single(part)
            if r > 0 or s.rounds == 1:
                lats[sys_.name].extend(lat)
            else:  # the first round warms connections, prepared statements, caches
                lats[sys_.name].extend(C.Latencies(lat.samples[len(lat.samples) // 5:]))
    for sys_ in systems:
        lat = lats[sys_.name]
        key = f"{prefix}.{_key(sys_)}"
        ctx.put(f"{key}.single_per_s", round(lat.rate, 1))
        ctx.put(f"{key}.single_p50_ms", round(lat.pct_ms(50), 3))
        ctx.put(f"{key}.single_p99_ms", round(lat.pct_ms(99), 3))


def interleaved_bulk(ctx: C.Context, systems: list[Any], prefix: str) -> None:
    s = ctx.sizes
    batches = list(C.chunked_streams(s.bulk_events, s.per_stream, s.chunk, "bulk"))
    total = {sys_.name: 0.0 for sys_ in systems}
    events = {sys_.name: 0 for sys_ in systems}
    for r, part in enumerate(split(batches, s.rounds)):
        order = systems[r % len(systems):] + systems[: r % len(systems)]
        for sys_ in order:
            total[sys_.name] += sys_.bulk(part)
            events[sys_.name] += sum(len(st) for b in part for st in b)
    for sys_ in systems:
        ctx.put(f"{prefix}.{_key(sys_)}.bulk_per_s", round(events[sys_.name] / total[sys_.name], 1))


def _key(system: Any) -> str:
    return {"raw psycopg": "raw", "raw sqlite3": "raw", "eventsourcing": "peer",
            "raw psycopg tx": "raw_tx"}.get(
        system.name, "casework")


def reads(ctx: C.Context, systems: list[Any], prefix: str) -> None:
    rep = ctx.sizes.repeats
    for sys_ in systems:
        k = f"{prefix}.{_key(sys_)}"
        ms = C.median_time(sys_.read_stream, rep) * 1000
        ctx.put(f"{k}.stream_read_ms", round(ms, 2))
        ctx.put(f"{k}.stream_read_mb", C.peak_mb(sys_.read_stream))
        if not isinstance(sys_, Peer):
            ms = C.median_time(sys_.read_history, rep) * 1000
            ctx.put(f"{k}.history_ms", round(ms, 2))
            ctx.put(f"{k}.history_mb", C.peak_mb(sys_.read_history))
        n = sys_.read_log()
        secs = C.median_time(sys_.read_log, max(1, rep // 2), warmup=0)
        ctx.put(f"{k}.log_events", n)
        ctx.put(f"{k}.log_read_per_s", round(n / secs, 1))
        ctx.put(f"{k}.log_read_mb", C.peak_mb(sys_.read_log))
        if isinstance(sys_, CaseworkStore):
            secs = C.median_time(sys_.read_log_default_pages, max(1, rep // 2), warmup=0)
            ctx.put(f"{k}.log_read_1000_per_s", round(n / secs, 1))


# ----------------------------------------------------------------------------- PostgreSQL
def measure_postgres(ctx: C.Context) -> None:
    s = ctx.sizes
    say(f"PostgreSQL: scratch database {ctx.bench_db}")
    C.recreate_database(ctx.pg_admin_url, ctx.bench_db)
    raw = RawPostgres(ctx.pg_url)
    cw = CaseworkStore(ctx.sa_url, "casework")
    host, port = _host_port(ctx.pg_url)
    peer = Peer(ctx.bench_db, host, port, "postgres", "")
    systems = [raw, cw, peer]
    try:
        for sys_ in systems:
            sys_.setup()
            sys_.seed_singles(seed_events())
        raw.setup_copy_table()
        server_facts(ctx)
        say(f"single appends: {s.singles} per system, {s.rounds} interleaved rounds")
        raw_tx = RawPostgresTx(raw, ctx.pg_url)
        try:
            interleaved_singles(ctx, [raw, cw, peer, raw_tx], "pg")
        finally:
            raw_tx.close()
        say(f"bulk: {s.bulk_events} events per system in transactions of {s.chunk}")
        interleaved_bulk(ctx, systems, "pg")
        copy_batches = list(C.chunked_streams(s.bulk_events, s.per_stream, s.chunk, "copy"))
        ctx.put("pg.raw.copy_per_s", round(s.bulk_events / raw.copy(copy_batches), 1))
        say(f"loading a {s.stream_events}-event stream and a {s.stream_events}-event history")
        long = C.long_stream(s.stream_events)
        hist = C.history_streams(s.stream_events)
        for sys_ in systems:
            sys_.load([long] + ([] if sys_ is peer else hist))
            sys_.analyze()
        say("reads")
        reads(ctx, systems, "pg")
        if ctx.profile:
            profile_casework(ctx, cw, "pg")
    finally:
        for sys_ in systems:
            sys_.close()


def server_facts(ctx: C.Context) -> None:
    import psycopg

    with psycopg.connect(ctx.pg_url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        ctx.put("machine.postgres", row[0] if row else "?")
        settings = dict(conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('fsync', 'synchronous_commit', 'shared_buffers', 'wal_sync_method')"
        ).fetchall())
        ctx.put("machine.postgres_settings", settings)


def _host_port(url: str) -> tuple[str, str]:
    hostport = url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = hostport.partition(":")
    return host, port or "5432"


# ----------------------------------------------------------------------------- SQLite
def measure_sqlite(ctx: C.Context) -> None:
    s = ctx.sizes
    path = Path(ctx.tmpdir)
    say(f"SQLite (WAL, synchronous=FULL) in {path}")
    raw = RawSqlite(str(path / "raw.db"))
    cw = CaseworkStore(f"sqlite:///{path / 'casework.db'}", "casework")
    systems = [raw, cw]
    try:
        for sys_ in systems:
            sys_.setup()
            sys_.seed_singles(seed_events())
        interleaved_singles(ctx, systems, "sqlite")
        interleaved_bulk(ctx, systems, "sqlite")
        long = C.long_stream(s.stream_events)
        hist = C.history_streams(s.stream_events)
        for sys_ in systems:
            sys_.load([long] + hist)
            sys_.analyze()
        reads(ctx, systems, "sqlite")
        if ctx.profile:
            profile_casework(ctx, cw, "sqlite")
    finally:
        for sys_ in systems:
            sys_.close()


# ----------------------------------------------------------------------------- profiling
def profile_casework(ctx: C.Context, cw: CaseworkStore, backend: str) -> None:
    """pyinstrument over Casework's store calls (after the timed runs), text reports in
    ``ctx.profile``."""
    from pyinstrument import Profiler

    out = Path(ctx.profile or "benchmarks/profiles")
    out.mkdir(parents=True, exist_ok=True)
    evs = [C.make_event(f"intelligence-prof-{i % 50}", 1 + i // 50, "provider-p", i)
           for i in range(1000)]
    batches = list(C.chunked_streams(10_000, 10, 1000, f"prof-{backend}"))
    jobs = {
        "single": lambda: cw.single(evs),
        "bulk": lambda: cw.bulk(batches),
        "history": lambda: [cw.read_history() for _ in range(5)],
    }
    for name, job in jobs.items():
        prof = Profiler(interval=0.0005)
        prof.start()
        job()
        prof.stop()
        path = out / f"{backend}-{name}.txt"
        path.write_text(prof.output_text(unicode=False, color=False, show_all=False))
        say(f"profile written to {path}")


# ----------------------------------------------------------------------------- hooks
def measure_hooks(ctx: C.Context, names: set[str]) -> None:
    for name, label, hook in HOOKS:
        if name not in names:
            continue
        say(f"hook: {label}")
        try:
            ctx.figures.update(hook(ctx))
        except NotYetAvailable as exc:
            ctx.notes.append(f"{label}: not yet available ({exc})")
            print(f"  {label}: not yet available ({exc})", file=sys.stderr)
        except Exception as exc:  # a part under construction must not hide the other figures
            ctx.notes.append(f"{label}: failed ({type(exc).__name__}: {str(exc)[:300]})")
            print(f"  {label}: failed: {exc!r}", file=sys.stderr)
    if "http" in names:
        say("HTTP load generator self-test against GET /docs")
        try:
            ctx.figures.update(http_selftest(ctx))
        except Exception as exc:  # a broken server must not hide the store's figures
            ctx.notes.append(f"HTTP self-test failed: {exc}")


# ----------------------------------------------------------------------------- report
GOALS = [
    # (name, figure, comparison, target, description)
    ("single_vs_peer", "ratio.pg.single_vs_peer", ">=", 1.5,
     "single append >= 1.5x the peer's command throughput"),
    ("single_vs_raw", "ratio.pg.single_vs_raw", ">=", 0.6,
     "single append >= 60% of raw single-row commit rate"),
    ("bulk_vs_peer", "ratio.pg.bulk_vs_peer", ">=", 2.0,
     "bulk append >= 2x the peer's bulk rate"),
    ("bulk_vs_raw", "ratio.pg.bulk_vs_raw", ">=", 0.5,
     "bulk append >= 50% of raw batched insert"),
    ("history_vs_raw", "ratio.pg.history_vs_raw_stream", "<=", 2.0,
     "10,000-event provider history <= 2x the raw 10,000-row read"),
    ("sqlite_single", "sqlite.casework.single_per_s", ">=", 500.0,
     "SQLite single append >= 500/s"),
    ("command_cost", "ratio.app_command_cost_in_appends", "<=", 4.0,
     "one command, read models folded before it answers (the default) <= 4 single appends"),
    ("command_cost_deferred", "ratio.app_deferred_cost_in_appends", "<=", 4.0,
     "the same, folded after answering (CASEWORK_READ_MODELS_DEFERRED), caught up at the end"),
    ("rebuild_floor_vs_raw", "ratio.rebuild.floor_vs_raw", ">=", 0.7,
     "the log read and decoded as a rebuild does >= 70% of a raw read and decode of it"),
    ("rebuild_vs_raw", "ratio.rebuild.rebuild_vs_raw", ">=", 0.4,
     "full rebuild of every projection >= 40% of a raw read and decode of the log"),
    ("reads_during_rebuild", "rebuild.reads_during.p99_ms", "<=", 100.0,
     "GET provider view p99 <= 100 ms while casework rebuild runs"),
    ("healthz_warm_1m", "growth.1M.start.warm.healthz_s", "<=", 5.0,
     "at 1M events /healthz answers within 5 s of casework serve's start (restart)"),
    ("healthz_cold_1m", "growth.1M.start.cold.healthz_s", "<=", 5.0,
     "the same with every read model to rebuild (it answers 'starting' meanwhile)"),
    ("rebuild_rss", "rebuild.rss_growth_mb", "<=", 200.0,
     "peak RSS growth during the rebuild <= 200 MB"),
    ("http_read_p99", "http.get_provider_view.p99_ms", "<=", 50.0,
     "HTTP GET provider view p99 < 50 ms at 16 clients"),
    ("http_inbox_p99", "http.get_triage_inbox.p99_ms", "<=", 50.0,
     "HTTP GET triage inbox p99 < 50 ms at 16 clients"),
    ("http_write_p99", "http.post_intelligence.p99_ms", "<=", 100.0,
     "HTTP POST intelligence p99 < 100 ms at 16 clients"),
    ("http_writes_vs_appends", "ratio.http_writes_vs_appends", ">=", 0.2,
     "HTTP POSTs/s >= 20% of Casework's own single appends/s"),
    ("http_deferred_writes_vs_appends", "ratio.http_deferred_writes_vs_appends", ">=", 0.2,
     "the same, read models folded after answering"),
]


def _ratio(f: dict[str, Any], a: str, b: str) -> float | None:
    if a in f and b in f and f[b]:
        return round(f[a] / f[b], 3)
    return None


def compute_ratios(ctx: C.Context) -> None:
    f = ctx.figures
    pairs = {
        "ratio.pg.single_vs_peer": ("pg.casework.single_per_s", "pg.peer.single_per_s"),
        "ratio.pg.single_vs_raw": ("pg.casework.single_per_s", "pg.raw.single_per_s"),
        "ratio.pg.single_vs_raw_tx": ("pg.casework.single_per_s", "pg.raw_tx.single_per_s"),
        "ratio.pg.bulk_vs_peer": ("pg.casework.bulk_per_s", "pg.peer.bulk_per_s"),
        "ratio.pg.bulk_vs_raw": ("pg.casework.bulk_per_s", "pg.raw.bulk_per_s"),
        "ratio.pg.history_vs_raw_stream": ("pg.casework.history_ms", "pg.raw.stream_read_ms"),
        "ratio.pg.history_vs_raw_history": ("pg.casework.history_ms", "pg.raw.history_ms"),
        "ratio.pg.stream_vs_raw": ("pg.casework.stream_read_ms", "pg.raw.stream_read_ms"),
        "ratio.pg.stream_vs_peer": ("pg.casework.stream_read_ms", "pg.peer.stream_read_ms"),
        "ratio.pg.log_vs_raw": ("pg.casework.log_read_per_s", "pg.raw.log_read_per_s"),
        "ratio.pg.log_vs_peer": ("pg.casework.log_read_per_s", "pg.peer.log_read_per_s"),
        "ratio.sqlite.single_vs_raw": ("sqlite.casework.single_per_s", "sqlite.raw.single_per_s"),
        "ratio.sqlite.bulk_vs_raw": ("sqlite.casework.bulk_per_s", "sqlite.raw.bulk_per_s"),
        "ratio.sqlite.history_vs_raw_stream": ("sqlite.casework.history_ms",
                                               "sqlite.raw.stream_read_ms"),
        "ratio.sqlite.stream_vs_raw": ("sqlite.casework.stream_read_ms",
                                       "sqlite.raw.stream_read_ms"),
        "ratio.sqlite.log_vs_raw": ("sqlite.casework.log_read_per_s", "sqlite.raw.log_read_per_s"),
        # How many appends one Application command costs (1 = no more than its append).
        "ratio.app_command_cost_in_appends": ("pg.casework.single_per_s", "app.command_per_s"),
        # The same as a server runs commands: folded after they answer, in shared passes.
        "ratio.app_deferred_cost_in_appends": ("pg.casework.single_per_s", "app.deferred_per_s"),
        "ratio.http_writes_vs_raw": ("http.post_intelligence.rps", "pg.raw.single_per_s"),
        "ratio.http_writes_vs_appends": ("http.post_intelligence.rps", "pg.casework.single_per_s"),
        "ratio.http_deferred_writes_vs_appends": ("http_deferred.post_intelligence.rps",
                                                  "pg.casework.single_per_s"),
        "ratio.rebuild.floor_vs_raw": ("rebuild.read_decode_per_s", "rebuild.raw_read_decode_per_s"),
        "ratio.rebuild.rebuild_vs_raw": ("rebuild.events_per_s", "rebuild.raw_read_decode_per_s"),
    }
    for key, (a, b) in pairs.items():
        r = _ratio(f, a, b)
        if r is not None:
            f[key] = r


def goals(ctx: C.Context) -> dict[str, Any]:
    out = {}
    for name, fig, op, target, text in GOALS:
        value = ctx.figures.get(fig)
        met = None if value is None else (value >= target if op == ">=" else value <= target)
        out[name] = {"figure": fig, "value": value, "target": f"{op} {target}", "met": met,
                     "goal": text}
    return out


def _x(v: Any) -> str:
    return "-" if v is None else f"{v:.2f}x"


def table(ctx: C.Context) -> str:
    f = ctx.figures
    rows: list[tuple[str, ...]] = []
    head = ("measurement", "Casework", "peer (eventsourcing)", "raw limit", "vs peer", "vs raw")

    def row(label: str, cw: str, peer: str | None, raw: str | None, unit: str = "",
            lower_is_better: bool = False) -> None:
        c, p, r = f.get(cw), f.get(peer) if peer else None, f.get(raw) if raw else None
        if c is None and p is None and r is None:
            return

        def ratio(other: Any) -> str:
            if c is None or other in (None, 0):
                return "-"
            return _x(c / other)

        rows.append((label, C.fmt(c, unit), C.fmt(p, unit), C.fmt(r, unit), ratio(p), ratio(r)))

    rows.append(("PostgreSQL " + str(f.get("machine.postgres", "")), "", "", "", "", ""))
    row("single append, 1 event/txn (events/s)", "pg.casework.single_per_s", "pg.peer.single_per_s",
        "pg.raw.single_per_s")
    row("  p50 latency (ms)", "pg.casework.single_p50_ms", "pg.peer.single_p50_ms",
        "pg.raw.single_p50_ms")
    row("  p99 latency (ms)", "pg.casework.single_p99_ms", "pg.peer.single_p99_ms",
        "pg.raw.single_p99_ms")
    row("  raw with BEGIN/INSERT/COMMIT (events/s)", "pg.casework.single_per_s", None,
        "pg.raw_tx.single_per_s")
    row(f"bulk append, {ctx.sizes.chunk}/txn (events/s)", "pg.casework.bulk_per_s",
        "pg.peer.bulk_per_s", "pg.raw.bulk_per_s")
    row("  raw COPY (rows/s)", "pg.casework.bulk_per_s", None, "pg.raw.copy_per_s")
    row(f"{ctx.sizes.stream_events}-event stream read (ms)", "pg.casework.stream_read_ms",
        "pg.peer.stream_read_ms", "pg.raw.stream_read_ms", lower_is_better=True)
    row("  peak Python heap (MB)", "pg.casework.stream_read_mb", "pg.peer.stream_read_mb",
        "pg.raw.stream_read_mb")
    row(f"{ctx.sizes.stream_events}-event provider history (ms)", "pg.casework.history_ms", None,
        "pg.raw.stream_read_ms", lower_is_better=True)
    row("  vs raw read by provider index (ms)", "pg.casework.history_ms", None, "pg.raw.history_ms")
    row("  peak Python heap (MB)", "pg.casework.history_mb", None, "pg.raw.history_mb")
    row("full log, pages of 5000 (events/s)", "pg.casework.log_read_per_s",
        "pg.peer.log_read_per_s", "pg.raw.log_read_per_s")
    row("  read_all(limit=1000) pages (events/s)", "pg.casework.log_read_1000_per_s", None,
        "pg.raw.log_read_per_s")
    row("  peak Python heap (MB)", "pg.casework.log_read_mb", "pg.peer.log_read_mb",
        "pg.raw.log_read_mb")
    rows.append(("SQLite " + str(f.get("machine.sqlite", "")) + " (WAL, synchronous=FULL)",
                 "", "", "", "", ""))
    row("single append, 1 event/txn (events/s)", "sqlite.casework.single_per_s", None,
        "sqlite.raw.single_per_s")
    row("  p50 / p99 latency (ms)", "sqlite.casework.single_p50_ms", None,
        "sqlite.raw.single_p50_ms")
    row("  p99 latency (ms)", "sqlite.casework.single_p99_ms", None, "sqlite.raw.single_p99_ms")
    row(f"bulk append, {ctx.sizes.chunk}/txn (events/s)", "sqlite.casework.bulk_per_s", None,
        "sqlite.raw.bulk_per_s")
    row(f"{ctx.sizes.stream_events}-event stream read (ms)", "sqlite.casework.stream_read_ms",
        None, "sqlite.raw.stream_read_ms")
    row(f"{ctx.sizes.stream_events}-event provider history (ms)", "sqlite.casework.history_ms",
        None, "sqlite.raw.stream_read_ms")
    row("  peak Python heap (MB)", "sqlite.casework.history_mb", None, "sqlite.raw.history_mb")
    row("full log, pages of 5000 (events/s)", "sqlite.casework.log_read_per_s", None,
        "sqlite.raw.log_read_per_s")
    row("  peak Python heap (MB)", "sqlite.casework.log_read_mb", None, "sqlite.raw.log_read_mb")
    rows.append(("Later measurements (hooks)", "", "", "", "", ""))
    for label, key in [
        ("Application: log intelligence (commands/s)", "app.command_per_s"),
        ("  p50 / p99 (ms)", "app.command_p50_ms"),
        ("  cost in single appends of the same run (x)", "ratio.app_command_cost_in_appends"),
        ("Application, as served: folded after answering (commands/s)", "app.deferred_per_s"),
        ("  p50 / p99 (ms) a caller waits", "app.deferred_p50_ms"),
        ("  cost in single appends of the same run (x)", "ratio.app_deferred_cost_in_appends"),
        ("Projections: rebuild all (events/s)", "rebuild.events_per_s"),
        ("  events / seconds", "rebuild.events"),
        ("  the floor: the log read and decoded, no fold (events/s)", "rebuild.read_decode_per_s"),
        ("  raw psycopg read and JSON decode of the same log (events/s)",
         "rebuild.raw_read_decode_per_s"),
        ("  the floor / raw (x)", "ratio.rebuild.floor_vs_raw"),
        ("  the rebuild / raw (x)", "ratio.rebuild.rebuild_vs_raw"),
        ("  shared with a worker process, REBUILD_WORKERS=2 (events/s)", "rebuild.workers2_events_per_s"),
        ("  peak Python heap of a rebuild (MB, tracemalloc)", "rebuild.peak_mb"),
        ("  process peak RSS growth during the rebuild (MB)", "rebuild.rss_growth_mb"),
        ("  GET provider view meanwhile, p50 / p99 (ms; casework rebuild in another process)",
         "rebuild.reads_during.p50_ms"),
        ("  the same with no rebuild running, p50 / p99 (ms)", "rebuild.reads_idle.p50_ms"),
        ("  load through append_batch (events/s)", "rebuild.load_per_s"),
        ("  process peak RSS growth during the load (MB)", "rebuild.load_rss_growth_mb"),
        (f"HTTP {ctx.sizes.http_clients} clients, {ctx.sizes.http_workers} server processes: "
         "requests/s", "http.rps"),
        ("  p50 / p99 (ms)", "http.p50_ms"),
        ("  GET provider view, p50 / p99 (ms)", "http.get_provider_view.p50_ms"),
        ("  GET triage inbox, p50 / p99 (ms)", "http.get_triage_inbox.p50_ms"),
        ("  POST intelligence, p50 / p99 (ms)", "http.post_intelligence.p50_ms"),
        ("  POST intelligence (requests/s)", "http.post_intelligence.rps"),
        ("  server CPU per request (ms; its processes, from /proc)", "http.server_cpu_ms_per_request"),
        ("  PostgreSQL CPU per request (ms; every postgres process)", "http.postgres_cpu_ms_per_request"),
        ("  the same, read models folded after answering (requests/s)", "http_deferred.rps"),
        ("    GET provider view, p50 / p99 (ms)", "http_deferred.get_provider_view.p50_ms"),
        ("    GET triage inbox, p50 / p99 (ms)", "http_deferred.get_triage_inbox.p50_ms"),
        ("    POST intelligence, p50 / p99 (ms)", "http_deferred.post_intelligence.p50_ms"),
        ("    POST intelligence (requests/s)", "http_deferred.post_intelligence.rps"),
        ("    server CPU per request (ms)", "http_deferred.server_cpu_ms_per_request"),
        ("    PostgreSQL CPU per request (ms)", "http_deferred.postgres_cpu_ms_per_request"),
        ("HTTP load generator self-test, GET /docs (req/s)", "http_selftest.rps"),
        ("  p50 / p99 (ms)", "http_selftest.p50_ms"),
    ]:
        value = f.get(key)
        if key == "rebuild.events" and value is not None:
            text = f"{value:,} / {C.fmt(f.get('rebuild.seconds'))} s"
        elif key.endswith("p50_ms") and value is not None:
            text = f"{C.fmt(value)} / {C.fmt(f.get(key.replace('p50', 'p99')))}"
        else:
            text = C.fmt(value) if value is not None else "not measured"  # hook not run, or see the notes
        rows.append((label, text, "", "", "", ""))

    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    for r in rows:
        if all(not c for c in r[1:]):
            lines.append(r[0])
        else:
            lines.append("  ".join(
                (c.ljust(w) if i == 0 else c.rjust(w)) for i, (c, w) in enumerate(zip(r, widths,
                                                                                     strict=True))))
    return "\n".join(lines)


def machine(ctx: C.Context) -> None:
    import os
    import sqlite3

    import psycopg
    import sqlalchemy

    try:
        from importlib.metadata import version

        es = version("eventsourcing")
    except Exception:  # not installed: the peer is skipped
        es = None
    ctx.put("machine.cpus", os.cpu_count())
    ctx.put("machine.platform", platform.platform())
    ctx.put("machine.python", platform.python_version())
    ctx.put("machine.sqlite", sqlite3.sqlite_version)
    ctx.put("machine.psycopg", psycopg.__version__)
    ctx.put("machine.sqlalchemy", sqlalchemy.__version__)
    ctx.put("machine.eventsourcing", es)
    ctx.put("machine.loadavg_start", [round(x, 2) for x in os.getloadavg()])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small smoke run (under a minute)")
    p.add_argument("--only", choices=["pg", "sqlite", "hooks"], action="append",
                   help="run only these parts (repeatable); default: all")
    p.add_argument("--hooks", choices=[name for name, _, _ in HOOKS], action="append",
                   help="run only these hooks (repeatable; adds hooks to --only); default: all")
    p.add_argument("--singles", type=int, help="single-event appends per system")
    p.add_argument("--bulk-events", type=int, help="events appended in bulk per system")
    p.add_argument("--chunk", type=int, help="events per bulk transaction (default 1000)")
    p.add_argument("--stream-events", type=int, help="events in the long stream and the history")
    p.add_argument("--repeats", type=int, help="repetitions of each read (median reported)")
    p.add_argument("--rounds", type=int, help="interleaved rounds of the write measurements")
    p.add_argument("--http-seconds", type=float, help="duration of the HTTP load")
    p.add_argument("--http-workers", type=int, help="server processes (casework serve --workers)")
    p.add_argument("--rebuild-events", type=int, help="events for the projection rebuild hook")
    p.add_argument("--growth-sizes", type=parse_sizes, metavar="N,N,...",
                   help="log sizes of the growth hook, e.g. 20000,100k,1M (default 100k,1M)")
    p.add_argument("--growth-3m", action="store_true", help="growth hook: add 3M events")
    p.add_argument("--growth-10m", action="store_true", help="growth hook: add 3M and 10M events")
    p.add_argument("--growth-cold-max", type=parse_sizes, metavar="N",
                   help="growth hook: measure a cold start up to this many events (default 1M)")
    p.add_argument("--pg", default=C.PG_ADMIN_URL, help="an admin URL of the PostgreSQL server")
    p.add_argument("--db", default=C.BENCH_DB, help="scratch database name (casework_bench*)")
    p.add_argument("--profile", nargs="?", const="benchmarks/profiles", default=None,
                   help="write pyinstrument profiles of Casework's store calls to this dir")
    p.add_argument("--keep", action="store_true", help="keep the scratch databases afterwards")
    args = p.parse_args(argv)
    C.quiet_logs()

    sizes = C.Sizes.quick() if args.quick else C.Sizes()
    for name in ("singles", "bulk_events", "chunk", "stream_events", "repeats", "rounds",
                 "http_seconds", "http_workers", "rebuild_events"):
        if getattr(args, name) is not None:
            setattr(sizes, name, getattr(args, name))
    if args.growth_sizes:
        sizes.growth_sizes = args.growth_sizes
    sizes.growth_sizes = tuple(sorted({*sizes.growth_sizes,
                                       *([3_000_000] if args.growth_3m or args.growth_10m else []),
                                       *([10_000_000] if args.growth_10m else [])}))
    if args.growth_cold_max:
        sizes.growth_cold_max = max(args.growth_cold_max)
    parts = set(args.only or []) | ({"hooks"} if args.hooks else set())
    parts = parts or {"pg", "sqlite", "hooks"}
    ctx = C.Context(sizes=sizes, pg_admin_url=args.pg, bench_db=args.db, profile=args.profile)
    machine(ctx)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as tmp:
        ctx.tmpdir = tmp
        try:
            if "pg" in parts:
                measure_postgres(ctx)
            if "sqlite" in parts:
                measure_sqlite(ctx)
            if "hooks" in parts:
                measure_hooks(ctx, set(args.hooks or [name for name, _, _ in HOOKS]))
        finally:
            if not args.keep:
                _drop_scratch(ctx)
    import os

    ctx.put("machine.loadavg_end", [round(x, 2) for x in os.getloadavg()])
    compute_ratios(ctx)
    result_goals = goals(ctx)
    ctx.put("run.seconds", round(time.perf_counter() - started, 1))
    print()
    print(f"Casework benchmarks ({'quick' if args.quick else 'default'} sizes: "
          f"{sizes.singles} singles, {sizes.bulk_events} bulk events, "
          f"{sizes.stream_events}-event stream/history; "
          f"{ctx.figures.get('machine.cpus')} CPUs, {ctx.figures.get('machine.platform')})")
    print(table(ctx))
    print()
    print("Goals (ratios measured in this run):")
    for name, g in result_goals.items():
        mark = {True: "MET   ", False: "MISSED", None: "n/a   "}[g["met"]]
        print(f"  {mark} {g['goal']}: {C.fmt(g['value'])} (target {g['target']}) [{name}]")
    for note in ctx.notes:
        print(f"  note: {note}")
    growth = growth_report(ctx.figures)
    if growth:
        print()
        print(growth)
    print(json.dumps({"benchmark": "casework", "sizes": vars(sizes), "figures": ctx.figures,
                      "goals": result_goals, "notes": ctx.notes}, default=str))
    return 0


def _drop_scratch(ctx: C.Context) -> None:
    import psycopg

    try:
        with psycopg.connect(ctx.pg_admin_url, autocommit=True) as conn:
            # Only the names this run makes: a prefix would also drop another run's databases
            # (casework_bench is a prefix of every scratch name) in the middle of its work.
            mine = [ctx.bench_db] + [f"{ctx.bench_db}_{s}" for s in ("app", "rebuild", "http", "growth")]
            names = [r[0] for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname = ANY(%s)", (mine,))]
        for name in names:
            C.drop_database(ctx.pg_admin_url, name)
    except Exception as exc:  # best effort: a leftover scratch database harms nothing
        say(f"could not drop scratch databases: {exc}")


if __name__ == "__main__":
    raise SystemExit(main())
