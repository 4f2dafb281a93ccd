"""Load and concurrency: many clients over HTTP against a served Casework, and the deadline
scheduler run from two processes at once.

The stress test serves the real ``casework serve`` in a subprocess (on PostgreSQL and on SQLite)
and drives it from 8 threads, each with its own HTTP connection, for a bounded number of requests:

1. racing rounds: all 8 clients post the same escalation with the same ``expected_version`` at
   the same instant; exactly one wins, the 7 others get a 409 problem naming the new version;
2. a mixed workload of reads and writes on one provider and a few intelligence records (writes
   race on the same streams without any expected version: the store's optimistic check refuses
   the loser's append, the Application reads the stream again and decides again, so independent
   writes all land and only those the record's new state no longer allows get a 409).

Afterwards the log is checked: no gap or duplicate in any stream's versions, positions without
gaps, ``casework verify`` passes, every successful write's events (and nothing of any refused
write) are stored, and the read models the server built equal a rebuild from the log.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text

from casework.events.store.database import make_engine

from .support import (
    AFTER_EXPIRY,
    add_users,
    assert_read_models_equal_a_rebuild,
    check_integrity,
    checkpoints_at,
    deadlines_run_together,
    fired_deadlines,
    head,
    invoke,
    issue_final_notices,
    serving,
    wait_until,
)

CLIENTS = 8
RACING_ROUNDS = 10
MIXED_PER_CLIENT = 25
RECORDS = 4
PROBLEM_JSON = "application/problem+json"

pytestmark = pytest.mark.slow


@dataclass
class Outcome:
    """One write as the client saw it."""

    command_id: str
    kind: str
    status: int
    body: dict[str, Any]
    expected_version: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in (200, 201)

    def events_written(self) -> int:
        """How many events the answer says the write appended."""
        if self.kind == "escalation":  # the answer is the stage now; each escalate or lift is one event
            return 1
        return len(self.body["events"])


class Client:
    """One user's HTTP connection; every write carries a fresh Idempotency-Key."""

    def __init__(self, base_url: str, user: str, token: str) -> None:
        self.user = user
        self.requests = 0
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def get(self, path: str, **params: Any) -> httpx.Response:
        self.requests += 1
        answer = self.http.get(path, params=params)
        assert answer.status_code == 200, f"GET {path}: {answer.status_code} {answer.text}"
        return answer

    def post(self, kind: str, path: str, body: dict[str, Any]) -> Outcome:
        self.requests += 1
        key = str(uuid.uuid4())
        answer = self.http.post(path, json=body, headers={"Idempotency-Key": key})
        assert answer.status_code in (200, 201, 409), f"POST {path}: {answer.status_code} {answer.text}"
        if answer.status_code == 409:
            assert answer.headers["content-type"] == PROBLEM_JSON
        return Outcome(f"http:{self.user}:{key}", kind, answer.status_code, answer.json(),
                       body.get("expected_version"))

    def close(self) -> None:
        self.http.close()


def _escalation_body(stage: str, version: int) -> dict[str, Any]:
    if stage == "monitoring":
        return {"action": "escalate", "reason": "QAF non-compliance", "expected_version": version}
    return {"action": "lift", "reason": "improvement verified at the review visit",
            "expected_version": version}


