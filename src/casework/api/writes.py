"""How a write route hands its command to the Application and turns the result into an answer.

Routes stay thin: parse the body into a command, call ``write``, return what it returns.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from casework.api.auth import writer
from casework.api.idempotency import Idempotency, idempotency
from casework.api.schemas.common import WriteResult
from casework.application.bus import CommandResult
from casework.bootstrap import Casework
from casework.domain.actors import Actor


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

    def execute(self, command: Any, expected_version: int | None = None) -> CommandResult:
        """Run ``command`` for the caller; the Idempotency-Key becomes the command id."""
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
