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
from contextlib import contextmanager
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


@contextmanager
def serving(cw: Casework) -> Iterator[str]:
    """Serve ``create_app(cw)`` with uvicorn in a background thread; yields its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(cw), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name=f"casework-live-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start", pytrace=False)
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _live_casework(directory: Path, clock: FixedClock) -> Casework:
    settings = Settings(
        database_url=f"sqlite:///{directory / 'casework.db'}",
        scheduler_enabled=False,
        sqlite_synchronous="OFF",  # a throwaway store: speed over durability
    )
    return bootstrap(settings, clock=clock)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, browser_executable: str) -> Iterator[Live]:
    """The app served over HTTP on a free loopback port, on a temporary SQLite store."""
    clock = FixedClock(START)
    cw = _live_casework(tmp_path_factory.mktemp("live"), clock)
    users = add_users(cw)
    with serving(cw) as url:
        yield Live(url, cw, users, clock)
    cw.close()


@pytest.fixture(scope="session")
def demo_live(tmp_path_factory: pytest.TempPathFactory, browser_executable: str) -> Iterator[Live]:
    """Another live server whose store holds the default demonstration scenario (Leicester
    2018/19), as ``casework demo`` loads it."""
    from casework.demo import load_scenario

    clock = FixedClock(START)
    cw = _live_casework(tmp_path_factory.mktemp("demo"), clock)
    users = add_users(cw)
    load_scenario(cw)
    with serving(cw) as url:
        yield Live(url, cw, users, clock)
    cw.close()


@pytest.fixture(scope="session")
def browser(browser_executable: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=browser_executable, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def open_tab(browser, base_url: str):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=base_url,
        locale="en-GB", timezone_id="Europe/London",
    )
    context.set_default_timeout(5000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    # Refusals (409, 422) are answers the pages show; a missing file or a server error is a bug.
    tab.on("console", lambda msg: errors.append(msg.text)
           if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    tab.on("response", lambda r: errors.append(f"{r.status} {r.url}")
           if r.status == 404 or r.status >= 500 else None)
    tab.on("dialog", lambda dialog: dialog.accept())
    return context, tab, errors


@pytest.fixture
def page(browser, live: Live) -> Iterator[object]:
    """A browser tab on the live server; fails the test if the page logs a script error."""
    context, tab, errors = open_tab(browser, live.url)
    yield tab
    context.close()
    assert not errors, f"the page reported errors: {errors}"


@pytest.fixture
def demo_page(browser, demo_live: Live) -> Iterator[object]:
    context, tab, errors = open_tab(browser, demo_live.url)
    yield tab
    context.close()
    assert not errors, f"the page reported errors: {errors}"


@pytest.fixture
def web_on_both(casework: Casework, clock: FixedClock) -> Iterator[Web]:
    """As ``web``, on each backend (the root ``casework`` fixture): for what PostgreSQL stores
    differently (text a read-model column cannot hold). A server error is an answer (500), not a
    raised exception, so that a test can report every route that gave one."""
    users = add_users(casework)
    with TestClient(create_app(casework), base_url="http://127.0.0.1",
                    raise_server_exceptions=False) as client:
        yield Web(casework, client, users, clock)
