"""A user's mistake or an unavailable database never shows a traceback: one line on standard
error saying what went wrong and what to do, exit status 1 (2 for a usage error), and the
traceback only with ``--debug`` or ``CASEWORK_DEBUG=1``. Each command runs in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy.engine import make_url


def casework(url: str, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    outside = {k: v for k, v in os.environ.items() if k != "CASEWORK_DEBUG"}
    environment = {**outside, "CASEWORK_DATABASE_URL": url, "CASEWORK_LOG_LEVEL": "WARNING",
                   "CASEWORK_SCHEDULER_ENABLED": "false", **env}
    return subprocess.run([sys.executable, "-m", "casework.cli", *args], env=environment, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def one_line_failure(answer: subprocess.CompletedProcess[str], *words: str) -> str:
    """The single line on standard error, after checking exit 1 and no traceback anywhere."""
    assert answer.returncode == 1, answer.stderr
    assert "Traceback" not in answer.stdout + answer.stderr
    lines = answer.stderr.strip().splitlines()
    assert len(lines) == 1, answer.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_a_url_that_is_not_a_database_url_names_the_variable_and_the_forms(tmp_path):
    line = one_line_failure(casework("garbage", "verify", cwd=tmp_path), "CASEWORK_DATABASE_URL",
                            "sqlite:///", "postgresql+psycopg://")
    assert line.startswith("error: ")


def test_sqlite_in_a_missing_directory_says_to_create_the_directory(tmp_path):
    url = f"sqlite:///{tmp_path / 'nowhere' / 'casework.db'}"
    one_line_failure(casework(url, "verify", cwd=tmp_path), "directory", "does not exist",
                     "create it", str(tmp_path / "nowhere"))


@pytest.mark.parametrize("command", [["verify"], ["db", "upgrade"]])
def test_postgres_not_running_names_host_and_port_and_hides_the_password(tmp_path, command):
    url = "postgresql+psycopg://casework:s3cret-pw@127.0.0.1:1/casework"
    line = one_line_failure(casework(url, *command, cwd=tmp_path), "PostgreSQL at 127.0.0.1:1",
                            "is not answering", "start it")
    assert "s3cret-pw" not in line


def test_a_postgres_database_that_does_not_exist_says_to_create_it(tmp_path):
    server = os.environ.get("CASEWORK_TEST_DATABASE_URL")
    if not server:
        pytest.skip("CASEWORK_TEST_DATABASE_URL is not set")
    missing = f"casework_missing_{uuid4().hex[:8]}"
    url = make_url(server).set(database=missing).render_as_string(hide_password=False)
    one_line_failure(casework(url, "verify", cwd=tmp_path), f"no database '{missing}'",
                     f"createdb {missing}")


def test_a_report_written_into_a_missing_directory_says_which_directory(tmp_path):
    url = f"sqlite:///{tmp_path / 'casework.db'}"
    out = tmp_path / "missing-dir" / "r.html"
    answer = casework(url, "report", "annual", "--from", "2018-04-01", "--to", "2019-03-31",
                      "--out", str(out), cwd=tmp_path)
    one_line_failure(answer, str(tmp_path / "missing-dir"), "does not exist", "create it")
    assert not out.exists()


def test_a_setting_the_environment_got_wrong_is_named_without_its_value(tmp_path):
    url = f"sqlite:///{tmp_path / 'casework.db'}"
    answer = casework(url, "verify", cwd=tmp_path, CASEWORK_SESSION_SECRET="too-short-secret")
    line = one_line_failure(answer, "CASEWORK_SESSION_SECRET", "32 characters")
    assert "too-short-secret" not in line


def test_a_usage_error_exits_2_without_a_traceback(tmp_path):
    url = f"sqlite:///{tmp_path / 'casework.db'}"
    answer = casework(url, "report", "annual", "--from", "someday", "--to", "2019-03-31", cwd=tmp_path)
    assert answer.returncode == 2 and "Traceback" not in answer.stderr
    assert "--from" in answer.stderr


def test_debug_or_casework_debug_shows_the_traceback_instead(tmp_path):
    url = "postgresql+psycopg://casework@127.0.0.1:1/casework"
    for answer in (casework(url, "--debug", "verify", cwd=tmp_path),
                   casework(url, "verify", cwd=tmp_path, CASEWORK_DEBUG="1")):
        assert answer.returncode == 1
        assert "Traceback" in answer.stderr and "OperationalError" in answer.stderr
