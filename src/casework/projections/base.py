"""What a projection is, for the runner (casework.projections.runner) and for its authors.

A projection is a pure fold of events into state plus the rows that hold that state:

- ``name``: unique; its checkpoint (last position applied) is kept under this name.
- ``version``: bump it when the fold or the tables change; the runner then rebuilds it.
- ``tables``: its read-model tables (SQLAlchemy Core ``Table`` objects on
  ``casework.projections.base.read_models``). They are disposable: the runner drops and
  recreates them on rebuild. Durable data never lives in a read model.
- ``event_types``: the event types it folds (``None`` = every type). The runner still advances
  the checkpoint over events it skips.
- ``apply(conn, events)``: fold one page of events (position order) into the tables, using
  set-based reads and batched writes (never one query per event). The runner calls it inside
  the same transaction that moves the checkpoint, so a crash applies a page wholly or not at all.
  Raise to stop the projection: a projection stops, it never skips.
- ``rebuild_reads_by`` (optional): the indexes its rebuild reads its tables back by; a rebuild
  creates the others once the rows are in (``tables.deferred_indexes``). Without it, none wait.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from sqlalchemy import Connection, MetaData, Table

from casework.events.stored import StoredEvent

# Every read-model table lives on this MetaData (not the event log's), so that the runner can
# create and drop them freely.
read_models = MetaData()


class Projection(Protocol):
    # Read-only members: a class attribute or a property satisfies each.
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def tables(self) -> list[Table]: ...
    @property
    def event_types(self) -> Collection[str] | None: ...

    def apply(self, conn: Connection, events: list[StoredEvent]) -> None: ...
