"""A lifecycle table driven by ``transitions``: defined once, it validates commands, lists the
allowed actions (for 409 details and for the buttons a page shows) and checks replayed events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from transitions import Machine

from casework.domain.errors import NotAllowed

# (action, source state or states, destination state)
Row = tuple[str, str | Sequence[str], str]


class Lifecycle:
    def __init__(self, kind: str, states: Iterable[str], rows: Iterable[Row], initial: str) -> None:
        self.kind = kind
        self.states = [str(s) for s in states]
        self._machine = Machine(
            model=None,
            states=self.states,
            initial=str(initial),
            auto_transitions=False,
            transitions=[
                {
                    "trigger": action,
                    "source": [str(s) for s in source] if not isinstance(source, str) else str(source),
                    "dest": str(dest),
                }
                for action, source, dest in rows
            ],
        )

    def allowed_actions(self, state: str) -> set[str]:
        """Every action allowed from ``state`` (empty for a final state)."""
        return set(self._machine.get_triggers(str(state)))

    def destinations(self, state: str, action: str) -> list[str]:
        """Where ``action`` may lead from ``state``, in table order."""
        return [t.dest for t in self._machine.get_transitions(trigger=action, source=str(state))]

    def is_final(self, state: str) -> bool:
        return not self.allowed_actions(state)

    def check(self, ident: str, state: str, action: str, dest: str | None = None, hint: str = "") -> str:
        """The destination of ``action`` from ``state`` (``dest`` when given and allowed), or raise
        ``NotAllowed`` naming the state and the allowed actions."""
        options = self.destinations(state, action)
        if not options or (dest is not None and str(dest) not in options):
            if options and dest is not None:
                where = f"from '{state}' it may go to {', '.join(options)}"
                hint = f"{hint}; {where}" if hint else where
                action = f"{action} to {dest}"
            raise NotAllowed(self.kind, ident, str(state), action, self.allowed_actions(state), hint)
        return str(dest) if dest is not None else options[0]
