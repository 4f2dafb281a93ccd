"""Fixtures for the fuzzing tests: an API client over ``create_app(casework)`` on both backends,
a token per role, and a small set of real records whose ids the fuzzers put into paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.bootstrap import Casework
from casework.domain.actors import Actor, Role

ADMIN = Actor("fuzz-admin", Role.admin)


@pytest.fixture
def client(casework: Casework) -> Iterator[TestClient]:
    with TestClient(create_app(casework), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def tokens(casework: Casework) -> dict[str, str]:
    """A user per role, named after it: officer, manager, auditor, admin."""
    return {role.value: casework.users.add(role.value, role, ADMIN).token for role in Role}


@pytest.fixture
def as_role(tokens: dict[str, str]) -> Callable[[str], dict[str, str]]:
    def headers(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role]}"}

    return headers


def is_postgres(casework: Casework) -> bool:
    return casework.engine.dialect.name == "postgresql"
