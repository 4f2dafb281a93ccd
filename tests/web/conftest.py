"""Fixtures for the web interface's tests.

- ``web`` (per test): the app on a fresh SQLite store with a fixed clock, a TestClient, and users
  of each role; for plain HTTP tests of CSRF, headers and role-dependent buttons.
- ``live`` (per session): the same app served by uvicorn in a background thread on a free
  loopback port, for the browser; ``browser`` drives headless Chromium through Playwright.

The browser is Debian's Chromium (``apt-get install chromium``) or the one named by
``CASEWORK_TEST_BROWSER``. Without one the browser tests are skipped, saying how to run them; in
CI (``CI=true``) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.bootstrap import Casework, bootstrap
from casework.clock import FixedClock
from casework.domain.actors import SYSTEM
from casework.settings import Settings

from .support import csrf_of

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BROWSER_HOWTO = (
    "browser tests skipped: no Chromium found. Install it with `apt-get install -y chromium` "
    "(then /usr/bin/chromium is used) or set CASEWORK_TEST_BROWSER=/path/to/chromium, and run "
    "`.venv/bin/pytest -m browser tests/web` again"
)
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The store's clock stands still at Monday 2 March 2026, 09:00 UTC, as in the rest of the suite.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ROLES = {"olive": "officer", "manny": "manager", "audrey": "auditor", "adam": "admin"}


@dataclass
class Users:
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, name: str) -> str:
        return self.tokens[name]


def add_users(cw: Casework) -> Users:
    users = Users()
    for name, role in ROLES.items():
        users.tokens[name] = cw.users.add(name, role, by=SYSTEM).token
    return users


# ----------------------------------------------------------------------------- TestClient
@dataclass
class Web:
    cw: Casework
    client: TestClient
    users: Users
    clock: FixedClock

    def sign_in(self, name: str) -> str:
        """Sign in as ``name``; returns the session's CSRF token."""
        csrf = csrf_of(self.client.get("/signin").text)
        answer = self.client.post(
            "/signin", data={"token": self.users.token(name), "csrf_token": csrf}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
        return csrf_of(self.client.get("/inbox").text)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    clock = FixedClock(START)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", scheduler_enabled=False)
    cw = bootstrap(settings, clock=clock)
    users = add_users(cw)
    with TestClient(create_app(cw), base_url="http://127.0.0.1") as client:
        yield Web(cw, client, users, clock)
    cw.close()


# ----------------------------------------------------------------------------- the browser
@dataclass
class Live:
    url: str
    cw: Casework
    users: Users
    clock: FixedClock


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def browser_executable() -> str:
    wanted = os.environ.get("CASEWORK_TEST_BROWSER") or "/usr/bin/chromium"
    found = wanted if os.path.exists(wanted) else shutil.which(wanted)
    if not found:
        if IN_CI:
            pytest.fail(f"CI=true and no browser at {wanted!r}: {BROWSER_HOWTO}", pytrace=False)
        pytest.skip(BROWSER_HOWTO)
    return found


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, browser_executable: str) -> Iterator[Live]:
    """The app served over HTTP on a free loopback port, on a temporary SQLite store."""
    import uvicorn

    clock = FixedClock(START)
    path = tmp_path_factory.mktemp("live") / "casework.db"
    cw = bootstrap(Settings(database_url=f"sqlite:///{path}", scheduler_enabled=False), clock=clock)
    users = add_users(cw)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(cw), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="casework-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start", pytrace=False)
        time.sleep(0.02)
    yield Live(f"http://127.0.0.1:{port}", cw, users, clock)
    server.should_exit = True
    thread.join(timeout=10)
    cw.close()


@pytest.fixture(scope="session")
def browser(browser_executable: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=browser_executable, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live: Live) -> Iterator[object]:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live.url)
    context.set_default_timeout(5000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("dialog", lambda dialog: dialog.accept())
    yield tab
    context.close()
    assert not errors, f"the page reported errors: {errors}"
