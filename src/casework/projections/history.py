"""The auditor's replay: a provider's whole history across all its streams, oldest first.

Each entry has both times (``occurred_at``: when it happened in the world; ``recorded_at``: when
the system learnt it), the actor and reason, the data and the hash. The history is in the order
things happened (``order="happened"``, the default) or in the order they were recorded
(``order="recorded"``: log position); ``recorded_late`` marks an entry recorded on a later day
than it happened. It can be cut *as it happened at* one instant and/or *as known at* another
(docs/auditing.md); ``casework.projections.narrative`` turns each entry into a sentence.
``verified`` says whether every stream in the history passes ``casework verify``'s checks, from
each stream's first event, over the text exactly as stored (``verify_streams``).

Restricted personal data (a whistleblower's identity, an adult at risk's name) is sealed in the
log; the replay never shows the ciphertext or its key id, only that sealed data is there:
``{"restricted": "sealed personal data, not shown"}``. The hash is computed over the stored
text, so the chain still verifies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from casework.events.hashing import GENESIS, iso
from casework.events.schema import events as T
from casework.events.store import StoredEvent
from casework.events.store.heads import Head
from casework.events.store.reading import Order
from casework.events.store.rows import COLUMNS
from casework.events.store.verify import BrokenLink, link_problem
from casework.projections.sources import connect, local_date, store_of

SEALED = {"restricted": "sealed personal data, not shown"}


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: int
    event_id: str
    stream: str
    version: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str | None
    reason: str | None
    data: dict[str, Any]
    has_restricted_data: bool
    hash: str
    # Recorded on a later (council-local) day than it happened: a late entry.
    recorded_late: bool = False
    # The ids of the people whose restricted data is sealed in it, in the order they appear
    # (their names are shown only to roles that may see them: narrative.Names.revealed).
    # Never serialised (officers and auditors do not see person ids; docs/security.md).
    sealed_people: list[str] = Field(default_factory=list, exclude=True)
    # A decision the history must not let pass unnoticed (an immediate termination), in words.
    alert: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = self.model_dump(mode="json")
        out["occurred_at"], out["recorded_at"] = iso(self.occurred_at), iso(self.recorded_at)
        return out


class ProviderHistory(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider_id: str
    as_of: datetime | None  # as known at (its older name)
    events: list[HistoryEntry]
    streams: list[str]
    verified: bool
    broken: str | None  # the first event whose chain does not recompute
    as_happened_at: datetime | None = None
    as_known_at: datetime | None = None
    order: Order = "happened"


def redact(value: Any) -> tuple[Any, bool]:
    """``value`` with every sealed person replaced by a marker; and whether there was one."""
    if isinstance(value, dict):
        if "ciphertext" in value:
            return dict(SEALED), True
        found = False
        out = {}
        for key, item in value.items():
            out[key], hit = redact(item)
            found = found or hit
        return out, found
    if isinstance(value, list):
        pairs = [redact(item) for item in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    return value, False


def sealed_people(value: Any) -> list[str]:
    """The person ids of every sealed person in ``value``, in document order."""
    if isinstance(value, dict):
        if "ciphertext" in value:
            return [str(value["person_id"])] if value.get("person_id") else []
        return [p for item in value.values() for p in sealed_people(item)]
    if isinstance(value, list):
        return [p for item in value for p in sealed_people(item)]
    return []


def late(occurred_at: datetime, recorded_at: datetime) -> bool:
    """Recorded on a later council-local day than it happened."""
    return local_date(recorded_at) > local_date(occurred_at)


def verify_streams(source: Any, streams: list[str]) -> str | None:
    """Check these streams whole, from their first events, in position order, with the same
    checks as ``casework verify`` (``link_problem``: the hash chain, the provider each event's
    hashed metadata names, version order along positions); None when intact, else the first
    break, in words. A stream moved wholly to another provider is not among ``streams``:
    ``casework verify`` finds it, and so does the other provider's history."""
    rows: list[tuple] = []
    with connect(source) as conn:
        for i in range(0, len(streams), 500):
            query = select(*COLUMNS).where(T.c.stream.in_(streams[i : i + 500]))
            rows += (tuple(row) for row in conn.execute(query))
    rows.sort(key=lambda row: row[0])
    stored = {(row[2], row[3]): (row[0], row[1]) for row in rows}
    heads: dict[str, Head] = {}
    for row in rows:
        problem = link_problem(row, heads.get(row[2], (0, GENESIS)), lambda s, v: stored.get((s, v)))
        if problem:
            return str(BrokenLink(row[0], row[1], row[2], row[3], problem))
        heads[row[2]] = (row[3], row[11])
    return None


