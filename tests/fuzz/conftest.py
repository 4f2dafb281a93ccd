"""Fixtures for the fuzzing tests (on both backends, through ``casework``): a token per role.
``records.make_records`` adds one real record of each kind for the fuzzers to aim at."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from casework.bootstrap import Casework
from casework.domain.actors import Actor, Role

ADMIN = Actor("fuzz-admin", Role.admin)


@pytest.fixture
def tokens(casework: Casework) -> dict[str, str]:
    """A user per role, named after it: officer, manager, auditor, admin."""
    return {role.value: casework.users.add(role.value, role, ADMIN).token for role in Role}


@pytest.fixture
def as_role(tokens: dict[str, str]) -> Callable[[str], dict[str, str]]:
    def headers(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role]}"}

    return headers
