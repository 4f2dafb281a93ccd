"""The foundation's commands, run as a user would: in a subprocess on a temporary store."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import text

from casework.events import Metadata, to_new_event
from casework.events.base import DomainEvent
from casework.events.store import EventStore
from casework.events.store.database import make_engine


class Remark(DomainEvent, type_name="TestRemark"):
    text: str


def run(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEWORK_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "casework.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_db_upgrade_then_verify_an_intact_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'cw.db'}"
    upgraded = run(["db", "upgrade"], url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "created the schema at revision" in upgraded.stdout
    verified = run(["verify"], url)
    assert verified.returncode == 0
    assert "intact" in verified.stdout


def test_verify_fails_naming_the_event_edited_by_hand(tmp_path):
    url = f"sqlite:///{tmp_path / 'cw.db'}"
    assert run(["db", "upgrade"], url).returncode == 0
    engine = make_engine(url)
    store = EventStore(engine)
    when = datetime(2026, 2, 1, tzinfo=UTC)
    stored = store.append(
        "remark-1",
        [to_new_event(Remark(text=t), metadata=Metadata(actor="amy"), occurred_at=when)
         for t in ("fine", "also fine", "last")],
    )
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET data = '{\"text\":\"forged\"}' WHERE version = 2"))
    engine.dispose()
    result = run(["verify"], url)
    assert result.returncode == 1
    assert stored[1].event_id in result.stderr
    assert "altered" in result.stderr


def test_verify_against_exported_heads_detects_a_restored_older_backup(tmp_path):
    url = f"sqlite:///{tmp_path / 'cw.db'}"
    heads = tmp_path / "HEADS.json"
    assert run(["db", "upgrade"], url).returncode == 0
    engine = make_engine(url)
    store = EventStore(engine)
    when = datetime(2026, 2, 1, tzinfo=UTC)
    for t in ("one", "two"):
        store.append("remark-1", [to_new_event(Remark(text=t), metadata=Metadata(actor="amy"),
                                               occurred_at=when)])
    assert run(["verify", "--export-heads", str(heads)], url).returncode == 0
    with engine.begin() as conn:  # the "backup" lost the last event
        conn.execute(text("DELETE FROM events WHERE version = 2"))
    engine.dispose()
    assert run(["verify"], url).returncode == 0
    result = run(["verify", "--against", str(heads)], url)
    assert result.returncode == 1
    assert "lost" in result.stderr
