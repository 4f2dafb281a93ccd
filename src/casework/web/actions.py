"""Which buttons a page shows: the actions the record's lifecycle allows in its current state
(``allowed_actions``) that the signed-in user's role may take (the command's ``permitted``).
The command is still checked when it runs; this only keeps pages from offering what would be
refused."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from casework.domain.actors import Actor, Role


def may(actor: Actor | None, command_type: type) -> bool:
    """True when ``actor``'s role is one the command permits."""
    permitted: Collection[Role] = getattr(command_type, "permitted", frozenset())
    return actor is not None and actor.role in permitted


def offered(
    actor: Actor | None, allowed: Iterable[str], commands: Mapping[str, type]
) -> list[str]:
    """The allowed actions ``actor`` may take, in the order ``commands`` lists them."""
    allowed = {str(a) for a in allowed}
    return [name for name, command in commands.items() if name in allowed and may(actor, command)]