def alert_of(event_type: str, data: dict[str, Any]) -> str | None:
    """The loud line an event earns in every history (the timeline, ``casework history``, the
    API): immediate termination for a serious breach, from proposal to approval or its end."""
    grounds = data.get("grounds") or "grounds not recorded"
    match event_type:
        case "ImmediateTerminationProposed":
            return f"IMMEDIATE TERMINATION PROPOSED for a serious breach ({grounds}): awaits a second manager"
        case "ImmediateTerminationApproved":
            return (f"IMMEDIATE TERMINATION APPROVED ({grounds}): proposed by {data.get('proposed_by')}, "
                    f"approved by {data.get('approved_by')}")
        case "ImmediateTerminationRejected":
            verb = "withdrawn" if data.get("withdrawn") else "rejected"
            return f"Immediate termination proposal {verb} by {data.get('rejected_by')}"
        case "ImmediateTerminationLapsed":
            return "Immediate termination proposal lapsed: no second manager approved it in time"
        case "ContractTerminated" if data.get("immediate"):
            return (f"CONTRACT TERMINATED IMMEDIATELY for a serious breach ({grounds}), without a "
                    "final notice running its course")
        case "ContractTerminated":
            return "Contract terminated after its 90 day final notice ran its course"
    return None


def entry_of(e: StoredEvent) -> HistoryEntry:
    """A stored event as a history entry: sealed people redacted (their ids kept apart)."""
    data, sealed = redact(e.data)
    return HistoryEntry(
        position=e.position, event_id=e.event_id, stream=e.stream, version=e.version,
        type=e.type, occurred_at=e.occurred_at, recorded_at=e.recorded_at, actor=e.actor,
        reason=e.metadata.get("reason"), data=data, has_restricted_data=sealed, hash=e.hash,
        recorded_late=late(e.occurred_at, e.recorded_at), sealed_people=sealed_people(e.data),
        alert=alert_of(e.type, data),
    )


def history(
    source: Any,
    provider_id: str,
    as_of: datetime | None = None,
    *,
    happened_at: datetime | None = None,
    known_at: datetime | None = None,
    order: Order = "happened",
) -> ProviderHistory | None:
    """Everything recorded about a provider: as it happened at ``happened_at`` (what had
    happened by then, recorded early or late) and/or as known at ``known_at`` (what had been
    recorded by then; ``as_of`` is its older name), in ``order``; None when nothing at all is
    recorded about it."""
    store = store_of(source)
    known = known_at or as_of
    events = store.read_history(provider_id, known, happened_at=happened_at, order=order)
    cut = known is not None or happened_at is not None
    if not events and (not cut or not store.read_history(provider_id)):
        return None
    streams = sorted({e.stream for e in events})
    broken = verify_streams(store.engine, streams)
    entries = [entry_of(e) for e in events]
    return ProviderHistory(provider_id=provider_id, as_of=known, events=entries, streams=streams,
                           verified=broken is None, broken=broken, as_happened_at=happened_at,
                           as_known_at=known, order=order)


__all__ = ["HistoryEntry", "ProviderHistory", "alert_of", "entry_of", "history", "late", "redact",
           "sealed_people", "verify_streams"]
