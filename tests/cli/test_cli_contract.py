"""The command line of spec/interfaces.md, run as a user would: each command in a subprocess on
a temporary SQLite store (CASEWORK_DATABASE_URL), checking what it prints and its exit status.

The tests of this module share one store and run in order: users, import, history, rebuild,
deadlines, report, demo, serve, and last verify (which tampers with the log)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from casework.imports.cqc_importer import provider_id_for

BUNDLED = Path(__file__).resolve().parents[2] / "src" / "casework" / "data" / "cqc-devon-plymouth-2021.jsonl"
LOCATION = "1-1000587219"  # the first record of the bundled file: Highlands Borders Care Home


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli") / "casework.db"


def env_for(db: Path) -> dict[str, str]:
    return {**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{db}", "CASEWORK_LOG_LEVEL": "WARNING"}


def casework(db: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casework.cli", *args], env=env_for(db), cwd=db.parent,
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def event_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]


def test_help_lists_every_command_of_the_contract(store):
    answer = casework(store, "--help")
    assert answer.returncode == 0
    for command in ("serve", "demo", "users", "history", "rebuild", "verify", "deadlines", "import",
                    "report", "db"):
        assert command in answer.stdout
    users = casework(store, "users", "add", "--help")
    assert users.returncode == 0 and "--role" in users.stdout and "shown once" in users.stdout


def test_db_upgrade_creates_the_schema(store):
    answer = casework(store, "db", "upgrade")
    assert answer.returncode == 0, answer.stderr
    assert "schema is current" in answer.stdout and "0006_outbox" in answer.stdout


def test_users_add_prints_a_token_once_and_refuses_a_bad_role_or_a_taken_name(store):
    added = casework(store, "users", "add", "amy", "--role", "officer")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("cw_") and len(token) > 40 and "\n" not in token
    with sqlite3.connect(store) as conn:
        stored = [r[0] for r in conn.execute("SELECT token_hash FROM api_tokens")]
    assert token not in stored and len(stored) == 1
    taken = casework(store, "users", "add", "amy", "--role", "manager")
    assert taken.returncode == 2 and "already exists" in taken.stderr
    bad_role = casework(store, "users", "add", "bob", "--role", "boss")
    assert bad_role.returncode == 2
    assert "officer, manager, auditor, admin" in bad_role.stderr
    assert casework(store, "users", "add", "mo", "--role", "manager").returncode == 0
    listed = casework(store, "users", "list")
    assert listed.returncode == 0
    assert "amy" in listed.stdout and "officer" in listed.stdout and "mo" in listed.stdout
    assert token not in listed.stdout


def test_users_revoke_stops_the_tokens_and_names_an_unknown_user(store):
    casework(store, "users", "add", "leaver", "--role", "auditor")
    revoked = casework(store, "users", "revoke", "leaver")
    assert revoked.returncode == 0 and "revoked 1 token" in revoked.stdout
    assert "leaver" in casework(store, "users", "list").stdout
    unknown = casework(store, "users", "revoke", "nobody")
    assert unknown.returncode == 1 and "nobody" in unknown.stderr


def test_import_cqc_imports_good_records_and_exits_1_naming_the_rejected_lines(store):
    source = store.parent / "locations.jsonl"
    lines = BUNDLED.read_text().splitlines()[:2] + ['{"locationId": 5}', "not json"]
    source.write_text("\n".join(lines) + "\n")
    first = casework(store, "import", "cqc", str(source))
    assert first.returncode == 1
    assert "2 registered" in first.stdout
    assert "3" in first.stderr and "4" in first.stderr
    before = event_count(store)
    again = casework(store, "import", "cqc", str(source))
    assert "0 registered" in again.stdout and "appended 0 events" in again.stdout
    assert event_count(store) == before


def test_history_prints_a_providers_events_oldest_first_and_exits_1_when_unknown(store):
    pid = provider_id_for(LOCATION)
    text = casework(store, "history", pid)
    assert text.returncode == 0, text.stderr
    assert "ProviderRegistered" in text.stdout
    assert text.stdout.index("ProviderRegistered") < text.stdout.index("CqcRatingPublished")
    as_json = casework(store, "history", pid, "--json")
    assert as_json.returncode == 0
    document = json.loads(as_json.stdout)
    positions = [e["position"] for e in document["events"]]
    assert positions == sorted(positions) and document["verified"] is True
    before_import = casework(store, "history", pid, "--as-of", "2000-01-01T00:00:00+00:00", "--json")
    assert before_import.returncode in (0, 1)
    if before_import.returncode == 0:
        assert json.loads(before_import.stdout)["events"] == []
    unknown = casework(store, "history", "no-such-provider")
    assert unknown.returncode == 1


def test_rebuild_rebuilds_every_read_model_or_one(store):
    everything = casework(store, "rebuild")
    assert everything.returncode == 0, everything.stderr
    assert "provider_view" in everything.stdout
    one = casework(store, "rebuild", "--projection", "provider_view")
    assert one.returncode == 0 and "provider_view" in one.stdout


def test_deadlines_run_fires_what_is_due_and_prints_it(store):
    answer = casework(store, "deadlines", "run", "--now", "2027-01-01T00:00:00+00:00")
    assert answer.returncode == 0, answer.stderr
    assert "deadline(s) fired as of 2027-01-01" in answer.stdout
    bad = casework(store, "deadlines", "run", "--now", "tomorrow")
    assert bad.returncode == 2


def test_report_annual_in_json_csv_and_html(store):
    as_json = casework(store, "report", "annual", "--from", "2020-04-01", "--to", "2021-03-31",
                       "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    figures = json.loads(as_json.stdout)
    assert figures["period_from"] == "2020-04-01" and "intelligence_logged" in figures
    as_csv = casework(store, "report", "annual", "--from", "2020-04-01", "--to", "2021-03-31",
                      "--format", "csv")
    assert as_csv.returncode == 0 and "," in as_csv.stdout
    out = store.parent / "annual.html"
    as_html = casework(store, "report", "annual", "--from", "2020-04-01", "--to", "2021-03-31",
                       "--out", str(out))
    assert as_html.returncode == 0 and out.read_text().lstrip().lower().startswith("<!doctype html")


def test_demo_lists_and_loads_a_scenario(store):
    listed = casework(store, "demo", "--list")
    assert listed.returncode == 0 and "leicester-2018" in listed.stdout
    loaded = casework(store, "demo", "--scenario", "north-northants-2024")
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded scenario north-northants-2024" in loaded.stdout
    before = event_count(store)
    assert casework(store, "demo", "--scenario", "north-northants-2024").returncode == 0
    assert event_count(store) == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_health_and_the_api_with_a_token_from_users_add(store):
    token = casework(store, "users", "add", "server-check", "--role", "auditor").stdout.strip()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "casework.cli", "serve", "--port", str(port)],
        env=env_for(store), cwd=store.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None:
                    pytest.fail(f"serve exited: {server.stderr.read()}")
                time.sleep(0.2)  # waiting for a real process to listen, not for domain time
        assert health is not None and health.status_code == 200 and health.json()["status"] == "ok"
        me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert me.status_code == 200 and me.json()["role"] == "auditor"
        assert httpx.get(f"{base}/api/v1/me", timeout=5).status_code == 401
        providers = httpx.get(f"{base}/api/v1/providers", headers={"Authorization": f"Bearer {token}"},
                              timeout=10)
        assert providers.status_code == 200 and len(providers.json()) >= 2
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def test_verify_exits_0_when_intact_and_1_naming_the_first_broken_event(store):
    intact = casework(store, "verify")
    assert intact.returncode == 0 and "intact" in intact.stdout
    with sqlite3.connect(store) as conn:
        position, event_id = conn.execute(
            "SELECT position, event_id FROM events WHERE type = 'ProviderRegistered' ORDER BY position"
        ).fetchone()
        conn.execute("UPDATE events SET data = replace(data, 'Highlands', 'Lowlands') WHERE position = ?",
                     (position,))
    broken = casework(store, "verify")
    assert broken.returncode == 1
    assert event_id in broken.stderr
