"""Command validation under arbitrary input (pure, no database): for every command, any mapping
of its fields to JSON-like values either parses or is refused with ``InvalidInput`` naming fields
of that command (never another exception, so never a 500); text holding NUL is always refused,
naming where it is."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import casework.domain.commands
import casework.domain.escalation
import casework.domain.notices
import casework.domain.provider_failure  # noqa: F401
from casework.domain.aggregate import Command
from casework.domain.errors import InvalidInput


def _all_commands(base: type = Command) -> list[type[Command]]:
    found = []
    for sub in base.__subclasses__():
        if not sub.__name__.startswith("_"):
            found.append(sub)
        found += _all_commands(sub)
    return sorted(set(found), key=lambda c: c.__name__)


COMMANDS = _all_commands()
EDGE_TEXT = st.sampled_from([
    "", "   ", "'; DROP TABLE events;--", "<script>alert(1)</script>", "../../etc/passwd", "%s%n{0}",
    "\u202eevil", "😀" * 3, "x" * 20_001, "2026-03-02T09:00:00Z", "2026-03-02", "0001-01-01T00:00:00+14:00",
    "low", "manager", "visit", "red",
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True), st.text(max_size=30), EDGE_TEXT,
)
JSONISH = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=6)


def payloads(command: type[Command]) -> st.SearchStrategy[dict[str, Any]]:
    names = sorted(command.model_fields)
    return st.dictionaries(st.sampled_from(names + ["unknown_field"]), JSONISH, max_size=len(names) + 1)


def roots(field: str) -> str:
    return field.split(".")[0]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_input_parses_or_is_refused_naming_the_commands_own_fields(command, data) -> None:
    payload = data.draw(payloads(command))
    try:
        command.parse(payload)
    except InvalidInput as exc:
        known = set(command.model_fields) | {"unknown_field", "body"}
        assert {roots(f) for f, _ in exc.errors} <= known, exc.errors


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
@settings(max_examples=6, deadline=None, database=None)
@given(data=st.data())
def test_text_with_nul_anywhere_is_refused_naming_where(command, data) -> None:
    name = data.draw(st.sampled_from(sorted(command.model_fields)))
    nul = data.draw(st.sampled_from(["\x00", "a\x00b", ["ok", "\x00"], {"name": "x\x00"}]))
    with pytest.raises(InvalidInput) as refused:
        command.parse({name: nul})
    field, reason = refused.value.errors[0]
    assert field.startswith(name) and "NUL" in reason
