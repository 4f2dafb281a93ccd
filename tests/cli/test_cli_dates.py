"""Every option that takes a time reads it the same way (casework.cli.instants): a bare date is
the start of that day in England, a time without offset is England's wall-clock time, a time
with an offset is that instant; anything else exits 2 naming the option."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from casework.bootstrap import bootstrap
from casework.clock import FixedClock
from casework.events import Metadata, to_new_event
from casework.events.providers import ProviderRegistered
from casework.settings import Settings


def casework(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{db}", "CASEWORK_LOG_LEVEL": "WARNING",
           "CASEWORK_SCHEDULER_ENABLED": "false"}
    return subprocess.run([sys.executable, "-m", "casework.cli", *args], env=env, cwd=db.parent,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def store_with_a_provider(tmp_path_factory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("dates") / "casework.db"
    recorded = datetime(2018, 4, 2, 9, tzinfo=UTC)
    cw = bootstrap(Settings(database_url=f"sqlite:///{db}", scheduler_enabled=False),
                   clock=FixedClock(recorded))
    pid = str(uuid4())
    try:
        cw.store.append(f"provider-{pid}", [to_new_event(
            ProviderRegistered(provider_id=pid, name="Rose Court", service_type="care_home_residential",
                               categories=["OP"], owner="Acme Care Ltd", registered_manager="J Smith",
                               district="Leicester"),
            metadata=Metadata(actor="amy", provider_id=pid), occurred_at=recorded)], expected_version=0)
    finally:
        cw.close()
    return db, pid


# Each form given, and the instant in UTC it must mean. ``history --as-of`` asks for the state of
# things on a day, so a bare date is the END of that day (everything on it counts).
AS_OF = {
    "2018-09-01": "2018-09-01T22:59:59.999999+00:00",  # the end of the day in England, summer
    "2018-12-01": "2018-12-01T23:59:59.999999+00:00",  # and in winter
    "2018-09-01T10:00": "2018-09-01T09:00:00+00:00",  # England's wall-clock time
    "2018-09-01T10:00+01:00": "2018-09-01T09:00:00+00:00",
    "2018-09-01T09:00Z": "2018-09-01T09:00:00+00:00",
}


def test_history_as_of_reads_a_date_or_time_in_england_unless_it_has_an_offset(store_with_a_provider):
    db, pid = store_with_a_provider
    for given, meant in AS_OF.items():
        answer = casework(db, "history", pid, "--as-of", given, "--json")
        assert answer.returncode == 0, answer.stderr
        assert json.loads(answer.stdout)["as_of"] == meant, given
        assert json.loads(answer.stdout)["as_happened_at"] == meant, given
        known = casework(db, "history", pid, "--as-known-at", given, "--json")
        assert json.loads(known.stdout)["as_known_at"] == meant, given


def test_deadlines_run_now_accepts_the_same_forms_with_the_same_meaning(store_with_a_provider):
    db, _ = store_with_a_provider
    for given in ("2027-06-01", "2027-06-01T00:00", "2027-06-01T00:00+01:00"):
        answer = casework(db, "deadlines", "run", "--now", given)
        assert answer.returncode == 0, answer.stderr
        assert "fired as of 2027-05-31T23:00:00+00:00" in answer.stdout, given


@pytest.mark.parametrize(("command", "option"), [
    (["deadlines", "run"], "--now"), (["deadlines", "list"], "--before"), (["history", "p1"], "--as-of"),
])
def test_a_date_that_is_not_one_exits_2_naming_the_option_and_the_forms(
    store_with_a_provider, command, option
):
    db, _ = store_with_a_provider
    answer = casework(db, *command, option, "2018-02-30")
    assert answer.returncode == 2 and "Traceback" not in answer.stderr
    assert f"'{option}'" in answer.stderr and "yyyy-mm-dd" in answer.stderr
