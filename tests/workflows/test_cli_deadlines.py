"""``casework deadlines run --now`` in a subprocess, on a temporary SQLite store."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from casework.bootstrap import bootstrap
from casework.clock import FixedClock
from casework.events.sanctions import ContractSuspended, FinalNoticeIssued, SanctionStage
from casework.settings import Settings
from casework.workflows.deadline_calendar import pending_deadlines

from .helpers import record

# The installed console script, as users run it.
_SCRIPT = Path(sys.executable).with_name("casework")
CASEWORK = (
    [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-c", "from casework.cli.main import app; app()"]
)


def run_deadlines(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEWORK_DATABASE_URL": url}
    return subprocess.run(
        [*CASEWORK, "deadlines", "run", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_deadlines_run_fires_what_is_due_prints_it_and_exits_0(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'casework.db'}"
    issued = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    cw = bootstrap(Settings(database_url=url, scheduler_enabled=False), clock=FixedClock(issued))
    record(
        cw.store,
        "escalation-p9",
        FinalNoticeIssued(provider_id="p9", from_stage=SanctionStage.monitoring, reason="serious risk"),
        issued,
    )
    cw.close()

    first = run_deadlines(url, "--now", "2026-05-18T00:00:00+01:00")
    assert first.returncode == 0, first.stderr
    # The reminders 30 and 14 days before expiry are both due: the latest goes, once.
    assert first.stdout.count("sent   ") == 1 and "fired  " not in first.stdout
    assert "final_notice_decision:before:14d]" in first.stdout
    assert "reminder, 14 days before 2026-05-31" in first.stdout
    assert "provider=p9" in first.stdout and "owner=contracts-team" in first.stdout
    assert "0 deadline(s) fired" in first.stdout and "1 reminder(s) sent" in first.stdout

    again = run_deadlines(url, "--now", "2026-05-18T00:00:00+01:00")
    assert again.returncode == 0
    assert "0 deadline(s) fired" in again.stdout and "0 reminder(s) sent" in again.stdout

    bad = run_deadlines(url, "--now", "yesterday")
    assert bad.returncode == 2


def test_deadlines_run_fires_every_deadline_due_in_one_run_and_collapses_missed_reviews(
    tmp_path,
) -> None:
    url = f"sqlite:///{tmp_path / 'casework.db'}"
    suspended = datetime(2018, 1, 8, 9, 0, tzinfo=UTC)
    cw = bootstrap(Settings(database_url=url, scheduler_enabled=False), clock=FixedClock(suspended))
    record(cw.store, "escalation-p1", ContractSuspended(
        provider_id="p1", from_stage=SanctionStage.requirement_to_improve, reason="r"), suspended)
    record(cw.store, "escalation-p9", FinalNoticeIssued(
        provider_id="p9", from_stage=SanctionStage.monitoring, reason="serious risk"), suspended)
    [first_review] = pending_deadlines(cw, provider_id="p1")
    cw.close()
    now = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    missed = (now - first_review.due_at) // timedelta(days=28) + 1
    assert missed > 100  # more than the old bound of rounds: today's code stopped part way

    first = run_deadlines(url, "--now", "2027-06-01T09:00:00+01:00")
    assert first.returncode == 0, first.stderr
    # The final notice's decision (its reminders superseded: it expired long ago), and one
    # alert for every missed review.
    assert first.stdout.count("fired  ") == 2 and "sent   " not in first.stdout
    assert f"(missed {missed} reviews since {first_review.due_at.date().isoformat()})" in first.stdout
    assert "2 deadline(s) fired" in first.stdout and "0 reminder(s) sent" in first.stdout
    assert "run it again" not in first.stderr

    again = run_deadlines(url, "--now", "2027-06-01T09:00:00+01:00")
    assert again.returncode == 0 and "0 deadline(s) fired" in again.stdout
