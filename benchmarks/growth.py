"""Growth, measured (issue 21): what Casework costs as its log grows, on PostgreSQL.

One scratch database (``casework_bench_growth``) is grown in steps (``Sizes.growth_sizes``:
load to the first size, measure, load more to the next, measure, ...), so a run pays for the
largest log once. The log is renamed copies of the demonstration scenarios
(``hooks._load_realistic_events``); sizes are rounded up to whole copies (about 13,000 events each).
At each size (besides ``events`` and ``db_mb``, the database's size):

  rebuild.<model>.*   every read model rebuilt alone, and all of them together (what
                      ``casework rebuild`` does), each in a child process of its own: seconds,
                      log events/s, growth of that process's peak RSS
  start.warm.*        ``casework serve`` launched with the read models at the head of the log
                      (a normal restart): seconds until the socket answers, until /healthz
                      answers at all, until /healthz says ok
  start.cold.*        the same after the read models' checkpoints were dropped (each read model
                      rebuilds in the warm-up), up to ``Sizes.growth_cold_max`` events; and the
                      serving process's peak RSS meanwhile
  history_ms          ``store.read_history`` of a provider with the template's median history
  inbox_ms, provider_ms, command_ms
                      GET /api/v1/intelligence (first page), GET /api/v1/providers/{id}, POST
                      /api/v1/intelligence, one client, medians
  serve_rss_mb        the serving process's peak RSS after those requests

``hook_growth`` returns them as ``growth.<size>.<figure>`` plus ``growth.factor.<figure>`` (each
step's cost ratio against its ratio of events, with a verdict); ``report`` prints the table.

Also ``python -m benchmarks.growth rebuild URL [NAME ...]``: the child that times a rebuild.
"""

from __future__ import annotations

import json
import math
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from benchmarks.common import Context, fmt, quiet_logs
from benchmarks.hooks import (
    ROOT,
    _bootstrap,
    _demo_template,
    _fresh_pg,
    _load_realistic_events,
    _peak_rss_mb,
    _progress,
    _user_token,
    renamed,
    start_serve,
    stop_serve,
)

# A per-request figure counts as flat while it grows by no more than this between two sizes
# (single-client medians on a shared 2-core machine move by a third from run to run).
FLAT_TOLERANCE = 1.5
REQUEST_WARMUP = 3  # requests before the timed ones (connections, prepared statements)
ALL = "all"  # the rebuild of every read model together

# (figure, label, unit, kind): kind "scales" = may grow with the log, no faster than it; "flat"
# = should not grow with the log; None = shown only. Rebuild figures per read model are added.
FIGURES: list[tuple[str, str, str, str | None]] = [
    ("events", "events in the log", "", None),
    ("db_mb", "database size (log and read models)", " MB", "scales"),
    ("load_s_per_100k", "load (append_batch): seconds per 100k events of this step", " s", "flat"),
    ("start.warm.socket_s", "start, read models at head: socket answers", " s", "flat"),
    ("start.warm.healthz_s", "  /healthz answers (any status)", " s", "flat"),
    ("start.warm.ok_s", "  /healthz ok", " s", "flat"),
    ("start.cold.socket_s", "start, checkpoints dropped: socket answers", " s", "flat"),
    ("start.cold.healthz_s", "  /healthz answers (any status)", " s", "flat"),
    ("start.cold.ok_s", "  /healthz ok (every read model rebuilt)", " s", "scales"),
    ("start.cold.rss_mb", "  serving process peak RSS", " MB", "scales"),
    ("history_ms", "read_history of a typical provider, median", " ms", "flat"),
    ("history_events", "  events in that history", "", None),
    ("inbox_ms", "GET /api/v1/intelligence first page, median", " ms", "flat"),
    ("provider_ms", "GET /api/v1/providers/{id}, median", " ms", "flat"),
    ("command_ms", "POST /api/v1/intelligence (a command), median", " ms", "flat"),
    ("serve_rss_mb", "serving process peak RSS (after start and requests)", " MB", "flat"),
    ("step_seconds", "wall time of this step (load and every measurement)", " s", None),
]


