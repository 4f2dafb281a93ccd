"""HTTP load generator: N concurrent clients on loopback for a bounded time and request count.

Runs in its own process (``run_load(spec)`` starts ``python -m benchmarks.http_load`` and reads
its one JSON line) so the clients never share a GIL with the server under test.

Spec (JSON on stdin)::

    {"base_url": "http://127.0.0.1:8765", "token": "...", "clients": 16, "seconds": 20,
     "max_requests": 100000, "warmup_seconds": 1,
     "pools": {"provider_id": ["...", "..."]},
     "operations": [
        {"name": "provider view", "method": "GET", "path": "/api/v1/providers/{provider_id}",
         "weight": 4},
        {"name": "triage inbox", "method": "GET", "path": "/api/v1/intelligence?state=logged",
         "weight": 4},
        {"name": "log intelligence", "method": "POST", "path": "/api/v1/intelligence",
         "json": {"provider_id": "{provider_id}", "source": "complaint",
                  "received_at": "{now}", "summary": "Bench {uuid}"},
         "weight": 2, "expect": [201]}]}

Placeholders ``{pool_name}`` (a random member of that pool), ``{uuid}`` and ``{now}`` are filled
per request in paths and JSON string values. Output: per operation and overall count, errors
(status not in ``expect``, default 2xx, or a transport error), rps, p50/p90/p99 in ms.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _fill(value: Any, pools: dict[str, list[str]], rnd: random.Random) -> Any:
    if isinstance(value, str):
        if "{" not in value:
            return value
        out = value.replace("{uuid}", str(uuid.uuid4())).replace(
            "{now}", datetime.now(UTC).isoformat()
        )
        for name, members in pools.items():
            token = "{" + name + "}"
            if token in out:
                out = out.replace(token, rnd.choice(members))
        return out
    if isinstance(value, dict):
        return {k: _fill(v, pools, rnd) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, pools, rnd) for v in value]
    return value


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def run_clients(spec: dict[str, Any]) -> dict[str, Any]:
    """Drive the load in this process (threads, one keep-alive httpx client each)."""
    import httpx

    host = urlsplit(spec["base_url"]).hostname
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load {host}: the load generator only targets loopback")
    ops = spec["operations"]
    weights = [op.get("weight", 1) for op in ops]
    pools = spec.get("pools", {})
    clients = int(spec.get("clients", 16))
    seconds = float(spec.get("seconds", 20))
    warmup = float(spec.get("warmup_seconds", 1.0))
    max_requests = int(spec.get("max_requests", 1_000_000))
    headers = {"Authorization": f"Bearer {spec['token']}"} if spec.get("token") else {}

    lock = threading.Lock()
    issued = 0
    lat: dict[str, list[float]] = {op["name"]: [] for op in ops}
    errors: dict[str, int] = {op["name"]: 0 for op in ops}
    statuses: dict[str, dict[str, int]] = {op["name"]: {} for op in ops}
    samples: list[str] = []
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + seconds

    def client(seed: int) -> None:
        nonlocal issued
        rnd = random.Random(seed)
        with httpx.Client(base_url=spec["base_url"], headers=headers, timeout=30.0) as http:
            while True:
                now = time.perf_counter()
                if now >= deadline:
                    return
                with lock:
                    if issued >= max_requests:
                        return
                    if now >= measure_from:
                        issued += 1
                op = rnd.choices(ops, weights)[0]
                path = _fill(op["path"], pools, rnd)
                body = _fill(op.get("json"), pools, rnd) if "json" in op else None
                t0 = time.perf_counter()
                try:
                    resp = http.request(op["method"], path, json=body)
                    status = str(resp.status_code)
                    ok = resp.status_code in op["expect"] if "expect" in op else resp.is_success
                    if not ok and len(samples) < 5:
                        samples.append(f"{op['name']}: {status} {resp.text[:200]}")
                except httpx.HTTPError as exc:
                    status, ok = type(exc).__name__, False
                elapsed = time.perf_counter() - t0
                if t0 < measure_from:
                    continue  # warm-up: connections, caches, JIT-free but lazy imports
                with lock:
                    lat[op["name"]].append(elapsed)
                    statuses[op["name"]][status] = statuses[op["name"]].get(status, 0) + 1
                    if not ok:
                        errors[op["name"]] += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = max(1e-9, min(time.perf_counter(), deadline) - measure_from)
    every = [x for v in lat.values() for x in v]
    return {
        "clients": clients,
        "seconds": round(wall, 2),
        "requests": len(every),
        "errors": sum(errors.values()),
        "rps": round(len(every) / wall, 1),
        "p50_ms": round(_pct(every, 50), 2),
        "p99_ms": round(_pct(every, 99), 2),
        "operations": {
            name: {
                "requests": len(v),
                "errors": errors[name],
                "statuses": statuses[name],
                "rps": round(len(v) / wall, 1),
                "p50_ms": round(_pct(v, 50), 2),
                "p90_ms": round(_pct(v, 90), 2),
                "p99_ms": round(_pct(v, 99), 2),
            }
            for name, v in lat.items()
        },
        "error_samples": samples,
    }


def run_load(spec: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    """Run the clients in a separate process and return their figures."""
    root = Path(__file__).resolve().parent.parent
    limit = timeout or float(spec.get("seconds", 20)) + float(spec.get("warmup_seconds", 1)) + 60
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.http_load"],
        input=json.dumps(spec), capture_output=True, text=True, cwd=root, timeout=limit,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    spec = json.loads(sys.stdin.read())
    print(json.dumps(run_clients(spec)))


if __name__ == "__main__":
    main()
