"""Issue 20: "the same holds for every other file Casework reads": a deadline policy file or a
key file that is not what it should be stops a command with one line naming the file and why
(exit 1), never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def casework(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    outside = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    environment = {**outside, "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'casework.db'}",
                   "CASEWORK_SCHEDULER_ENABLED": "false", **env}
    return subprocess.run([sys.executable, "-m", "casework.cli", *args], env=environment, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("content", "said"), [
    (b"\xff\xfe{}", "is not UTF-8 text"),
    (b"[" * 5000, "nested too deeply"),
    (b"zone,days\n", "is not JSON"),
    (b'{"colour": "red"}', "is not a deadline policy: colour"),
])
def test_a_deadline_policy_file_that_is_not_one_is_named_in_one_line(tmp_path, content, said):
    policy = tmp_path / "policy.json"
    policy.write_bytes(content)
    answer = casework(tmp_path, "deadlines", "list", CASEWORK_DEADLINE_POLICY_FILE=str(policy))
    assert answer.returncode == 1 and "Traceback" not in answer.stderr
    (line,) = answer.stderr.strip().splitlines()
    assert line.startswith(f"error: the deadline policy file (CASEWORK_DEADLINE_POLICY_FILE) {policy} ")
    assert said in line


@pytest.mark.parametrize(("name", "content", "said"), [
    ("missing.key", None, "cannot read the key file"),
    ("wrong.key", b"not a key", "must hold 32 random bytes"),
])
def test_a_key_file_that_is_missing_or_wrong_is_named_in_one_line(tmp_path, name, content, said):
    key = tmp_path / name
    if content is not None:
        key.write_bytes(content)
    answer = casework(tmp_path, "verify", CASEWORK_KEY_FILE=str(key))
    assert answer.returncode == 1 and "Traceback" not in answer.stderr
    (line,) = answer.stderr.strip().splitlines()
    assert said in line and str(key) in line
