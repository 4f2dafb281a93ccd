"""Web sessions end when they should: at sign-out (at once, in every server process), after the
idle and absolute timeouts (moved by a FixedClock, never by sleeping), and when the user is
revoked. A cookie signed by one app instance is accepted by another with the same
``settings.session_secret`` (a restart, or a second server process) and refused by one with
another secret, or with none (a random key per process)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from casework.api.app import create_app
from casework.bootstrap import Casework, bootstrap
from casework.clock import FixedClock
from casework.domain.actors import Actor, Role
from casework.domain.providers import RegisterProvider
from casework.settings import Settings
from casework.users import web_sessions
from casework.web.session import COOKIE_NAME

from .conftest import ADMIN, csrf_of

SECRET = "correct horse battery staple, 32+ chars"
OTHER = "another secret of at least thirty-two characters"


@contextmanager
def instance(db: Path, secret: str | None) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{db}", scheduler_enabled=False, session_secret=secret)
    cw = bootstrap(settings)
    try:
        with TestClient(create_app(cw), base_url="http://127.0.0.1") as client:
            yield client
    finally:
        cw.close()


def signed_in_cookie(client: TestClient, token: str) -> str:
    csrf = csrf_of(client.get("/signin").text)
    answer = client.post("/signin", data={"token": token, "csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get("/inbox", follow_redirects=False).status_code == 200
    return client.cookies[COOKIE_NAME]


def inbox_with(client: TestClient, cookie: str) -> int:
    client.cookies.set(COOKIE_NAME, cookie)
    return client.get("/inbox", follow_redirects=False).status_code


def test_a_session_survives_a_restart_with_the_same_secret_and_no_other(tmp_path: Path) -> None:
    db = tmp_path / "casework.db"
    with instance(db, SECRET) as first:
        token = first.app.state.casework.users.add("olive", Role.officer, ADMIN).token
        cookie = signed_in_cookie(first, token)
    with instance(db, SECRET) as restarted:
        assert inbox_with(restarted, cookie) == 200
    with instance(db, OTHER) as other:
        assert inbox_with(other, cookie) == 303
    with instance(db, None) as unset:
        assert inbox_with(unset, cookie) == 303


def test_without_a_secret_each_process_signs_its_own_sessions(tmp_path: Path) -> None:
    db = tmp_path / "casework.db"
    with instance(db, None) as first, instance(db, None) as second:
        token = first.app.state.casework.users.add("olive", Role.officer, ADMIN).token
        cookie = signed_in_cookie(first, token)
        assert inbox_with(second, cookie) == 303


def test_a_short_session_secret_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="session_secret"):
        Settings(session_secret="too short")


# ----------------------------------------------------------------------------- signing out, timeouts
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MANAGER = Actor("manager", Role.manager)


@dataclass
class Server:
    """One server process on the shared store, with a client of its own (a browser)."""

    cw: Casework
    client: TestClient
    tokens: dict[str, str]

    def sign_in(self, name: str) -> tuple[str, str]:
        """Sign in with ``name``'s token; returns the session cookie and its CSRF token."""
        csrf = csrf_of(self.client.get("/signin").text)
        answer = self.client.post("/signin", data={"token": self.tokens[name], "csrf_token": csrf},
                                  follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return self.client.cookies[COOKIE_NAME], csrf_of(self.client.get("/inbox").text)

    def with_cookie(self, cookie: str) -> Server:
        self.client.cookies.set(COOKIE_NAME, cookie)
        return self

    def inbox(self) -> int:
        return self.client.get("/inbox", follow_redirects=False).status_code


@dataclass
class Deployment:
    """A store with a user per role, that any number of server processes share, and its clock."""

    database_url: str
    clock: FixedClock
    tokens: dict[str, str]

    @contextmanager
    def server(self, **settings: Any) -> Iterator[Server]:
        values = {"scheduler_enabled": False, "session_secret": SECRET, **settings}
        cw = bootstrap(Settings(database_url=self.database_url, **values), clock=self.clock)
        try:
            with TestClient(create_app(cw), base_url="http://127.0.0.1") as client:
                yield Server(cw, client, self.tokens)
        finally:
            cw.close()


@pytest.fixture
def deployment(database_url: str) -> Iterator[Deployment]:
    clock = FixedClock(START)
    cw = bootstrap(Settings(database_url=database_url, scheduler_enabled=False), clock=clock)
    try:
        tokens = {role.value: cw.users.add(role.value, role, ADMIN).token for role in Role}
    finally:
        cw.close()
    yield Deployment(database_url, clock, tokens)


def test_a_cookie_saved_before_signing_out_can_neither_read_nor_write(deployment: Deployment) -> None:
    with deployment.server() as web:
        provider = web.cw.application.execute(
            RegisterProvider(name="Elm Court", service_type="home_care"), MANAGER).aggregate_id
        saved, csrf = web.sign_in("officer")
        signed_out = web.client.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
        assert signed_out.status_code == 303
        before = web.cw.store.head_position()

        web.with_cookie(saved)
        page = web.client.get("/inbox", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/signin")
        concern = web.with_cookie(saved).client.post(
            f"/providers/{provider}/safeguarding",
            data={"csrf_token": csrf, "category": "neglect", "summary": "Bruising not recorded"},
            follow_redirects=False,
        )
        assert concern.status_code == 401
        assert web.cw.store.head_position() == before  # no concern was raised


def test_signing_out_in_one_server_process_ends_the_session_in_every_other(deployment: Deployment) -> None:
    with deployment.server() as first, deployment.server() as second:
        cookie, csrf = first.sign_in("officer")
        assert second.with_cookie(cookie).inbox() == 200
        first.client.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
        assert second.with_cookie(cookie).inbox() == 303


def test_a_session_ends_after_30_idle_minutes_and_activity_keeps_it_alive(deployment: Deployment) -> None:
    with deployment.server() as web:
        web.sign_in("officer")
        for _ in range(3):  # a page every 29 minutes: an hour and a half of work
            deployment.clock.advance(timedelta(minutes=29))
            assert web.inbox() == 200
        deployment.clock.advance(timedelta(minutes=30, seconds=1))
        assert web.inbox() == 303
        deployment.clock.advance(timedelta(minutes=-10))  # and it stays ended
        assert web.inbox() == 303


def test_a_session_ends_10_hours_after_signing_in_however_busy(deployment: Deployment) -> None:
    with deployment.server() as web:
        web.sign_in("officer")
        for _ in range(29):  # a page every 20 minutes for 9 hours 40 minutes
            deployment.clock.advance(timedelta(minutes=20))
            assert web.inbox() == 200
        deployment.clock.advance(timedelta(minutes=19))
        assert web.inbox() == 200
        deployment.clock.advance(timedelta(minutes=1, seconds=1))
        assert web.inbox() == 303


def test_the_timeouts_come_from_the_settings(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEWORK_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("CASEWORK_SESSION_MAX_HOURS", "1")
    assert (Settings().session_idle_minutes, Settings().session_max_hours) == (5, 1)
    with deployment.server(session_idle_minutes=5, session_max_hours=1) as web:
        web.sign_in("officer")
        deployment.clock.advance(timedelta(minutes=5, seconds=1))
        assert web.inbox() == 303
        web.sign_in("officer")
        for _ in range(14):
            deployment.clock.advance(timedelta(minutes=4))
            assert web.inbox() == 200
        deployment.clock.advance(timedelta(minutes=4, seconds=1))
        assert web.inbox() == 303  # 60 minutes and 1 second after signing in


def test_revoking_a_user_ends_their_web_sessions_and_nobody_elses(deployment: Deployment) -> None:
    with deployment.server() as officer, deployment.server() as manager:
        officer.sign_in("officer")
        manager.sign_in("manager")
        officer.cw.users.revoke("officer", ADMIN)
        assert officer.inbox() == 303 and manager.inbox() == 200
        with officer.cw.engine.connect() as conn:
            ended = dict(conn.execute(select(web_sessions.c.user_name, web_sessions.c.ended_at)).all())
        assert ended["officer"] is not None and ended["manager"] is None


def test_the_store_keeps_only_a_hash_of_the_session_id(deployment: Deployment) -> None:
    with deployment.server() as web:
        cookie, _ = web.sign_in("officer")
        session_id = web.client.app.state.web_session_codec.loads(cookie, START)["s"]
        with web.cw.engine.connect() as conn:
            rows = [tuple(map(str, row)) for row in conn.execute(select(web_sessions)).all()]
        assert len(rows) == 1 and hashlib.sha256(session_id.encode()).hexdigest() in rows[0]
        assert not any(session_id in value for value in rows[0])


def test_a_session_is_touched_at_most_once_a_minute(deployment: Deployment) -> None:
    with deployment.server() as web:
        web.sign_in("officer")

        def last_seen() -> datetime:
            with web.cw.engine.connect() as conn:
                seen = conn.execute(select(web_sessions.c.last_seen_at)).scalar_one()
            return seen.replace(tzinfo=UTC) if seen.tzinfo is None else seen

        for _ in range(5):  # five pages in 50 seconds: no write
            deployment.clock.advance(timedelta(seconds=10))
            assert web.inbox() == 200
        assert last_seen() == START
        deployment.clock.advance(timedelta(seconds=10))
        assert web.inbox() == 200
        assert last_seen() == START + timedelta(seconds=60)


def test_signing_in_again_ends_the_session_it_replaces(deployment: Deployment) -> None:
    with deployment.server() as web:
        first, csrf = web.sign_in("officer")
        again = web.client.post("/signin", data={"token": web.tokens["manager"],
                                                 "csrf_token": csrf}, follow_redirects=False)
        assert again.status_code == 303
        assert web.inbox() == 200
        assert web.with_cookie(first).inbox() == 303
