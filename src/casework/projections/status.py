"""Where each projection stands: what ``ProjectionRunner.status()`` reports, how far behind the
log each is (``Lag``, for monitoring), and what one process remembers between passes
(``Standing``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from casework.projections import checkpoints, feed
from casework.projections.base import Projection


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    version: int
    position: int
    head: int
    halted: str | None

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


@dataclass(frozen=True)
class Lag:
    """How far one read model is behind the log: ``events`` between its checkpoint and the head
    (events it need not fold count too: its checkpoint has not passed them yet), and
    ``seconds`` since the oldest of them was recorded (0 at the head). A lag of seconds means
    the read model has not moved for that long while there was something to read: unlike "time
    since the checkpoint last moved", it is 0 on a quiet system and grows from the first event
    left waiting."""

    name: str
    position: int
    head: int
    events: int
    seconds: float
    halted: bool


def lags(conn: Connection, found: list[ProjectionStatus], now: datetime) -> list[Lag]:
    """Each status's ``Lag`` at ``now``: one indexed read per distinct position behind the head,
    never a scan of the log."""
    oldest: dict[int, datetime | None] = {}
    for s in found:
        if s.lag and s.position not in oldest:
            oldest[s.position] = feed.recorded_after(conn, s.position)
    out = []
    for s in found:
        first = oldest.get(s.position) if s.lag else None
        seconds = max((now - first).total_seconds(), 0.0) if first is not None else 0.0
        out.append(Lag(s.name, s.position, s.head, s.lag, seconds, s.halted is not None))
    return out


class Standing:
    """What this process knows of its projections between passes.

    ``halted``: why each halted projection stopped; this process leaves it alone until
    ``rebuild`` or ``resume``. ``reached``: a position each projection is known to have reached
    in the database (a lower bound: checkpoints only move forward), so an append already covered
    needs no pass."""

    def __init__(self) -> None:
        self.halted: dict[str, str] = {}
        self.reached: dict[str, int] = {}

    def behind(self, name: str, position: int) -> bool:
        """Not halted, and not known to have reached ``position``."""
        return name not in self.halted and self.reached.get(name, -1) < position

    def all_reached(self, projections: Iterable[Projection], position: int) -> bool:
        """Every projection not halted is known to have reached ``position``."""
        return not any(self.behind(p.name, position) for p in projections)

    def note_reached(self, by_name: Mapping[str, int]) -> None:
        for name, position in by_name.items():
            if position > self.reached.get(name, -1):
                self.reached[name] = position


def statuses(conn: Connection, projections: list[Projection], standing: Standing) -> list[ProjectionStatus]:
    """Each projection's checkpoint against the head of the log (position 0 for a checkpoint of
    another version), halted by this process or, as its checkpoint row says, by another."""
    head = feed.head(conn)
    marks = checkpoints.read_all(conn)
    out = []
    for p in projections:
        cp = marks.get(p.name)
        out.append(
            ProjectionStatus(
                name=p.name,
                version=p.version,
                position=cp.position if cp and cp.version == p.version else 0,
                head=head,
                halted=standing.halted.get(p.name) or (cp.halted if cp else None),
            )
        )
    return out


__all__ = ["Lag", "ProjectionStatus", "Standing", "lags", "statuses"]
