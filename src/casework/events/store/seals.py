"""Seals of the whole log: its digest at a position, and the signed checkpoints kept of it.

Each event's hash chains it to the previous event of its own stream (``casework.events.hashing``),
so no single hash covers the whole log, nor the order in which streams interleave. The *log
digest* does: a fold of every event's position and hash in position order::

    D(0) = ""                                          (the empty text)
    D(n) = sha256_hex(D(n-1) + "\\n" + str(position) + "\\n" + hash)   for each event, by position

``D`` at position P changes if any event up to P is edited (its hash changes, as does every later
hash of its stream), deleted, inserted, moved to another position, or if a position is changed.
A checkpoint signs (position, D at that position) with the council's key; ``casework verify
--against CHECKPOINT`` recomputes D from the log and compares.

``D`` is a running fold: D at a later position Q is D at P folded on with the events in (P, Q]
only. So a new checkpoint reads only the events appended since the previous one (``extend``),
starting from the digest that one signed, and the full recomputation (``log_digest``) gives the
same D by the same step (``digest_step``), which is the one definition of it.

Checkpoints are rows of ``log_checkpoints`` (migration 0007_checkpoints; not the read models'
``projection_checkpoints``). Each holds the exact text that was signed (``payload``, JSON) and its
signature; the payload names the previous checkpoint's signature, so the checkpoints form a chain
of their own and one cannot be dropped or replaced unnoticed by anyone holding a later one. The
signing itself happens above this layer (``casework.evidence.checkpoints``); this module only
computes, stores and reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text, select
from sqlalchemy.exc import IntegrityError

from casework.events.hashing import GENESIS
from casework.events.schema import events as T
from casework.events.store.reading import LogReader
from casework.events.store.verify import VerifyReport, verify_after

metadata = MetaData()

log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("sequence", Integer, primary_key=True, autoincrement=False),  # 1, 2, ... (the chain)
    Column("position", BigInteger, nullable=False),
    Column("log_digest", String(64), nullable=False),
    Column("made_at", DateTime(timezone=True), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("payload", Text, nullable=False),  # the exact JSON text signed
    Column("signature", Text, nullable=False),  # Ed25519 over payload's UTF-8 bytes, base64
)


def digest_step(previous: str, position: int, event_hash: str) -> str:
    """One step of the log digest (see the module docstring)."""
    return hashlib.sha256(f"{previous}\n{position}\n{event_hash}".encode()).hexdigest()


def log_digest(reader: LogReader, upto: int, page: int = 5000) -> tuple[int, str]:
    """(events folded, D at position ``upto``): every event at a position up to ``upto``."""
    return log_digests(reader, [upto], page)[upto]


def log_digests(
    reader: LogReader, positions: Sequence[int], page: int = 5000
) -> dict[int, tuple[int, str]]:
    """(events folded, D) at each of ``positions``, in one pass over the log up to the last."""
    wanted = sorted(set(positions))
    found: dict[int, tuple[int, str]] = {}
    if not wanted:
        return found
    digest, count, after, upto = GENESIS, 0, 0, wanted[-1]
    query = select(T.c.position, T.c.hash).order_by(T.c.position).limit(page)
    with reader.connection() as conn:
        while True:
            rows = conn.execute(query.where(T.c.position > after, T.c.position <= upto)).all()
            for position, event_hash in rows:
                while wanted and wanted[0] < position:
                    found[wanted.pop(0)] = (count, digest)
                digest = digest_step(digest, position, event_hash)
                count += 1
            if len(rows) < page:
                break
            after = rows[-1][0]
    for position in wanted:
        found[position] = (count, digest)
    return found


@dataclass(frozen=True)
class Seal:
    """D at ``position``, over ``events`` events, the last of them with hash ``last_hash``."""

    position: int
    events: int
    digest: str
    last_hash: str | None


UNSEALED = Seal(0, 0, GENESIS, None)  # the empty log's


def extend(reader: LogReader, since: Seal, upto: int) -> tuple[VerifyReport, Seal]:
    """Verify the events at positions in (``since.position``, ``upto``] and fold them on from
    ``since``: D at ``upto``, reading only those events (``verify.verify_after``). What is at or
    before ``since.position`` is trusted to be what ``since`` sealed: the caller checks that
    (a checkpoint's signature); a rewrite there changes the full recomputation, not this one.
    The seal is meaningful only when the report is ok."""
    digest, count, last = since.digest, since.events, since.last_hash

    def fold(position: int, event_hash: str) -> None:
        nonlocal digest, count, last
        digest = digest_step(digest, position, event_hash)
        count, last = count + 1, event_hash

    report = verify_after(reader, since.position, upto, fold)
    return report, Seal(upto, count, digest, last)


def hash_at(reader: LogReader, position: int) -> str | None:
    """The hash of the event at ``position``; None when there is none."""
    with reader.connection() as conn:
        found = conn.execute(select(T.c.hash).where(T.c.position == position)).scalar()
    return None if found is None else str(found)


@dataclass(frozen=True)
class StoredCheckpoint:
    sequence: int
    position: int
    log_digest: str
    made_at: datetime
    key_id: str
    payload: str
    signature: str


class CheckpointTaken(Exception):
    """Another process recorded a checkpoint with this sequence number first."""


def latest_checkpoint(reader: LogReader) -> StoredCheckpoint | None:
    query = select(log_checkpoints).order_by(log_checkpoints.c.sequence.desc()).limit(1)
    with reader.connection() as conn:
        row = conn.execute(query).first()
    return None if row is None else StoredCheckpoint(*row)


def all_checkpoints(reader: LogReader) -> list[StoredCheckpoint]:
    with reader.connection() as conn:
        rows = conn.execute(select(log_checkpoints).order_by(log_checkpoints.c.sequence)).all()
    return [StoredCheckpoint(*row) for row in rows]


def record_checkpoint(
    reader: LogReader, make: Callable[[StoredCheckpoint | None], StoredCheckpoint]
) -> StoredCheckpoint:
    """Record the checkpoint ``make(latest)`` builds on the latest one; ``CheckpointTaken``
    when another process recorded one with the same sequence number meanwhile."""
    made = make(latest_checkpoint(reader))
    try:
        with reader.engine.begin() as conn:
            conn.execute(log_checkpoints.insert().values(
                sequence=made.sequence, position=made.position, log_digest=made.log_digest,
                made_at=made.made_at, key_id=made.key_id, payload=made.payload,
                signature=made.signature,
            ))
    except IntegrityError:
        raise CheckpointTaken(made.sequence) from None
    return made


__all__ = [
    "UNSEALED", "CheckpointTaken", "Seal", "StoredCheckpoint", "all_checkpoints", "digest_step",
    "extend", "hash_at", "latest_checkpoint", "log_checkpoints", "log_digest", "log_digests",
    "record_checkpoint",
]
