"""Measurements through Casework's own application, projections and HTTP API (the later part
of ``make bench``). Each hook returns a dict of figures, or raises ``NotYetAvailable`` (the
runner then prints 'not yet available'); the runner's table and the README refer to the names.

  hook_application_command(ctx)
      one LogIntelligence per transaction through ``Application.execute`` (append and the
      in-process read-model catch-up): app.command_per_s, app.command_p50_ms, app.command_p99_ms
  hook_projection_rebuild(ctx)
      a full rebuild of every projection from about ``ctx.sizes.rebuild_events`` realistic
      events: rebuild.events, .projections, .seconds, .events_per_s, .peak_mb, .rss_growth_mb,
      .load_per_s, .load_rss_growth_mb, .read_decode_per_s (the floor: the log read and decoded
      as a rebuild does, no fold), .raw_read_decode_per_s (its limit: the same log, raw psycopg
      keyset pages, JSON decoded), .workers2_events_per_s
  hook_http_load(ctx)
      the HTTP API under load from a separate process (16 clients on loopback for a bounded
      time: GET provider view, GET triage inbox, POST intelligence): http.rps, http.p50_ms,
      http.p99_ms, http.errors, http.<operation>.{rps,p50_ms,p99_ms}
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import Context, Latencies, recreate_database
from benchmarks.http_load import run_load

ROOT = Path(__file__).resolve().parent.parent


def _progress(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


class NotYetAvailable(Exception):
    """The part this measurement needs is not there yet (import failed, no route, ...)."""


def _bootstrap(url: str) -> Any:
    from casework.bootstrap import bootstrap
    from casework.settings import Settings

    return bootstrap(Settings(database_url=url, scheduler_enabled=False))


def _application(cw: Any) -> Any:
    """The Application (command bus) on the Casework container."""
    return cw.application


def _fresh_pg(ctx: Context, suffix: str) -> str:
    name = f"{ctx.bench_db}_{suffix}"
    recreate_database(ctx.pg_admin_url, name)
    base = ctx.sa_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


# ----------------------------------------------------------------------------- hook 1
def hook_application_command(ctx: Context) -> dict[str, Any]:
    """LogIntelligence commands through ``app.execute`` on PostgreSQL, against a provider that
    exists, each for at most 30 s, two ways:

    * ``app.command_*``: the read models folded before each command returns (the CLI's way);
    * ``app.deferred_*``: as a server runs them (``read_models_deferred``): the command answers
      after its append and the follower thread folds in the background, one pass for whatever
      was appended meanwhile. The rate counts until the read models have reached the last
      command (``fresh()``), so the folding is paid for; p50/p99 are what a caller waits."""
    try:
        from casework.domain.actors import Actor, Role
        from casework.domain.intelligence import LogIntelligence
    except ImportError as exc:
        raise NotYetAvailable(f"import failed: {exc}") from exc
    url = _fresh_pg(ctx, "app")
    cw = _bootstrap(url)
    try:
        app = _application(cw)
        provider_id = _create_provider(cw, app)
        actor = Actor("bench", Role.officer)
        now = datetime.now(UTC)

        def run(n: int) -> tuple[Latencies, float]:
            lat = Latencies()
            deadline = time.perf_counter() + 30.0  # bounded: slow while the application is young
            started = None
            for i in range(n + 20):
                if time.perf_counter() > deadline and len(lat.samples) >= 50:
                    break
                command = LogIntelligence(
                    provider_id=provider_id, source="complaint", received_at=now,
                    summary=f"Bench record {i}: call bells unanswered on the night shift.",
                )
                if i == 20:  # the first few warm caches and prepared statements
                    started = time.perf_counter()
                t0 = time.perf_counter()
                app.execute(command, actor, command_id=str(uuid.uuid4()))
                if i >= 20:
                    lat.add(time.perf_counter() - t0)
            cw.projections.fresh(timeout=60)  # until the read models show the last command
            return lat, time.perf_counter() - (started or time.perf_counter())

        lat, _ = run(ctx.sizes.singles)
        cw.projections.deferred = True
        cw.projections.start()
        deferred, elapsed = run(ctx.sizes.singles)
        cw.projections.stop()
        head = cw.store.head_position()
        behind = [s.name for s in cw.projections.status() if s.position < head]
        if behind:
            raise RuntimeError(f"read models behind after the deferred run: {behind}")
        return {
            "app.command_per_s": round(lat.rate, 1),
            "app.command_p50_ms": round(lat.pct_ms(50), 3),
            "app.command_p99_ms": round(lat.pct_ms(99), 3),
            "app.deferred_per_s": round(len(deferred.samples) / elapsed, 1),
            "app.deferred_p50_ms": round(deferred.pct_ms(50), 3),
            "app.deferred_p99_ms": round(deferred.pct_ms(99), 3),
        }
    finally:
        cw.close()


def _create_provider(cw: Any, app: Any) -> str:
    """Register one provider through the Application; returns its id."""
    try:
        from casework.domain.actors import Actor, Role
        from casework.domain.providers import RegisterProvider  # the name may differ
    except ImportError as exc:
        raise NotYetAvailable(f"no provider command yet: {exc}") from exc
    result = app.execute(
        RegisterProvider(name="Bench House", service_type="care_home_residential", categories=["OP"]),
        Actor("bench", Role.manager),
        command_id=str(uuid.uuid4()),
    )
    return result.aggregate_id


# ----------------------------------------------------------------------------- hook 2
def hook_projection_rebuild(ctx: Context) -> dict[str, Any]:
    """Load realistic events (``_load_realistic_events``), then time ``cw.projections.rebuild()``
    of every registered projection from position 0 (drop, re-create, replay), with the growth
    of the process's peak RSS and, up to 300,000 events, the peak Python heap of a second run."""
    from benchmarks.common import peak_mb

    url = _fresh_pg(ctx, "rebuild")
    cw = _bootstrap(url)
    try:
        runner = getattr(cw, "projections", None)
        if runner is None or not hasattr(runner, "rebuild"):
            raise NotYetAvailable("cw.projections.rebuild() is not there yet")
        _demo_template()  # outside the load's timing and memory
        rss0, t0 = _peak_rss_mb(), time.perf_counter()
        n = _load_realistic_events(cw, ctx.sizes.rebuild_events)
        load_seconds, load_rss = time.perf_counter() - t0, _peak_rss_mb() - rss0
        rss0, t0 = _peak_rss_mb(), time.perf_counter()
        folded = runner.rebuild()
        seconds, rss = time.perf_counter() - t0, _peak_rss_mb() - rss0
        mb = peak_mb(runner.rebuild) if n <= 300_000 else None  # tracemalloc slows it 2-3x
        floor, raw = _floor_and_raw_seconds(cw, url)
        # The same rebuild shared between this process and a worker (CASEWORK_REBUILD_WORKERS=2).
        runner.rebuild_workers, runner.parallel_from = 2, 0
        t0 = time.perf_counter()
        runner.rebuild()
        parallel_seconds = time.perf_counter() - t0
        runner.rebuild_workers = 1
        return {
            **_reads_during_rebuild(url),
            "rebuild.read_decode_per_s": round(n / floor, 1),
            "rebuild.raw_read_decode_per_s": round(n / raw, 1),
            "rebuild.workers2_events_per_s": round(n / parallel_seconds, 1),
            "rebuild.events": n,
            "rebuild.projections": len(folded),
            "rebuild.seconds": round(seconds, 2),
            "rebuild.events_per_s": round(n / seconds, 1),
            "rebuild.peak_mb": mb,
            "rebuild.rss_growth_mb": round(rss, 1),
            "rebuild.load_per_s": round(n / load_seconds, 1),
            "rebuild.load_rss_growth_mb": round(load_rss, 1),
        }
    finally:
        cw.close()


def _reads_during_rebuild(url: str, idle_seconds: float = 3.0) -> dict[str, Any]:
    """What a reader sees while ``casework rebuild`` runs: one client reading a provider's page
    (``GET /api/v1/providers/{id}``) from a ``casework serve`` process, back to back, for
    ``idle_seconds`` with nothing else running, then throughout a rebuild of every read model by
    the ``casework rebuild`` command in another process (blue/green: the serving tables keep
    answering until the short swap at its end)."""
    import httpx
    from sqlalchemy import create_engine

    token = _user_token(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            provider = conn.exec_driver_sql("SELECT partition FROM rm_providers LIMIT 1").scalar()
    finally:
        engine.dispose()
    env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_LOG_LEVEL": "WARNING"}
    with serve(url) as base, httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as http:
        path = f"/api/v1/providers/{provider}"

        def read(lat: Latencies) -> None:
            t0 = time.perf_counter()
            answer = http.get(path)
            lat.add(time.perf_counter() - t0)
            if answer.status_code != 200:
                raise RuntimeError(f"GET {path}: {answer.status_code} {answer.text[:200]}")

        idle = Latencies()
        until = time.perf_counter() + idle_seconds
        while time.perf_counter() < until:
            read(idle)
        during = Latencies()
        started = time.perf_counter()
        rebuild = subprocess.Popen([sys.executable, "-m", "casework.cli", "rebuild"], cwd=ROOT,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while rebuild.poll() is None:
            read(during)
        seconds = time.perf_counter() - started
        if rebuild.returncode != 0:
            err = rebuild.stderr.read().decode()[-500:] if rebuild.stderr else ""
            raise RuntimeError(f"casework rebuild exited with {rebuild.returncode}: {err}")
    return {
        "rebuild.reads_idle.p50_ms": round(idle.pct_ms(50), 2),
        "rebuild.reads_idle.p99_ms": round(idle.pct_ms(99), 2),
        "rebuild.reads_during.p50_ms": round(during.pct_ms(50), 2),
        "rebuild.reads_during.p99_ms": round(during.pct_ms(99), 2),
        "rebuild.reads_during.max_ms": round(max(during.samples) * 1000, 1),
        "rebuild.reads_during.count": len(during.samples),
        "rebuild.reads_during.rebuild_seconds": round(seconds, 1),
    }


def _floor_and_raw_seconds(cw: Any, url: str, repeats: int = 3) -> tuple[float, float]:
    """The floor and its limit, each the median of ``repeats`` runs taken in turns (so that load
    from elsewhere on the machine falls on both alike): the log read and decoded as a rebuild
    does (``_read_and_decode_seconds``), and the same log read raw (``raw_read_log``)."""
    import statistics

    import psycopg

    from benchmarks.systems import raw_read_log

    floors, raws = [], []
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        for _ in range(repeats):
            floors.append(_read_and_decode_seconds(cw))
            t0 = time.perf_counter()
            raw_read_log(conn, "events")
            raws.append(time.perf_counter() - t0)
    return statistics.median(floors), statistics.median(raws)


def _read_and_decode_seconds(cw: Any) -> float:
    """The floor under any rebuild in this design: the log read (with the rebuild's own reader,
    ``feed.scan``) and decoded into events, with no fold and no write, the collector paused."""
    import gc

    from casework.projections import feed

    gc.disable()
    try:
        with cw.engine.connect() as conn:
            head = feed.head(conn)
            t0 = time.perf_counter()
            for page in feed.scan(conn, 0, head, cw.projections.rebuild_page_size):
                del page
            return time.perf_counter() - t0
    finally:
        gc.enable()


def _peak_rss_mb() -> float:
    """This process's peak resident memory so far (a high-water mark: growth shows a new peak)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load_realistic_events(cw: Any, n: int, first_copy: int = 0) -> int:
    """At least ``n`` events of the real types, written with ``cw.store.append_batch`` in
    transactions of about 1000 events while ``cw.projections`` does not follow.
    ``first_copy``: how many copies an earlier call already wrote to this store (a log grown in
    steps goes on with the next copy numbers, so every copy stays distinct).

    The template is the three demonstration scenarios (13,151 events, 278 providers: intelligence
    lifecycles, visits, assessments, action plans, safeguarding, sanctions), written through the
    Application once into a temporary SQLite file. Each copy renames every id in it (streams,
    data, metadata: the first 8 hex digits of each UUID become the copy number), so copies are
    independent providers with the same lives; each copy keeps the template's order. Returns the
    number written (whole copies)."""
    template = _demo_template()
    copies = max(1, -(-n // len(template)))
    runner = getattr(cw, "projections", None)
    listening = [f for f in cw.store.listeners if getattr(f, "__self__", None) is runner]
    for f in listening:
        cw.store.listeners.remove(f)
    try:
        written = 0
        for batch in _replicated_batches(template, copies, target=1000, first=first_copy):
            written += len(cw.store.append_batch(batch))
    finally:
        cw.store.listeners.extend(listening)
    _progress(f"loaded {written:,} events ({copies} copies of the demo scenarios)")
    return written


_TEMPLATE: list[Any] = []
_UUID = re.compile(r"\b[0-9a-f]{8}(?=-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b)")


def copy_prefix(copy: int) -> str:
    """What the first 8 hex digits of every UUID become in copy number ``copy`` (from 0)."""
    return f"{copy + 1:08x}"


def renamed(text: str, copy: int) -> str:
    """``text`` (an id, a stream name) as it is in copy number ``copy`` of the template."""
    return _UUID.sub(copy_prefix(copy), text)


def _demo_template() -> list[Any]:
    """The demo scenarios' events (StoredEvent), loaded once per process."""
    if _TEMPLATE:
        return _TEMPLATE
    import tempfile

    from casework.bootstrap import bootstrap
    from casework.clock import FixedClock
    from casework.demo import SCENARIOS, load_scenario
    from casework.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/template.db", scheduler_enabled=False)
        cw = bootstrap(settings, clock=FixedClock(datetime(2026, 6, 1, tzinfo=UTC)))
        try:
            for name in SCENARIOS:
                load_scenario(cw, name)
            _TEMPLATE.extend(e for page in cw.store.iter_all(page=5000) for e in page)
        finally:
            cw.close()
    return _TEMPLATE


def _replicated_batches(
    template: list[Any], copies: int, target: int, first: int = 0
) -> Iterator[list[Any]]:
    """AppendRequests for ``copies`` renamed copies of ``template`` (numbered from ``first`` + 1),
    about ``target`` events per batch, each copy in the template's order where order can matter.

    The template splits into independent units: streams joined through the providers and the
    commands their events name (a link and its mirror stay together). A batch may name a stream
    only once, so each unit is cut into windows in which no stream comes back after another;
    batch ``t`` holds window ``t`` of every unit of every copy (disjoint streams), in chunks."""
    import orjson

    from casework.events.base import NewEvent
    from casework.events.store import AppendRequest

    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent.setdefault(parent[x], parent[x])
            x = parent[x]
        return x

    for e in template:
        for key in (f"provider:{e.provider_id}" if e.provider_id else None,
                    f"command:{e.metadata.get('command_id')}" if e.metadata.get("command_id") else None):
            if key:
                a, b = find(e.stream), find(key)
                if a != b:
                    parent[a] = b
    units: dict[str, list[list[tuple[str, list[Any]]]]] = {}
    seen: dict[str, set[str]] = {}
    for e in template:
        root = find(e.stream)
        windows = units.setdefault(root, [[]])
        runs = windows[-1]
        if runs and runs[-1][0] == e.stream:
            runs[-1][1].append(e)
            continue
        if e.stream in seen.setdefault(root, set()):
            windows.append([])
            seen[root] = set()
        windows[-1].append((e.stream, [e]))
        seen[root].add(e.stream)
    # The template's JSON once; each copy only substitutes the UUID prefixes.
    texts = {e.event_id: (orjson.dumps(e.data).decode(), orjson.dumps(e.metadata).decode())
             for e in template}
    longest = max(len(w) for w in units.values())
    for t in range(longest):
        batch: list[Any] = []
        size = 0
        for copy in range(first, first + copies):
            prefix = copy_prefix(copy)
            for windows in units.values():
                if t >= len(windows):
                    continue
                for stream, evs in windows[t]:
                    batch.append(AppendRequest(renamed(stream, copy), [
                        NewEvent.model_construct(
                            event_id=uuid.UUID(prefix + e.event_id[8:]), type=e.type,
                            schema_version=e.schema_version,
                            data=orjson.loads(renamed(texts[e.event_id][0], copy)),
                            metadata=orjson.loads(renamed(texts[e.event_id][1], copy)),
                            occurred_at=e.occurred_at,
                        ) for e in evs
                    ]))
                    size += len(evs)
                if size >= target:
                    yield batch
                    batch, size = [], 0
        if batch:
            yield batch


# ----------------------------------------------------------------------------- hook 3
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(database_url: str, extra_env: dict[str, str] | None = None, workers: int = 1) -> Iterator[str]:
    """Run ``casework serve --workers N`` on a free loopback port in a child process; yield its
    base URL. Stops the child (by its pid; it stops its workers) on exit."""
    proc, base = start_serve(database_url, extra_env, workers)
    try:
        _wait_healthy(base, proc)
        yield base
    finally:
        stop_serve(proc)


def start_serve(
    database_url: str, extra_env: dict[str, str] | None = None, workers: int = 1
) -> tuple[subprocess.Popen, str]:
    """Launch ``casework serve`` on a free loopback port; returns the process and its base URL
    at once (the caller waits for what it needs, and stops it with ``stop_serve``)."""
    port = _free_port()
    env = {**os.environ, "CASEWORK_DATABASE_URL": database_url, "CASEWORK_LOG_LEVEL": "WARNING",
           "CASEWORK_SCHEDULER_ENABLED": "false", **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "casework.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    return proc, f"http://127.0.0.1:{port}"


def stop_serve(proc: subprocess.Popen) -> None:
    """Stop a server started by ``start_serve`` (by its pid; it stops its workers)."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode()[-1500:] if proc.stderr else ""
            raise RuntimeError(f"casework serve exited with {proc.returncode}: {err}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    try:
        last = httpx.get(f"{base}/healthz", timeout=5.0).text[:500]
    except httpx.HTTPError as exc:
        last = repr(exc)
    raise RuntimeError(f"casework serve did not become healthy at {base} in {timeout:.0f} s: {last}")


def http_spec(base: str, token: str, provider_ids: list[str], ctx: Context) -> dict[str, Any]:
    """The load: GET provider view, GET triage inbox, POST intelligence (routes per
    shared/spec/interfaces.md)."""
    return {
        "base_url": base,
        "token": token,
        "clients": ctx.sizes.http_clients,
        "seconds": ctx.sizes.http_seconds,
        "max_requests": 200_000,
        "warmup_seconds": 1.0,
        "pools": {"provider_id": provider_ids},
        "operations": [
            {"name": "GET provider view", "method": "GET",
             "path": "/api/v1/providers/{provider_id}", "weight": 4},
            {"name": "GET triage inbox", "method": "GET",
             "path": "/api/v1/intelligence?state=logged", "weight": 4},
            {"name": "POST intelligence", "method": "POST", "path": "/api/v1/intelligence",
             "json": {"provider_id": "{provider_id}", "source": "complaint",
                      "received_at": "{now}", "summary": "Bench report {uuid}"},
             "weight": 2, "expect": [201]},
        ],
    }


def hook_http_load(ctx: Context) -> dict[str, Any]:
    """Seeds a manager's token with ``casework users add`` and 20 providers with POST
    /api/v1/providers, then runs the load from a separate process against ``casework serve
    --workers`` ``ctx.sizes.http_workers``."""
    out: dict[str, Any] = {"http.workers": ctx.sizes.http_workers}
    # The default server, then one folding its read models after answering
    # (CASEWORK_READ_MODELS_DEFERRED=true: figures ``http_deferred.*``).
    for prefix, deferred in (("http", "false"), ("http_deferred", "true")):
        url = _fresh_pg(ctx, "http")
        token = _user_token(url)
        env = {"CASEWORK_READ_MODELS_DEFERRED": deferred}
        proc, base = start_serve(url, env, ctx.sizes.http_workers)
        try:
            _wait_healthy(base, proc)
            providers = _seed_providers(base, token, 20)
            cpu0, pg0 = _cpu_seconds(_process_tree(proc.pid)), _cpu_seconds(_postgres_pids())
            result = run_load(http_spec(base, token, providers, ctx))
            cpu = _cpu_used(cpu0, _cpu_seconds(_process_tree(proc.pid)))
            pg = _cpu_used(pg0, _cpu_seconds(_postgres_pids()))
        finally:
            stop_serve(proc)
        if result["requests"] == 0 or result["errors"] == result["requests"]:
            raise NotYetAvailable(f"every request failed: {result.get('error_samples')}")
        out.update({k.replace("http.", f"{prefix}.", 1): v for k, v in _flatten_http(result).items()})
        if cpu >= 0 and result["requests"]:  # Linux (/proc); the warm-up's requests count too
            out[f"{prefix}.server_cpu_ms_per_request"] = round(cpu * 1000 / result["requests"], 2)
            out[f"{prefix}.postgres_cpu_ms_per_request"] = round(pg * 1000 / result["requests"], 2)
    return out


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants (``casework serve --workers N`` and its workers), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (its backends do the queries' work)."""
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip().startswith("postgres"):
                pids.append(int(comm.parent.name))
        except OSError:
            continue
    return pids


def _cpu_seconds(pids: list[int]) -> dict[int, float] | None:
    """User and system CPU seconds used so far by each of ``pids`` (None without /proc)."""
    if not Path("/proc/self/stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


def _cpu_used(before: dict[int, float] | None, after: dict[int, float] | None) -> float:
    """CPU seconds used between two readings, by processes alive at the second (a process that
    started in between counts whole; one that ended is lost: -1 without /proc)."""
    if before is None or after is None:
        return -1.0
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _user_token(url: str) -> str:
    env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_LOG_LEVEL": "WARNING"}
    proc = subprocess.run(
        [sys.executable, "-m", "casework.cli", "users", "add", "bench", "--role", "manager"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise NotYetAvailable(f"casework users add failed: {proc.stderr.strip()[-300:]}")
    return proc.stdout.strip().splitlines()[-1]


def _seed_providers(base: str, token: str, n: int) -> list[str]:
    import httpx

    ids = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        for i in range(n):
            resp = http.post("/api/v1/providers", json={
                "name": f"Bench House {i}", "service_type": "care_home_residential",
                "categories": ["OP"], "beds": 30, "district": "Plymouth"})
            if resp.status_code != 201:
                raise NotYetAvailable(f"POST /api/v1/providers: {resp.status_code} {resp.text[:200]}")
            ids.append(resp.json()["id"])
    return ids


def _flatten_http(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {f"http.{k}": result[k] for k in ("clients", "seconds", "requests",
                                                              "errors", "rps", "p50_ms", "p99_ms")}
    for name, op in result["operations"].items():
        key = name.lower().replace(" ", "_")
        for k in ("rps", "p50_ms", "p99_ms", "errors"):
            out[f"http.{key}.{k}"] = op[k]
    if result.get("error_samples"):
        out["http.error_samples"] = result["error_samples"]
    return out


def http_selftest(ctx: Context) -> dict[str, Any]:
    """The load generator against what is served today (/docs, a static page), so the machinery is proven
    before the routes exist: 16 clients, bounded time, a real ``casework serve`` process."""
    url = _fresh_pg(ctx, "http")
    with serve(url) as base:
        spec = {"base_url": base, "clients": ctx.sizes.http_clients,
                "seconds": min(5.0, ctx.sizes.http_seconds), "warmup_seconds": 0.5,
                "operations": [{"name": "GET /docs", "method": "GET", "path": "/docs"}]}
        result = run_load(spec)
    return {"http_selftest.rps": result["rps"], "http_selftest.p50_ms": result["p50_ms"],
            "http_selftest.p99_ms": result["p99_ms"], "http_selftest.errors": result["errors"]}


def hook_growth(ctx: Context) -> dict[str, Any]:
    """Growth, measured (benchmarks/growth.py, which builds on this module's helpers)."""
    from benchmarks.growth import hook_growth as growth

    return growth(ctx)


HOOKS = [  # (name for run.py --hooks, label, hook)
    ("application", "Application: log intelligence (1 command/txn, PG)", hook_application_command),
    ("rebuild", "Projections: rebuild all from N events (PG)", hook_projection_rebuild),
    ("http", "HTTP: 16 clients, provider view / inbox / POST intelligence", hook_http_load),
    ("growth", "Growth: one log grown in steps, start-up / rebuild / requests at each size",
     hook_growth),
]
