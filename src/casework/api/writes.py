"""How a write route hands its command to the Application and turns the result into an answer.

Routes stay thin: name the commands they run (``@runs``), parse the body into a command, call
``write``, return what it returns. Write routers use ``route_class=WriteRoute``, which refuses
a caller whose role none of those commands permits (403) before the body is read, so that a
refused request learns nothing about the body the route expects, whatever it sent.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Depends, Request, Response

from casework.api.auth import authenticate, writer
from casework.api.idempotency import Idempotency, IdempotentRoute, idempotency
from casework.api.schemas.common import WriteResult
from casework.application.bus import CommandResult
from casework.bootstrap import Casework
from casework.domain.actors import Actor, Role
from casework.domain.aggregate import Command
from casework.domain.errors import Forbidden

E = TypeVar("E", bound=Callable[..., Any])
READ_METHODS = frozenset({"GET", "HEAD"})
_PERMISSION = "__casework_permission__"


@dataclass(frozen=True)
class Permission:
    """Who may call a write route: ``roles``; ``action`` in words for the 403's detail;
    ``commands``, when the roles come from commands, the only ones the route may run."""

    roles: frozenset[Role]
    action: str
    commands: tuple[type[Command], ...] = ()

    @classmethod
    def of(cls, commands: Iterable[type[Command]]) -> Permission:
        commands = tuple(commands)
        roles = frozenset(role for c in commands for role in c.permitted)
        verbs = [c.describe() for c in commands]
        action = verbs[0] if len(verbs) == 1 else f"{', '.join(verbs[:-1])} or {verbs[-1]}"
        return cls(roles, action, commands)

    def check(self, actor: Actor) -> None:
        if actor.role not in self.roles:
            raise Forbidden(actor.role.value, self.action)


def runs(*commands: type[Command]) -> Callable[[E], E]:
    """Declare the commands a write route runs: callers whose role none of them permits get 403
    before the body is read, and the route may run no other command."""
    if not commands:
        raise TypeError("runs() needs at least one command class")
    return permits(Permission.of(commands))


def permits(permission: Permission) -> Callable[[E], E]:
    """Declare who may call a write route that runs no command (``runs`` for those that do)."""

    def declare(endpoint: E) -> E:
        setattr(endpoint, _PERMISSION, permission)
        return endpoint

    return declare


class WriteRoute(IdempotentRoute):
    """Route class of the write routers: idempotent, and every route that is not a read declares
    who may call it (``@runs`` or ``@permits``; the app refuses to start otherwise). The caller
    is authenticated (401) and their role checked (403) before FastAPI reads and validates the
    body, which it would otherwise do first (422)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        # Set before APIRoute.__init__, which builds the handler (get_route_handler) itself.
        self.permission: Permission | None = getattr(endpoint, _PERMISSION, None)
        super().__init__(path, endpoint, **kwargs)
        methods = self.methods or set()
        if self.permission is None and not methods <= READ_METHODS:
            raise TypeError(
                f"{sorted(methods)} {path}: declare who may call it with @runs(Command, ...) "
                "or @permits(Permission(...))"
            )
        if self.permission is not None:
            roles = ", ".join(sorted(r.value for r in self.permission.roles)) or "nobody"
            who = f"Roles that may call it: {roles}."
            self.description = f"{self.description}\n\n{who}" if self.description else who

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        permission = self.permission
        if permission is None:
            return handler

        async def guarded(request: Request) -> Response:
            permission.check(await authenticate(request))
            return await handler(request)

        return guarded


class WriteContext:
    """Everything a write route needs besides its body: who, which key, which system."""

    def __init__(
        self,
        request: Request,
        actor: Actor = Depends(writer),
        idem: Idempotency = Depends(idempotency),
    ) -> None:
        self.casework: Casework = request.app.state.casework
        self.actor = actor
        self.idem = idem
        self.permission: Permission | None = getattr(request.scope.get("route"), "permission", None)

    def execute(self, command: Any, expected_version: int | None = None) -> CommandResult:
        """Run ``command`` for the caller; the Idempotency-Key becomes the command id."""
        if self.permission is not None and type(command) not in self.permission.commands:
            # the route's @runs no longer names what it runs: its role check would be wrong
            raise RuntimeError(f"{type(command).__name__} is not among the route's @runs commands")
        return self.casework.application.execute(
            command, self.actor, command_id=self.idem.command_id, expected_version=expected_version
        )

    def write(self, command: Any, expected_version: int | None = None) -> WriteResult:
        return self.answer(self.execute(command, expected_version))

    def answer(self, result: CommandResult) -> WriteResult:
        """The record as the command left it (folded to that version, so a replay answers alike)."""
        app = self.casework.application
        aggregate = app.aggregate(result.stream.removesuffix(f"-{result.aggregate_id}"))
        own = [e for e in result.events if e.stream == result.stream]
        if own and own[0].version == 1 and own[-1].version == result.version:
            stored = own  # the command created the record: its whole stream is in hand
        else:
            stored = self.casework.store.read_stream(result.stream, to_version=result.version)
        state = aggregate.fold(result.aggregate_id, (e.event for e in stored))
        current = aggregate.state_of(state) if aggregate.state_of else None
        return WriteResult(
            id=result.aggregate_id,
            state=str(current) if current is not None else None,
            version=result.version,
            events=[e.type for e in result.events if e.stream == result.stream],
            allowed_actions=sorted(aggregate.allowed_actions(state)) if aggregate.lifecycle else None,
        )