def test_many_clients_over_http_lose_nothing_duplicate_nothing_and_the_read_models_equal_a_rebuild(
    database_url, tmp_path
):
    writers = ["manny", "maria", "mike", "mona"]  # managers: they may escalate and allocate
    tokens = add_users(database_url, olive="officer", oscar="officer", **{w: "manager" for w in writers})
    with serving(database_url, tmp_path) as served:
        setup = Client(served.url, "manny", tokens["manny"])
        provider = setup.post("setup", "/api/v1/providers", {
            "name": "Oak House", "service_type": "care_home_nursing", "categories": ["OP"], "beds": 40})
        assert provider.status == 201, provider.body
        pid = provider.body["id"]
        received = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        records = []
        for n in range(RECORDS):
            logged = setup.post("setup", "/api/v1/intelligence", {
                "provider_id": pid, "source": "complaint", "received_at": received,
                "summary": f"Concern {n}: call bells unanswered at night"})
            assert logged.status == 201, logged.body
            records.append(logged.body["id"])
            allocated = setup.post("setup", f"/api/v1/intelligence/{records[-1]}/allocate",
                                   {"officer": "olive"})
            assert allocated.status == 200, allocated.body
        setup.close()
        engine = make_engine(database_url)
        events_before = check_integrity(engine).events
        clients = [Client(served.url, writers[i % len(writers)], tokens[writers[i % len(writers)]])
                   for i in range(CLIENTS)]
        outcomes: list[Outcome] = []
        started = time.perf_counter()

        # 1. Racing writers: the same escalation, the same expected_version, the same instant.
        racing = []
        for _ in range(RACING_ROUNDS):
            status = clients[0].get(f"/api/v1/providers/{pid}/escalation").json()
            body = _escalation_body(status["stage"], status["version"])
            barrier = threading.Barrier(CLIENTS)

            def racer(client: Client, body: dict[str, Any] = body, barrier=barrier) -> Outcome:
                barrier.wait()
                return client.post("escalation", f"/api/v1/providers/{pid}/escalation", body)

            with ThreadPoolExecutor(CLIENTS) as pool:
                round_outcomes = list(pool.map(racer, clients))
            winners = [o for o in round_outcomes if o.ok]
            losers = [o for o in round_outcomes if not o.ok]
            assert len(winners) == 1, [(o.status, o.body) for o in round_outcomes]
            assert winners[0].body["version"] == status["version"] + 1
            for lost in losers:
                assert lost.body["type"] == "urn:casework:problem:stale-version", lost.body
                assert lost.body["current_version"] == status["version"] + 1
            racing += round_outcomes
        outcomes += racing

        # 2. A mix of reads and writes from every client at once, on the same few streams.
        today = datetime.now(UTC).date()

        def mixed(index: int) -> list[Outcome]:
            client, rng, done = clients[index], random.Random(index), []
            for _ in range(MIXED_PER_CLIENT):
                roll = rng.random()
                record = rng.choice(records)
                if roll < 0.45:
                    path, params = rng.choice([
                        (f"/api/v1/providers/{pid}", {}),
                        ("/api/v1/providers", {"sort": "risk"}),
                        ("/api/v1/intelligence", {}),
                        (f"/api/v1/intelligence/{record}", {}),
                        (f"/api/v1/providers/{pid}/escalation", {}),
                        ("/api/v1/deadlines", {}),
                        ("/api/v1/stats", {"from": str(today - timedelta(days=30)), "to": str(today)}),
                    ])
                    client.get(path, **params)
                elif roll < 0.6:
                    done.append(client.post("allocate", f"/api/v1/intelligence/{record}/allocate",
                                            {"officer": rng.choice(["olive", "oscar"])}))
                elif roll < 0.75:
                    done.append(client.post("risk", f"/api/v1/providers/{pid}/risk-criteria", {
                        "criterion": rng.choice(["fire_safety", "food_hygiene"]),
                        "rag": rng.choice(["red", "amber", "green"])}))
                elif roll < 0.85:
                    done.append(client.post("log", "/api/v1/intelligence", {
                        "provider_id": pid, "source": "whistleblowing", "received_at": received,
                        "summary": "Staff say the night rota is short"}))
                else:
                    status = client.get(f"/api/v1/providers/{pid}/escalation").json()
                    done.append(client.post("escalation", f"/api/v1/providers/{pid}/escalation",
                                            _escalation_body(status["stage"], status["version"])))
            return done

        with ThreadPoolExecutor(CLIENTS) as pool:
            for done in pool.map(mixed, range(CLIENTS)):
                outcomes += done
        elapsed = time.perf_counter() - started
        requests = sum(c.requests for c in clients)
        for client in clients:
            client.close()
        # The server catches its read models up after each append; wait for the last one.
        last = head(engine)
        wait_until(lambda: set(checkpoints_at(engine).values()) == {last}, 15, "read models at the head")

    # --- the log after the storm
    integrity = check_integrity(engine)
    stored: Counter[str] = Counter()
    with engine.connect() as conn:
        for (meta,) in conn.execute(text("SELECT metadata FROM events WHERE position > :p"),
                                    {"p": events_before}):
            stored[orjson.loads(meta).get("command_id")] += 1
    engine.dispose()
    succeeded = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if not o.ok]
    assert refused and succeeded
    assert set(stored) == {o.command_id for o in succeeded}, "a refused write left events, or a success none"
    for outcome in succeeded:
        assert stored[outcome.command_id] == outcome.events_written(), outcome
    assert integrity.events == events_before + sum(o.events_written() for o in succeeded)

    verified = invoke(["verify"], database_url)
    assert verified.exit_code == 0, verified.output
    assert f"intact: {integrity.events} events" in verified.output

    rows = assert_read_models_equal_a_rebuild(database_url)
    assert len(rows["rm_triage"]) == RECORDS + sum(o.kind == "log" for o in succeeded)

    print(
        f"\nstress on {make_engine(database_url).dialect.name}: {CLIENTS} clients, {requests} requests "
        f"({len(outcomes)} writes: "
        f"{len(succeeded)} stored, {len(refused)} refused with 409, of which "
        f"{sum(not o.ok for o in racing)} in {RACING_ROUNDS} racing rounds) in {elapsed:.1f}s; "
        f"{integrity.events - events_before} events appended, log {integrity.events} events in "
        f"{integrity.streams} streams; by kind {Counter((o.kind, o.status) for o in outcomes)}"
    )


def test_the_deadline_scheduler_run_from_two_processes_at_once_fires_each_deadline_once(
    database_url, tmp_path
):
    due = issue_final_notices(database_url, 25)
    assert len(due) == 25  # the decisions: their reminders are superseded by then
    now = AFTER_EXPIRY.isoformat()
    procs = deadlines_run_together(2, now, database_url, tmp_path)
    codes = [proc.wait(120) for proc in procs]
    outputs = [(tmp_path / f"proc-{i}.log").read_text() for i in range(2)]
    assert codes == [0, 0], outputs
    fired = [int(re.search(r"(\d+) deadline\(s\) fired", out).group(1)) for out in outputs]
    skipped = [out.count("(already fired elsewhere)") for out in outputs]
    engine = make_engine(database_url)
    try:
        streams = fired_deadlines(engine)
        check_integrity(engine)
    finally:
        engine.dispose()
    assert set(streams) == {f"deadline-{d}" for d in due}
    assert set(streams.values()) == {1}, "a deadline fired twice"
    assert sum(fired) == len(due), f"fired {fired}"
    print(f"\ntwo schedulers: {len(due)} deadlines, fired {fired} and found already fired {skipped}")
