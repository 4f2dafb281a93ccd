"""The auditor's replay: a provider's whole history across all its streams, oldest first.

Each entry has both times (``occurred_at``: when it happened in the world; ``recorded_at``: when
the system learnt it), the actor and reason, the data and the hash. ``verified`` says whether
every stream in the history passes ``casework verify``'s checks, from each stream's first event,
over the text exactly as stored (``verify_streams``).

Restricted personal data (a whistleblower's identity, an adult at risk's name) is sealed in the
log; the replay never shows the ciphertext or its key id, only that sealed data is there:
``{"restricted": "sealed personal data, not shown"}``. The hash is computed over the stored
text, so the chain still verifies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from casework.events.hashing import GENESIS, iso
from casework.events.schema import events as T
from casework.events.store.heads import Head
from casework.events.store.rows import COLUMNS
from casework.events.store.verify import BrokenLink, link_problem
from casework.projections.sources import connect, store_of

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
    # A decision the history must not let pass unnoticed (an immediate termination), in words.
    alert: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = self.model_dump(mode="json")
        out["occurred_at"], out["recorded_at"] = iso(self.occurred_at), iso(self.recorded_at)
        return out


class ProviderHistory(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider_id: str
    as_of: datetime | None
    events: list[HistoryEntry]
    streams: list[str]
    verified: bool
    broken: str | None  # the first event whose chain does not recompute


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


def history(source: Any, provider_id: str, as_of: datetime | None = None) -> ProviderHistory | None:
    """Everything recorded about a provider (up to ``as_of``, by recorded time), oldest first;
    None when nothing at all is recorded about it."""
    store = store_of(source)
    events = store.read_history(provider_id, as_of)
    if not events and (as_of is None or not store.read_history(provider_id)):
        return None
    streams = sorted({e.stream for e in events})
    broken = verify_streams(store.engine, streams)
    entries = []
    for e in events:
        data, sealed = redact(e.data)
        entries.append(HistoryEntry(
            position=e.position, event_id=e.event_id, stream=e.stream, version=e.version,
            type=e.type, occurred_at=e.occurred_at, recorded_at=e.recorded_at, actor=e.actor,
            reason=e.metadata.get("reason"), data=data, has_restricted_data=sealed, hash=e.hash,
            alert=alert_of(e.type, data),
        ))
    return ProviderHistory(provider_id=provider_id, as_of=as_of, events=entries, streams=streams,
                           verified=broken is None, broken=broken)


__all__ = ["HistoryEntry", "ProviderHistory", "alert_of", "history", "redact", "verify_streams"]
