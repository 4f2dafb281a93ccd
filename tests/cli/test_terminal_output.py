"""What the command line prints of data cannot act on the terminal: escape sequences, other
control characters and a data field's newline are shown escaped, rich markup prints as typed,
and every print of the CLI goes through the one helper that does it (casework.cli.terminal)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from casework.bootstrap import bootstrap
from casework.cli import terminal
from casework.events import Metadata, to_new_event
from casework.events.intelligence import IntelligenceAllocated, IntelligenceLogged
from casework.events.providers import ProviderRegistered
from casework.settings import Settings

# Up three lines, erase to the end of the screen, retitle the window, hide what follows.
ATTACK = "\x1b[3A\x1b[0J\x1b]0;pwned\x07\x1b[8m"
REASON = f"Reallocated{ATTACK} [red]urgent[/red]\nchain: verified (forged)\r\x9b2J"
CLI_DIR = Path(terminal.__file__).parent


def casework(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{db}", "CASEWORK_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "casework.cli", *args], env=env, cwd=db.parent,
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture
def store_with_a_hostile_reason(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "casework.db"
    cw = bootstrap(Settings(database_url=f"sqlite:///{db}", scheduler_enabled=False))
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    pid, rid = str(uuid4()), str(uuid4())

    def append(stream: str, event: object, version: int, reason: str | None = None) -> None:
        meta = Metadata(actor="amy", provider_id=pid, reason=reason)
        cw.store.append(stream, [to_new_event(event, metadata=meta, occurred_at=at)],
                        expected_version=version)

    try:
        append(f"provider-{pid}", ProviderRegistered(
            provider_id=pid, name="Rose [bold red]Court[/bold red]", service_type="care_home_residential",
            categories=["OP"], owner="Acme Care Ltd", registered_manager="J Smith",
            district="Leicester"), 0)
        append(f"intelligence-{rid}", IntelligenceLogged(
            record_id=rid, provider_id=pid, source="complaint", received_at=at,
            summary="Night staffing"), 0)
        append(f"intelligence-{rid}", IntelligenceAllocated(record_id=rid, officer="amy"), 1, REASON)
    finally:
        cw.close()
    return db, pid


def test_history_shows_escape_sequences_in_a_reason_escaped_and_its_chain_line_intact(
    store_with_a_hostile_reason: tuple[Path, str],
) -> None:
    db, pid = store_with_a_hostile_reason
    answer = casework(db, "history", pid)
    assert answer.returncode == 0, answer.stderr
    out = answer.stdout
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\r" not in out
    reason = next(line for line in out.splitlines() if line.lstrip().startswith("reason"))
    assert reason == ("    reason   Reallocated\\x1b[3A\\x1b[0J\\x1b]0;pwned\\x07\\x1b[8m "
                      "[red]urgent[/red]\\nchain: verified (forged)\\r\\x9b2J")
    assert "Rose [bold red]Court[/bold red]" in out  # markup prints as typed
    lines = out.splitlines()
    assert lines[-1].startswith("chain: verified") and sum(ln.startswith("chain:") for ln in lines) == 1


def test_an_import_names_a_rejected_line_with_its_control_characters_escaped(tmp_path: Path) -> None:
    source = tmp_path / "cqc.jsonl"
    source.write_text('{"locationId": "1-\\u001b[2J\\u001b]0;pwned\\u0007", "name": ""}\n',
                      encoding="utf-8")
    answer = casework(tmp_path / "casework.db", "import", "cqc", str(source))
    assert answer.returncode == 1
    assert "\x1b" not in answer.stderr and "\x07" not in answer.stderr
    assert "rejected line 1 (location 1-\\x1b[2J\\x1b]0;pwned\\x07): no name" in answer.stderr


def test_one_line_and_document_output_escape_what_a_terminal_would_act_on(capsys) -> None:
    terminal.say(f"a{ATTACK}\tb\nc\u202ed\u2028e\x7f [red]x[/red]")
    terminal.say_document("h1,h2\r\nv\x1b[2J,w\rx\n\tindented\x85\n")
    out = capsys.readouterr().out
    assert out == ("a\\x1b[3A\\x1b[0J\\x1b]0;pwned\\x07\\x1b[8m\\tb\\nc\\u202ed\\u2028e\\x7f [red]x[/red]\n"
                   "h1,h2\r\nv\\x1b[2J,w\\rx\n\tindented\\x85\n")
    assert terminal.shown_markup("[red]x\x1b") == "\\[red]x\\x1b"


def test_every_print_of_the_command_line_goes_through_the_terminal_helper() -> None:
    """typer.echo, print, sys.stdout/stderr writes and rich's console.print appear only in
    casework/cli/terminal.py, so a new command cannot print data raw."""
    raw = []
    for path in sorted(CLI_DIR.glob("*.py")):
        if path.name == "terminal.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                writes = called.startswith(("sys.stdout", "sys.stderr")) and called.endswith("write")
                if called in ("typer.echo", "typer.secho", "print") or writes or called.endswith(
                        "console.print"):
                    raw.append(f"{path.name}:{node.lineno}: {called}")
    assert not raw, raw
