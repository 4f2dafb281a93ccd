"""HTTP tests drive the API through FastAPI's TestClient over ``create_app(casework)``, on both
backends. ``tokens`` holds one user per role; ``as_role(role)`` gives their auth header."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.bootstrap import Casework
from casework.domain.actors import Actor, Role

ADMIN = Actor("test-admin", Role.admin)


@pytest.fixture
def client(casework: Casework) -> Iterator[TestClient]:
    with TestClient(create_app(casework), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def admin_actor() -> Actor:
    return ADMIN

