"""The event store: one narrow port (append, read_stream, read_history, read_all, verify) over
SQLite and PostgreSQL, with the same behaviour on both.

Guarantees
- ``append`` is all or nothing. A stale ``expected_version`` raises ``ConcurrencyError`` and
  writes nothing. Re-appending an ``event_id`` already stored with the same content is a no-op
  that returns the stored events (safe retries); the same id with other content is an error.
- Positions are handed out in commit order, so a reader tailing ``read_all(after=p)`` never
  skips an event. On PostgreSQL a sequence value is taken before commit, so two transactions
  could otherwise commit out of order; every append therefore takes one transaction-scoped
  advisory lock before it allocates positions and holds it until commit. On SQLite the
  database lock (``BEGIN IMMEDIATE``) gives the same order.
- Hooks in ``EventStore.in_transaction`` (``TransactionHook``, given by an upper layer: the
  transactional outbox) write their rows inside the append's transaction: they commit with the
  events or not at all.
- Callables in ``EventStore.timers`` (``AppendTimer``) are told the streams, events and seconds
  of each committed append (metrics, given by an upper layer; the store imports none).
- Each event's ``hash`` chains it to the previous event of its stream (``casework.events.hashing``),
  and ``verify`` recomputes every chain.

Modules: ``event_store`` (the ``EventStore`` facade and append), ``reading`` (reads),
``writing`` with ``sqlite_writer`` and ``postgres_writer`` (the append paths, one writer per
dialect, chosen when the store is built), ``postgres_driver`` (raw psycopg calls), ``heads``
(stream heads remembered for the one-round-trip append), ``rows`` (the row format),
``verify`` (hash chains), ``errors`` (driver errors translated). ``StoredEvent`` and
``AppendRequest`` live in ``casework.events.stored``, free of any database import.
"""

from casework.events.store.errors import translate_db_error
from casework.events.store.event_store import STREAM_NAME, AppendTimer, EventStore
from casework.events.store.postgres_writer import APPEND_LOCK_KEY, NOTIFY_CHANNEL
from casework.events.store.verify import BrokenLink, VerifyReport
from casework.events.store.writing import TransactionHook
from casework.events.stored import AppendRequest, StoredEvent

__all__ = [
    "APPEND_LOCK_KEY",
    "AppendTimer",
    "NOTIFY_CHANNEL",
    "STREAM_NAME",
    "AppendRequest",
    "BrokenLink",
    "EventStore",
    "StoredEvent",
    "TransactionHook",
    "VerifyReport",
    "translate_db_error",
]