def rebuild_figures(names: list[str]) -> list[tuple[str, str, str, str | None]]:
    rows: list[tuple[str, str, str, str | None]] = []
    for name in [ALL, *names]:
        what = "every read model together" if name == ALL else name
        rows += [
            (f"rebuild.{name}.seconds", f"rebuild {what}", " s", "scales"),
            (f"rebuild.{name}.events_per_s", "  log events/s", "", None),
            (f"rebuild.{name}.rss_growth_mb", "  peak RSS growth of that process", " MB", "scales"),
        ]
    return rows


def label(n: int) -> str:
    """100000 -> '100k', 3000000 -> '3M'."""
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size:
            return f"{n / size:g}{unit}"
    return str(n)


def parse_sizes(text: str) -> tuple[int, ...]:
    """'20000,100k,1M' -> (20000, 100000, 1000000)."""
    scale = {"k": 1_000, "m": 1_000_000}
    out = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if part:
            mult = scale.get(part[-1], 1)
            out.append(int(float(part[:-1] if mult > 1 else part) * mult))
    return tuple(sorted(set(out)))


# ----------------------------------------------------------------------------- the hook
def hook_growth(ctx: Context) -> dict[str, Any]:
    """Grow one database through ``ctx.sizes.growth_sizes`` and measure at each size. Each
    step's figures also go into ``ctx.figures`` as soon as it is done, so a long run that fails
    at its largest size keeps the sizes before."""
    sizes = sorted(set(ctx.sizes.growth_sizes))
    url = _fresh_pg(ctx, "growth")
    token = _user_token(url)
    template = _demo_template()
    read_provider, write_provider = _typical_providers(template)
    cw = _bootstrap(url)
    out: dict[str, Any] = {"growth.cold_max": ctx.sizes.growth_cold_max}
    copies = 0
    try:
        names = [p.name for p in cw.projections.projections()]
        out["growth.read_models"] = names
        for size in sizes:
            started = time.perf_counter()
            tag = label(size)
            _progress(f"growth {tag}: loading")
            figures: dict[str, Any] = {}
            wanted = max(1, math.ceil(size / len(template)))
            if wanted > copies:
                t0 = time.perf_counter()
                written = _load_realistic_events(cw, (wanted - copies) * len(template), copies)
                figures["load_s_per_100k"] = round((time.perf_counter() - t0) / written * 1e5, 2)
                copies = wanted
            figures["events"] = cw.store.head_position()
            figures.update(_rebuilds(url, names, tag))
            figures["db_mb"] = _database_mb(cw)  # the read models built
            figures.update(_history(cw, renamed(read_provider, 0)))
            figures.update(_serve_warm(url, token, renamed(read_provider, 0),
                                       renamed(write_provider, 0), ctx.sizes.growth_requests))
            if size <= ctx.sizes.growth_cold_max:  # the step's size (1M), not its whole copies
                figures.update(_serve_cold(cw, url))
            figures["step_seconds"] = round(time.perf_counter() - started, 1)
            out.update({f"growth.{tag}.{k}": v for k, v in figures.items()})
            out["growth.sizes"] = [label(s) for s in sizes[: sizes.index(size) + 1]]
            out.update(factors(out, out["growth.sizes"], names))
            ctx.figures.update(out)
            _progress(f"growth {tag}: {figures['events']:,} events measured in "
                      f"{figures['step_seconds']} s")
        return out
    finally:
        cw.close()


