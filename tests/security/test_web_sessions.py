"""Web sessions across server processes: a cookie signed by one app instance is accepted by
another with the same ``settings.session_secret`` (a restart, or a second server process) and
refused by one with another secret, or with none (a random key per process)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from casework.api.app import create_app
from casework.bootstrap import bootstrap
from casework.domain.actors import Role
from casework.settings import Settings
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
