"""A lifecycle: one table of (action, from states, to state), driven by ``transitions``.

Defined once per aggregate, the same table validates commands (``check`` raises ``NotAllowed``
naming the state and the allowed actions), lists the allowed actions for 409 details and for the
buttons a page shows (``allowed_actions``), and replays events (``destination``)::

    RECORD = Lifecycle("intelligence record", IntelligenceState, [
        ("allocate", "logged", "allocated"),
        ("assess", ["allocated", "risk_assessed"], "risk_assessed"),
    ], initial="logged")
    RECORD.allowed_actions("logged")            # {"allocate"}
    RECORD.check("r-1", "logged", "assess")     # raises NotAllowed(... allowed: allocate)
"""

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
        self.initial = str(initial)
        self.rows = [
            (action, [str(source)] if isinstance(source, str) else [str(s) for s in source], str(dest))
            for action, source, dest in rows
        ]
        self._machine = Machine(
            model=None,
            states=self.states,
            initial=self.initial,
            auto_transitions=False,
            transitions=[
                {"trigger": action, "source": sources, "dest": dest}
                for action, sources, dest in self.rows
            ],
        )
        # (state, action) -> destination, built once: replay runs per event in every read
        # model, and asking the machine costs ~2.5 us where a dict lookup costs ~0.05 us.
        self._dests: dict[tuple[str, str], list[str]] = {}
        for action, sources, dest in self.rows:
            for source in sources:
                self._dests.setdefault((source, action), []).append(dest)
        self._dest = {key: dests[0] for key, dests in self._dests.items()}
        self.final_states = frozenset(self.states) - {source for source, _ in self._dests}

    @property
    def actions(self) -> set[str]:
        return {action for action, _, _ in self.rows}

    def allowed_actions(self, state: str) -> set[str]:
        """Every action allowed from ``state`` (empty for a final state)."""
        return set(self._machine.get_triggers(str(state)))

    def destination(self, state: str, action: str) -> str | None:
        """Where ``action`` leads from ``state``, or None when it is not allowed there."""
        return self._dest.get((str(state), action))

    def is_final(self, state: str) -> bool:
        """True when no action leads out of ``state`` (a closed concern, a verified item)."""
        return str(state) in self.final_states

    def check(self, ident: str, state: str, action: str, hint: str = "") -> str:
        """The state ``action`` leads to from ``state``; raises ``NotAllowed`` when not allowed."""
        dest = self.destination(state, action)
        if dest is None:
            raise NotAllowed(self.kind, ident, str(state), action, self.allowed_actions(state), hint)
        return dest

    def destinations(self, state: str, action: str) -> list[str]:
        """Every state ``action`` may lead to from ``state``, in table order (escalation's
        ``escalate`` may go to any later stage; ``lift`` to monitoring or one stage down)."""
        return list(self._dests.get((str(state), action), ()))

    def check_to(self, ident: str, state: str, action: str, dest: str, hint: str = "") -> str:
        """``dest`` when ``action`` may lead there from ``state``; else ``NotAllowed`` naming the
        state, the allowed actions and where this action could go."""
        options = self.destinations(state, action)
        if str(dest) in options:
            return str(dest)
        if options:
            where = f"from '{state}' it may go to {', '.join(options)}"
            hint = f"{hint}; {where}" if hint else where
        raise NotAllowed(
            self.kind, ident, str(state), f"{action} to {dest}", self.allowed_actions(state), hint
        )

    def replay(self, ident: str, state: str, action: str) -> str:
        """The state after a stored event. A stored event the table refuses means the history was
        written by other rules: say so loudly rather than guess."""
        dest = self._dest.get((str(state), action))
        if dest is None:
            raise ValueError(f"{self.kind} {ident}: stored '{action}' is not allowed from '{state}'")
        return dest

    def replay_to(self, ident: str, state: str, action: str, dest: str) -> str:
        """``dest``, for a stored event that names where it went (escalation's stages); a move
        the table does not allow is refused loudly, as ``replay`` does."""
        if str(dest) not in self._dests.get((str(state), action), ()):
            raise ValueError(
                f"{self.kind} {ident}: stored '{action}' to '{dest}' is not allowed from '{state}'"
            )
        return str(dest)

    def entered_by(self, action: str) -> str | None:
        """The state ``action`` leads to from every state it is allowed in, or None when that
        depends on where it starts (re-allocating a record keeps whatever state it is in)."""
        found = {dest for name, _, dest in self.rows if name == action}
        return found.pop() if len(found) == 1 else None
