"""The read models one runner drives, by name. ``casework.bootstrap.read_models`` builds the one a
process uses, listing every projection explicitly; tests build their own. There is no
process-wide registry: two containers in one process never share a projection."""

from __future__ import annotations

import threading

from casework.projections.base import Projection


class Registry:
    """Projections by name, in registration order."""

    def __init__(self) -> None:
        self._by_name: dict[str, Projection] = {}
        self._lock = threading.Lock()

    def register(self, projection: Projection) -> Projection:
        """Add ``projection``. Registering a name again replaces the earlier one."""
        with self._lock:
            self._by_name[projection.name] = projection
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