def _typical_providers(template: list[Any]) -> tuple[str, str]:
    """Two providers of the template whose histories are nearest the median length: one read,
    the other written to (so the one read keeps the same history at every size)."""
    counts = Counter(e.provider_id for e in template if e.provider_id)
    median = sorted(counts.values())[len(counts) // 2]
    read, write = sorted(counts, key=lambda p: (abs(counts[p] - median), p))[:2]
    return read, write


def _rebuilds(url: str, names: list[str], tag: str) -> dict[str, Any]:
    """Every read model together, then each alone: a child process each (its own peak RSS)."""
    figures: dict[str, Any] = {}
    for name in [ALL, *names]:
        _progress(f"growth {tag}: rebuild {name}")
        args = [] if name == ALL else [name]
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.growth", "rebuild", url, *args],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"rebuild {name} failed: {proc.stderr.strip()[-500:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        figures[f"rebuild.{name}.seconds"] = round(result["seconds"], 2)
        figures[f"rebuild.{name}.events_per_s"] = round(result["events"] / result["seconds"], 1)
        figures[f"rebuild.{name}.rss_growth_mb"] = round(result["rss_growth_mb"], 1)
    return figures


def _database_mb(cw: Any) -> float:
    with cw.engine.connect() as conn:
        size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
    return round(size / 2**20, 1)


def _history(cw: Any, provider_id: str, repeats: int = 5) -> dict[str, Any]:
    events = cw.store.read_history(provider_id)  # and a warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        cw.store.read_history(provider_id)
        times.append(time.perf_counter() - t0)
    return {"history_ms": round(statistics.median(times) * 1000, 2), "history_events": len(events)}


def _serve_warm(url: str, token: str, read_provider: str, write_provider: str,
                requests: int) -> dict[str, Any]:
    """Start with the read models at the head, then one client's requests, then the peak RSS."""
    import httpx

    proc, base = start_serve(url)
    try:
        figures = _started(proc, base, "warm")
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            figures["inbox_ms"] = _median_ms(http, requests, "GET", "/api/v1/intelligence")
            figures["provider_ms"] = _median_ms(
                http, requests, "GET", f"/api/v1/providers/{read_provider}")
            figures["command_ms"] = _median_ms(
                http, requests, "POST", "/api/v1/intelligence", expect=201,
                body=lambda: {"provider_id": write_provider, "source": "complaint",
                              "received_at": datetime.now(UTC).isoformat(),
                              "summary": f"Growth bench report {uuid.uuid4()}"})
        figures["serve_rss_mb"] = _peak_rss_of(proc.pid)
        return figures
    finally:
        stop_serve(proc)


def _serve_cold(cw: Any, url: str) -> dict[str, Any]:
    """Drop every read model's checkpoint, so the warm-up rebuilds each, and start."""
    with cw.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM projection_checkpoints")
    proc, base = start_serve(url)
    try:
        figures = _started(proc, base, "cold")
        figures["start.cold.rss_mb"] = _peak_rss_of(proc.pid)
        return figures
    finally:
        stop_serve(proc)


def _started(proc: subprocess.Popen, base: str, kind: str, timeout: float = 7200.0) -> dict[str, Any]:
    """Seconds from launch (``proc`` was just started) until the socket accepts a connection,
    until /healthz answers at all, until it answers 200 ok. Polled every 20 ms, then, once
    /healthz answers, every 100 ms (each answer costs the server a little CPU: a cold start's
    rebuild runs in the same process)."""
    import httpx

    t0 = time.perf_counter()
    host, port = base.rsplit("/", 1)[1].split(":")
    socket_s = healthz_s = None
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            err = proc.stderr.read().decode()[-1500:] if proc.stderr else ""
            raise RuntimeError(f"casework serve exited with {proc.returncode}: {err}")
        if socket_s is None:
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                socket_s = time.perf_counter() - t0
            except OSError:
                pass
        if socket_s is not None:
            try:
                status = httpx.get(f"{base}/healthz", timeout=30).status_code
            except httpx.HTTPError:
                status = None
            if status is not None and healthz_s is None:
                healthz_s = time.perf_counter() - t0
            if status == 200:
                assert healthz_s is not None
                return {f"start.{kind}.socket_s": round(socket_s, 3),
                        f"start.{kind}.healthz_s": round(healthz_s, 3),
                        f"start.{kind}.ok_s": round(time.perf_counter() - t0, 3)}
        time.sleep(0.02 if healthz_s is None else 0.1)
    raise RuntimeError(f"casework serve was not ok within {timeout} s")


def _median_ms(http: Any, n: int, method: str, path: str, expect: int = 200,
               body: Any = None) -> float:
    times = []
    for i in range(REQUEST_WARMUP + n):
        json_body = body() if body else None
        t0 = time.perf_counter()
        resp = http.request(method, path, json=json_body)
        elapsed = time.perf_counter() - t0
        if resp.status_code != expect:
            raise RuntimeError(f"{method} {path}: {resp.status_code} {resp.text[:200]}")
        if i >= REQUEST_WARMUP:
            times.append(elapsed)
    return round(statistics.median(times) * 1000, 2)


def _peak_rss_of(pid: int) -> float | None:
    """A process's peak resident memory so far (VmHWM, Linux), in MB."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


# ----------------------------------------------------------------------------- growth factors
def verdict(kind: str, cost: float, events: float) -> str:
    if kind == "flat" and cost <= FLAT_TOLERANCE:
        return "~flat"
    if cost <= events:
        return "linear or better" if kind == "scales" else "grows, less than the log"
    return "worse than linear"


def factors(figures: dict[str, Any], tags: list[str], names: list[str]) -> dict[str, Any]:
    """For each figure with a kind: every step's cost ratio against its ratio of events (and,
    with three sizes or more, first to last)."""
    out: dict[str, Any] = {}
    pairs = list(zip(tags, tags[1:], strict=False))
    if len(tags) > 2:
        pairs.append((tags[0], tags[-1]))
    for key, _, _, kind in FIGURES + rebuild_figures(names):
        if kind is None:
            continue
        steps = []
        for a, b in pairs:
            va, vb = figures.get(f"growth.{a}.{key}"), figures.get(f"growth.{b}.{key}")
            ea, eb = figures.get(f"growth.{a}.events"), figures.get(f"growth.{b}.events")
            if not (va and vb and ea and eb):
                continue
            cost, events = vb / va, eb / ea
            steps.append({"from": a, "to": b, "cost_x": round(cost, 2),
                          "events_x": round(events, 2), "verdict": verdict(kind, cost, events)})
        if steps:
            out[f"growth.factor.{key}"] = steps
    return out


def report(figures: dict[str, Any]) -> str:
    """The growth table (figures by size) and a line per figure on how it grew."""
    tags: list[str] = figures.get("growth.sizes") or []
    if not tags:
        return ""
    names: list[str] = figures.get("growth.read_models") or []
    rows = [(text, *[fmt(figures.get(f"growth.{t}.{key}"), unit) for t in tags])
            for key, text, unit, _ in FIGURES[:3] + rebuild_figures(names) + FIGURES[3:]
            if any(f"growth.{t}.{key}" in figures for t in tags)]
    head = ("Growth (PostgreSQL, one database grown in steps)", *tags)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths, strict=True))) for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    cold = figures.get("growth.cold_max")
    if cold is not None:
        lines.append(f"(cold start measured up to {cold:,} events: --growth-cold-max)")
    lines += ["", "How each figure grew (cost ratio against the ratio of events; per-request "
              f"figures should stay within x{FLAT_TOLERANCE}):"]
    for key, _, _, _ in FIGURES + rebuild_figures(names):
        steps = figures.get(f"growth.factor.{key}")
        if steps:
            said = "; ".join(f"{s['from']}->{s['to']} x{s['cost_x']:g} for x{s['events_x']:g} "
                             f"events: {s['verdict']}" for s in steps)
            lines.append(f"  {key}: {said}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the child
def _rebuild_child(url: str, names: list[str]) -> None:
    """Rebuild ``names`` (all when empty) in this process; print one JSON line."""
    quiet_logs()
    from casework.bootstrap import bootstrap
    from casework.settings import Settings

    cw = bootstrap(Settings(database_url=url, scheduler_enabled=False), catch_up=False)
    try:
        events = cw.store.head_position()
        rss0, t0 = _peak_rss_mb(), time.perf_counter()
        folded = cw.projections.rebuild(names or None)
        seconds = time.perf_counter() - t0
        print(json.dumps({"events": events, "seconds": seconds, "folded": folded,
                          "rss_growth_mb": _peak_rss_mb() - rss0}))
    finally:
        cw.close()


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "rebuild":
        raise SystemExit("usage: python -m benchmarks.growth rebuild DATABASE_URL [READ_MODEL ...]")
    _rebuild_child(sys.argv[2], sys.argv[3:])
