"""Issue 20: an ordinary command prints what the user needs and nothing else: no JSON log lines
on standard error unless asked for (``--verbose``, ``--debug`` or CASEWORK_LOG_LEVEL); ``db
upgrade`` says what it did; counts agree with their nouns ("1 event", never "1 events")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from casework.events.store.database import _alembic_config, schema_heads
from casework.imports.cqc import BUNDLED_CQC_FILE
from casework.wording import counted

HEAD = next(iter(schema_heads()))  # the migrations' one head


def casework(db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    outside = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    environment = {**outside, "CASEWORK_DATABASE_URL": f"sqlite:///{db}",
                   "CASEWORK_SCHEDULER_ENABLED": "false", **env}
    return subprocess.run([sys.executable, "-m", "casework.cli", *args], env=environment,
                          cwd=db.parent, capture_output=True, text=True, timeout=180, check=False)


def test_db_upgrade_says_it_created_the_schema_then_that_it_is_current(tmp_path):
    db = tmp_path / "casework.db"
    created = casework(db, "db", "upgrade")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == f"created the schema at revision {HEAD}"
    again = casework(db, "db", "upgrade")
    assert again.stdout.strip() == f"the schema is already current (revision {HEAD}): nothing to do"
    assert created.stderr == again.stderr == ""


def test_db_upgrade_of_an_older_schema_says_from_which_revision(tmp_path):
    db = tmp_path / "casework.db"
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0004_append_function")
    engine.dispose()
    upgraded = casework(db, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip() == f"upgraded the schema from revision 0004_append_function to {HEAD}"


def test_ordinary_commands_print_no_log_lines_unless_asked(tmp_path):
    db = tmp_path / "casework.db"
    imported = casework(db, "import", "cqc", str(BUNDLED_CQC_FILE))
    rebuilt = casework(db, "rebuild")
    fired = casework(db, "deadlines", "run", "--now", "2030-01-01")
    for answer in (imported, rebuilt, fired):
        assert answer.returncode == 0, answer.stderr
        assert answer.stderr == "", answer.stderr[:500]
    assert "cqc_import_done" not in imported.stdout and "projections_rebuilt" not in rebuilt.stdout
    verbose = casework(db, "--verbose", "rebuild")
    assert '"event": "projections_rebuilt"' in verbose.stderr
    chosen = casework(db, "rebuild", CASEWORK_LOG_LEVEL="INFO")
    assert '"event": "projections_rebuilt"' in chosen.stderr


def test_a_count_of_one_takes_the_singular(tmp_path):
    assert (counted(1, "notice"), counted(0, "notice"), counted(2, "notice")) == (
        "1 notice", "0 notices", "2 notices")
    assert counted(2189, "record", grouped=True) == "2,189 records"
    db = tmp_path / "casework.db"
    one = tmp_path / "one.jsonl"
    one.write_bytes(BUNDLED_CQC_FILE.read_bytes().splitlines()[0] + b"\n")
    imported = casework(db, "import", "cqc", str(one))
    assert imported.stdout.startswith("imported 1 location (")
    assert casework(db, "verify").stdout.strip().endswith("events in 1 stream verified")


def test_import_cqc_help_names_the_format_and_the_bundled_example_not_a_missing_directory(tmp_path):
    answer = casework(tmp_path / "casework.db", "import", "cqc", "--help")
    assert answer.returncode == 0
    text = " ".join(answer.stdout.replace("│", " ").split())  # rich draws panels around the help
    assert "data/cqc/" not in text.replace("casework/data/cqc-", "")
    assert "one CQC location object per line" in text and "GET /locations/{id}" in text
    assert BUNDLED_CQC_FILE.exists() and f"casework/data/{BUNDLED_CQC_FILE.name}"[:30] in text
