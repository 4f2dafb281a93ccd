"""Every file Casework reads is read within a limit: ``/dev/zero`` or a file of one 50 MB line
given as the CQC file, the heads file of ``verify --against``, the deadline policy file or the
key file is refused at once, in bounded memory (the commands run under a 1 GiB address-space
limit), with a message naming the file and the limit; never read until the kernel kills it."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from casework.files import FileTooLarge, lines_within
from casework.imports.cqc import BUNDLED_CQC_FILE, CqcLocation, Rejected, read_locations

GIB = 1024**3


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))


def casework(db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casework.cli", *args], cwd=db.parent, preexec_fn=_limited,
        env={**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{db}", "CASEWORK_LOG_LEVEL": "WARNING",
             **env},
        capture_output=True, text=True, timeout=120, check=False,
    )


def events_in(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "casework.db"


def test_importing_dev_zero_is_refused_naming_the_file_and_the_limit(db: Path) -> None:
    answer = casework(db, "import", "cqc", "/dev/zero")
    assert answer.returncode == 2, answer.stderr[-2000:]
    assert "/dev/zero: line 1 is longer than the limit of 1 MiB" in answer.stderr
    assert "Nothing was imported" in answer.stderr
    assert events_in(db) == 0


def test_a_cqc_file_with_a_50_mb_line_imports_nothing_and_says_which_line(db: Path) -> None:
    source = db.parent / "locations.jsonl"
    first = BUNDLED_CQC_FILE.read_bytes().split(b"\n", 1)[0]
    with source.open("wb") as out:
        out.write(first + b"\n")
        out.write(b'{"locationId": "1-2", "name": "' + b"a" * (50 * 1024 * 1024) + b'"}\n')
    answer = casework(db, "import", "cqc", str(source))
    assert answer.returncode == 2, answer.stderr[-2000:]
    assert f"{source}: line 2 is longer than the limit of 1 MiB" in answer.stderr
    assert events_in(db) == 0  # the good line before it was not imported either


def test_verify_against_dev_zero_is_refused_naming_the_file_and_the_limit(db: Path) -> None:
    answer = casework(db, "verify", "--against", "/dev/zero")
    assert answer.returncode == 2, answer.stderr[-2000:]
    assert "the heads file /dev/zero is larger than the limit of 128 MiB" in answer.stderr
    not_heads = db.parent / "heads.json"
    not_heads.write_text('["not", "heads"]')
    answer = casework(db, "verify", "--against", str(not_heads))
    assert answer.returncode == 2 and "is not a heads file" in answer.stderr


@pytest.mark.parametrize(("variable", "refusal"), [
    ("CASEWORK_DEADLINE_POLICY_FILE", "the deadline policy file (CASEWORK_DEADLINE_POLICY_FILE) "
                                      "/dev/zero is larger than the limit of 1 MiB"),
    ("CASEWORK_KEY_FILE", "the key file /dev/zero is larger than the limit of 4 KiB"),
])
def test_a_settings_file_that_is_dev_zero_stops_the_start_naming_it(
    db: Path, variable: str, refusal: str
) -> None:
    answer = casework(db, "deadlines", "list", **{variable: "/dev/zero"})
    assert answer.returncode == 1, answer.stderr[-2000:]  # an error at start, not a kill
    assert refusal in answer.stderr


def test_lines_are_limited_to_their_content_and_bad_utf8_is_a_rejected_record(tmp_path: Path) -> None:
    exact = tmp_path / "exact.txt"
    exact.write_bytes(b"x" * 10 + b"\n" + b"y" * 10)
    assert list(lines_within(exact, max_line=10, what="the file")) == [b"x" * 10 + b"\n", b"y" * 10]
    with pytest.raises(FileTooLarge, match="line 1 is longer than the limit of 9 bytes"):
        list(lines_within(exact, max_line=9, what="the file"))
    mixed = tmp_path / "mixed.jsonl"
    good = BUNDLED_CQC_FILE.read_bytes().split(b"\n")[0]
    mixed.write_bytes(b'{"locationId": "1-\xff", "name": "x"}\n' + good)
    read = list(read_locations(mixed))
    assert isinstance(read[0], Rejected) and read[0].line == 1 and "UTF-8" in read[0].reason
    assert isinstance(read[1], CqcLocation)
