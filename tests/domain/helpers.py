"""Pure-domain test helpers: a fixed instant, a context with an in-memory vault and the bundled
frameworks, and folding events into a state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from casework.domain.actors import Actor, Role
from casework.domain.aggregate import Aggregate, Context
from casework.domain.frameworks import FrameworkRegistry
from casework.domain.personal_data import InMemoryKeyStore, PersonVault

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AMY = Actor("amy", Role.officer)
FRAMEWORKS = FrameworkRegistry.load()


def context(
    known: dict[tuple[str, str], Any] | None = None,
    vault: PersonVault | None = None,
    occurred_at: datetime = NOW,
) -> Context:
    known = known or {}
    vault = vault or PersonVault(InMemoryKeyStore())
    return Context(
        actor=AMY,
        now=NOW,
        occurred_at=occurred_at,
        lookup=lambda prefix, ident: known.get((prefix, ident)),
        seal=vault.seal,
        frameworks=FRAMEWORKS,
    )


def run(aggregate: Aggregate, ident: str, commands: list, ctx: Context | None = None) -> Any:
    """Decide and evolve each command in turn; the final state."""
    ctx = ctx or context()
    state = aggregate.initial(ident)
    for command in commands:
        state = aggregate.fold(ident, aggregate.run_decide(state, command, ctx), state)
    return state
