"""The read models one runner drives, by name. ``casework.bootstrap.read_models`` builds the one a
process uses, listing every projection explicitly; tests build their own. There is no
process-wide registry: two containers in one process never share a projection."""

from __future__ import annotations

import threading
from typing import TypeVar

from casework.projections.base import Projection

P = TypeVar("P")


class Registry:
    """Projections by name, in registration order."""

    def __init__(self) -> None:
        self._by_name: dict[str, Projection] = {}
        self._lock = threading.Lock()

    def register(self, projection: P) -> P:
        """Add ``projection`` (an instance; a class is instantiated). Re-registering a name
        replaces the earlier one, so repeated bootstraps in one process stay idempotent."""
        instance = projection() if isinstance(projection, type) else projection
        with self._lock:
            self._by_name[instance.name] = instance  # type: ignore[attr-defined]
        return projection

    def unregister(self, name: str) -> None:
        with self._lock:
            self._by_name.pop(name, None)

    def get(self, name: str) -> Projection:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(sorted(self._by_name)) or "none"
            raise KeyError(f"no projection named {name!r} (registered: {known})") from None

    def all(self) -> list[Projection]:
        with self._lock:
            return list(self._by_name.values())

    def names(self) -> list[str]:
        return [p.name for p in self.all()]


__all__ = ["Registry"]
