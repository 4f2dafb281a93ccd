"""Fixtures for the security tests: the app over HTTP on both backends, a user per role, the web
sign-in, the CLI in-process on the same store, and every log line captured at DEBUG."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from casework.api.app import create_app
from casework.bootstrap import Casework, bootstrap
from casework.cli.main import app as cli_app
from casework.clock import FixedClock
from casework.domain.actors import Actor, Role
from casework.logs import configure_logging
from casework.settings import Settings

ADMIN = Actor("test-admin", Role.admin)


class Logs:
    """Every structlog event and stdlib log record, as text, at DEBUG (JSON lines)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.handler = logging.StreamHandler(self.buffer)
        self.handler.setLevel(logging.DEBUG)
        # The test's own HTTP client (httpx) logs the URLs it asks for: not Casework's logs.
        self.handler.addFilter(lambda record: record.name.split(".")[0] not in ("httpx", "httpcore"))
        self.extra: list[str] = []  # what CLI commands printed, and their logs

    def start(self) -> None:
        configure_logging("DEBUG", json=True, stream=self.buffer)

    @property
    def text(self) -> str:
        return self.buffer.getvalue() + "\n".join(self.extra)

    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]


@pytest.fixture
def logs() -> Iterator[Logs]:
    captured = Logs()
    root = logging.getLogger()
    before = root.level
    root.addHandler(captured.handler)
    root.setLevel(logging.DEBUG)
    captured.start()
    yield captured
    root.removeHandler(captured.handler)
    root.setLevel(before)
    structlog.reset_defaults()


@pytest.fixture
def client(casework: Casework, logs: Logs) -> Iterator[TestClient]:
    with TestClient(create_app(casework), base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        yield c


@dataclass
class Http:
    """The API as each role sees it, and the web pages."""

    client: TestClient
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, role: str, path: str, **kw) -> object:
        return self.client.get(f"/api/v1{path}", headers=self.headers(role), **kw)

    def post(self, role: str, path: str, body: dict, **kw) -> object:
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers(role), **kw)

    def created(self, role: str, path: str, body: dict) -> str:
        answer = self.post(role, path, body)
        assert answer.status_code in (200, 201), f"{path}: {answer.status_code} {answer.text}"
        return answer.json()["id"]

    def sign_in(self, role: str) -> str:
        """Sign the web client in as ``role``; returns the session's CSRF token."""
        csrf = csrf_of(self.client.get("/signin").text)
        answer = self.client.post("/signin", data={"token": self.tokens[role], "csrf_token": csrf},
                                  follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return csrf_of(self.client.get("/inbox").text)


@pytest.fixture
def http(client: TestClient, tokens: dict[str, str]) -> Http:
    return Http(client, tokens)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@dataclass
class Cli:
    """``casework ...`` in-process on the test's store (CASEWORK_DATABASE_URL), logs at DEBUG."""

    logs: Logs

    def __call__(self, *args: str) -> object:
        result = CliRunner().invoke(cli_app, list(args))
        self.logs.extra.append(result.output)
        self.logs.start()  # the command pointed the logs at CliRunner's stream
        return result


@pytest.fixture
def cli(settings, logs: Logs, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("CASEWORK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CASEWORK_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("CASEWORK_SCHEDULER_ENABLED", "false")
    return Cli(logs)


@pytest.fixture
def site(tmp_path: Path, signing_key_file: Path) -> Iterator[tuple[Casework, Http]]:
    """The app on a fresh SQLite store (the web pages' checks do not depend on the backend)."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", scheduler_enabled=False,
                        sqlite_synchronous="OFF", signing_key_file=str(signing_key_file))
    cw = bootstrap(settings, clock=FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    tokens = {role.value: cw.users.add(role.value, role, ADMIN).token for role in Role}
    with TestClient(create_app(cw), base_url="http://127.0.0.1") as client:
        yield cw, Http(client, tokens)
    cw.close()
