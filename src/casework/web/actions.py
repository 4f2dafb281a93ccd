"""Which buttons a page shows: the actions the record's lifecycle allows in its current state
(``allowed_actions``) that the signed-in user's role may take (the command's ``permitted``).
The command is still checked when it runs; this only keeps pages from offering what would be
refused; ``require`` refuses a role before a posted form's fields are checked, as the API does."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from casework.domain.actors import Actor, Role
from casework.domain.errors import Forbidden


def may(actor: Actor | None, command_type: type) -> bool:
    """True when ``actor``'s role is one the command permits."""
    permitted: Collection[Role] = getattr(command_type, "permitted", frozenset())
    return actor is not None and actor.role in permitted


def require(actor: Actor, command_type: type) -> None:
    """``Forbidden`` (403) unless ``actor`` may run the command: checked before the form's
    fields, so that a refused role is told so rather than what the form should have held."""
    if not may(actor, command_type):
        describe = getattr(command_type, "describe", None)
        raise Forbidden(actor.role.value, describe() if describe else command_type.__name__)


def offered(
    actor: Actor | None, allowed: Iterable[str], commands: Mapping[str, type]
) -> list[str]:
    """The allowed actions ``actor`` may take, in the order ``commands`` lists them."""
    allowed = {str(a) for a in allowed}
    return [name for name, command in commands.items() if name in allowed and may(actor, command)]
