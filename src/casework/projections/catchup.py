"""Catching projections up with the log: each page applied and its checkpoint moved in one
transaction, so a crash anywhere before the commit leaves both unmoved.

Two ways, one promise:
- ``CatchUp.run``, the general path: passes of one page per projection, in one transaction a
  pass and a savepoint per projection; the checkpoint is re-read after the projection's lock is
  taken. An exception from ``apply`` rolls that savepoint back and halts the projection (the
  checkpoint row's ``halted`` column, an error log); the others go on. A projection seen with
  no checkpoint, or with a checkpoint of another ``version``, is rebuilt before it is advanced.
- ``CatchUp.after_append``, the quick pass after this process's own append: a handful of
  statements, and nothing changed whenever anything is unusual (the general path then handles
  it, halts included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import Connection, Engine

from casework.events.store import StoredEvent
from casework.logs import error_text
from casework.projections import checkpoints, feed
from casework.projections.base import Projection
from casework.projections.halts import ProjectionHalted, apply_page
from casework.projections.locks import lock, lock_all, write_transaction
from casework.projections.rebuild import Rebuild
from casework.projections.status import Standing

log = structlog.get_logger("casework.projections")

BeforeCommit = Callable[[dict[str, list[StoredEvent]]], None]


@dataclass(frozen=True)
class CatchUp:
    """Catch-up passes with the runner's settings at the time it is made."""

    engine: Engine
    standing: Standing
    rebuild: Rebuild  # for a projection seen new or at another version
    now: Callable[[], datetime]
    page_size: int
    lock_wait_seconds: float
    before_commit: BeforeCommit | None  # test hook: just before a pass commits

    def run(self, projections: list[Projection], wait: bool) -> dict[str, int]:
        """Passes until ``projections`` (those not halted) reach the head; returns how many
        events each folded."""
        applied: dict[str, int] = {}
        while True:
            pending = [p for p in projections if p.name not in self.standing.halted]
            if not pending or not self._pass(pending, wait, applied):
                return applied

    def _pass(self, projections: list[Projection], wait: bool, applied: dict[str, int]) -> bool:
        """One page for each projection, in one transaction. True if another page may follow."""
        more = False
        pages: dict[str, list[StoredEvent]] = {}
        reached_by: dict[str, int] = {}
        with write_transaction(self.engine, relaxed=True) as conn:
            head = feed.head(conn)
            for projection in projections:
                savepoint = conn.begin_nested()
                if not lock(conn, projection, wait, self.lock_wait_seconds):
                    savepoint.rollback()
                    continue
                try:
                    events, reached = self._advance(conn, projection, head)
                except ProjectionHalted as exc:
                    savepoint.rollback()
                    self._halt(conn, projection.name, exc)
                    continue
                savepoint.commit()
                pages[projection.name] = events
                reached_by[projection.name] = reached
                applied[projection.name] = applied.get(projection.name, 0) + len(events)
                more = more or reached < head
            if self.before_commit:
                self.before_commit(pages)
        self.standing.note_reached(reached_by)
        return more

    def _advance(self, conn: Connection, projection: Projection, head: int) -> tuple[list, int]:
        """Apply the next page after the checkpoint; returns (events applied, position reached)."""
        mark = checkpoints.read(conn, projection.name)
        if mark is None or mark.version != projection.version:
            reason = "new" if mark is None else f"version {mark.version} -> {projection.version}"
            log.info("projection_rebuilding", projection=projection.name, reason=reason)
            self.rebuild.replay(conn, [projection], head, None)
            return [], head
        if mark.position >= head:
            return [], mark.position
        events = feed.page(conn, mark.position, head, projection.event_types, self.page_size)
        reached = events[-1].position if len(events) == self.page_size else head
        if events:
            apply_page(conn, projection, events)
        checkpoints.write(conn, projection.name, projection.version, reached, self.now())
        return events, reached

    def _halt(self, conn: Connection, name: str, exc: ProjectionHalted) -> None:
        self.standing.halted[name] = str(exc)
        log.error(
            "projection_halted", projection=name, position=exc.position,
            event_type=exc.event_type, error=error_text(exc.cause),
        )
        checkpoints.mark_halted(conn, name, str(exc))

    def after_append(
        self, projections: list[Projection], stored: list[StoredEvent], extras: list[Projection]
    ) -> bool:
        """Advance ``projections`` to the head in one transaction with a handful of statements:
        all locks in one, all checkpoints read in one and moved in one, the log read once (or
        not at all when ``stored``, just appended, is exactly what is missing). False, having
        changed nothing, whenever anything is unusual (a lock held elsewhere, a projection to
        rebuild, a long lag, a fold that fails): the general path then handles it, halts
        included. The commit does not wait for its flush to disk (PostgreSQL synchronous_commit
        off, SQLite synchronous=NORMAL): the read model is derived from the log, and a crash
        can only lose the whole transaction, rows and checkpoint together, which the next pass
        redoes. ``extras`` (projections that fold none of ``stored``'s types) have their
        checkpoints moved too when they were current up to ``stored`` and their locks are free,
        so the follower thread finds nothing to do."""
        pages: dict[str, list[StoredEvent]] = {}
        first, last = min(e.position for e in stored), max(e.position for e in stored)
        try:
            with write_transaction(self.engine, relaxed=True) as conn:
                if conn.dialect.name == "postgresql":
                    head, free = lock_all(conn, projections, extras, self.lock_wait_seconds)
                else:
                    head, free = feed.head(conn), [True] * len(extras)
                if head is None:
                    raise _Unusual
                marks = checkpoints.read_all(conn)
                after: dict[str, int] = {}
                for projection in projections:
                    mark = marks.get(projection.name)
                    if mark is None or mark.version != projection.version:
                        raise _Unusual
                    after[projection.name] = mark.position
                low = min(after.values())
                if low >= head:
                    events: list[StoredEvent] = []
                elif low == first - 1 and head == last:
                    # One append holds the append lock throughout: nothing committed in between.
                    events = sorted(stored, key=lambda e: e.position)
                else:
                    events = feed.page(conn, low, head, _union(projections), self.page_size)
                    if len(events) >= self.page_size:
                        raise _Unusual
                for projection in projections:
                    types = projection.event_types
                    mine = [
                        e for e in events
                        if e.position > after[projection.name] and (types is None or e.type in types)
                    ]
                    if mine:
                        try:
                            projection.apply(conn, mine)
                        except Exception as exc:
                            raise _Unusual from exc
                    pages[projection.name] = mine
                moving = [p.name for p in projections if after[p.name] < head]
                current = []  # extras with nothing of theirs between their checkpoint and head
                for extra, got in zip(extras, free, strict=True):
                    mark = marks.get(extra.name)
                    if not got or mark is None or mark.version != extra.version:
                        continue
                    if mark.position >= head:
                        current.append(extra.name)
                    elif mark.position == first - 1 and head == last and _folds_none(extra, stored):
                        current.append(extra.name)
                        moving.append(extra.name)
                if moving:
                    checkpoints.advance(conn, moving, head, self.now())
                if self.before_commit:
                    self.before_commit(pages)
        except _Unusual:
            return False
        self.standing.note_reached({name: head for name in [p.name for p in projections] + current})
        return True


class _Unusual(Exception):
    """The quick pass cannot be used this time; its transaction is rolled back."""


def _folds_none(projection: Projection, events: list[StoredEvent]) -> bool:
    types = projection.event_types
    return types is not None and not any(e.type in types for e in events)


def _union(projections: list[Projection]) -> set[str] | None:
    types: set[str] = set()
    for projection in projections:
        if projection.event_types is None:
            return None
        types.update(projection.event_types)
    return types


__all__ = ["BeforeCommit", "CatchUp"]
