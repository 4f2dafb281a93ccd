"""The domain's ``Lifecycle`` table, plus what escalation needs: actions with several possible
destinations (escalate to a chosen stage, lift to monitoring or one stage down)."""

from __future__ import annotations

from casework.domain.errors import NotAllowed
from casework.domain.lifecycle import Lifecycle, Row

__all__ = ["Row", "WorkflowLifecycle"]


class WorkflowLifecycle(Lifecycle):
    def destinations(self, state: str, action: str) -> list[str]:
        """Every state ``action`` may lead to from ``state``, in table order."""
        return [t.dest for t in self._machine.get_transitions(trigger=action, source=str(state))]

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
