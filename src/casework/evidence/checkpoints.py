"""Signed checkpoints of the whole log: made on demand (``casework checkpoint``) and on a
schedule (``serve``, daily by default: ``CASEWORK_CHECKPOINT_INTERVAL_HOURS``, 0 for never).

A checkpoint signs the log's digest at its head position (``casework.events.store.seals``) with
the council's signing key, and names the previous checkpoint's signature. Printed as JSON, it is
what a third party keeps: later, ``casework verify --against CHECKPOINT_FILE`` recomputes the
digest at that position from the log and checks the signature, so a log rewritten up to that
position (an event edited, deleted, inserted or moved) is found, whoever holds the database.

The document (``Checkpoint.document``)::

    {"payload": "<the exact JSON text signed>", "signature": "<base64 Ed25519>",
     "key_id": "...", "sequence": 3, "position": 1234, "log_digest": "...", ...}

Only ``payload`` is signed; the other fields repeat it for people reading the file, and a
verifier refuses a document where they differ.

A new checkpoint costs the events appended since the previous one, never the whole log: it
checks the previous checkpoint's signature and that the event at its position still has the
hash it signed (``last_hash``, one indexed read), then verifies only the newer events' links
and folds them on from the previous digest (``seals.extend``). The digest signed is the same
one a full recomputation gives; a rewrite before the previous checkpoint is therefore not
looked for here but cannot be signed over either: ``verify --against`` either checkpoint, and
``casework verify`` (which checks every recorded checkpoint), find it.

Formats (``verifier.CHECKPOINT_FORMATS``): ``/2`` adds ``last_hash``; ``/1`` checkpoints, made
before it, sign the same digest and still verify (after a ``/1`` checkpoint, the next one can
only check that an event is still at its position).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from apscheduler.schedulers.background import BackgroundScheduler

from casework.clock import Clock
from casework.events.hashing import iso
from casework.events.store import EventStore
from casework.events.store.reading import LogReader
from casework.events.store.seals import (
    UNSEALED,
    CheckpointTaken,
    Seal,
    StoredCheckpoint,
    all_checkpoints,
    extend,
    hash_at,
    latest_checkpoint,
    log_digest,
    log_digests,
    record_checkpoint,
)
from casework.evidence.signing import SigningKeyError, SigningKeys, verify_signature
from casework.evidence.verifier import CHECKPOINT_FORMATS
from casework.logs import error_text

log = structlog.get_logger("casework.checkpoints")

FORMAT = CHECKPOINT_FORMATS[-1]  # what is signed now
JOB_ID = "casework-log-checkpoint"
_FIRST_FIELDS = ("format", "council", "sequence", "position", "events", "log_digest", "made_at",
                 "key_id", "previous_signature")
PAYLOAD_FIELDS = {CHECKPOINT_FORMATS[0]: _FIRST_FIELDS,
                  CHECKPOINT_FORMATS[1]: (*_FIRST_FIELDS, "last_hash")}


class BrokenLog(Exception):
    """The log does not verify: no checkpoint is signed over it."""


@dataclass(frozen=True)
class Checkpoint:
    payload: str
    signature: str

    @property
    def fields(self) -> dict[str, Any]:
        return dict(json.loads(self.payload))

    def document(self) -> dict[str, Any]:
        return {**self.fields, "payload": self.payload, "signature": self.signature}

    @classmethod
    def of(cls, stored: StoredCheckpoint) -> Checkpoint:
        return cls(stored.payload, stored.signature)


def make_checkpoint(store: EventStore, keys: SigningKeys, clock: Clock, council: str) -> Checkpoint:
    """Sign the log's digest at the head and record it chained to the latest checkpoint, reading
    only the events after that one's position (see the module docstring). ``BrokenLog`` when
    those events do not verify or the latest checkpoint no longer holds (nothing is signed)."""
    for _ in range(5):  # another process may record the next checkpoint first: start again
        try:
            return Checkpoint.of(record_checkpoint(store, _next(store, keys, clock, council)))
        except CheckpointTaken:
            continue
    raise CheckpointTaken("five tries")


def _next(
    store: EventStore, keys: SigningKeys, clock: Clock, council: str
) -> Callable[[StoredCheckpoint | None], StoredCheckpoint]:
    last = latest_checkpoint(store)
    since = UNSEALED if last is None else sealed_by(store, Checkpoint.of(last), public_keys_of(keys))
    head = store.head_position()  # read after: at or beyond the event at since.position
    report, seal = extend(store, since, head)
    if not report.ok:
        raise BrokenLog(f"the log does not verify, so no checkpoint was signed: {report.broken}")
    now = clock.now()

    def build(previous: StoredCheckpoint | None) -> StoredCheckpoint:
        if (previous.sequence if previous else 0) != (last.sequence if last else 0):
            raise CheckpointTaken("another checkpoint was recorded meanwhile")
        sequence = 1 if previous is None else previous.sequence + 1
        fields = {
            "format": FORMAT, "council": council, "sequence": sequence, "position": head,
            "events": seal.events, "log_digest": seal.digest, "last_hash": seal.last_hash,
            "made_at": iso(now), "key_id": keys.key_id,
            "previous_signature": None if previous is None else previous.signature,
        }
        payload = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return StoredCheckpoint(sequence, head, seal.digest, now, keys.key_id, payload,
                                keys.sign(payload.encode()))

    return build


def sealed_by(reader: LogReader, checkpoint: Checkpoint, public_keys: dict[str, str]) -> Seal:
    """What ``checkpoint`` sealed, for the next one to fold on from: its signature must verify
    and the event at its position must still be there with the hash it signed (a ``/1``
    checkpoint names none: the event must be there). One indexed read, never the log before it;
    ``BrokenLog`` saying why not."""
    problem = signature_problem(checkpoint, public_keys)
    if problem:
        raise BrokenLog(f"{problem}; no checkpoint was signed after it")
    fields = checkpoint.fields
    position = int(fields["position"])
    found = hash_at(reader, position) if position > 0 else None
    if position > 0 and (found is None or fields.get("last_hash", found) != found):
        what = "is gone (restored from an older backup?)" if found is None else "was rewritten"
        raise BrokenLog(f"the log no longer matches checkpoint {fields['sequence']}: its last event "
                        f"(position {position}) {what}, so no checkpoint was signed over it")
    return Seal(position, int(fields["events"]), str(fields["log_digest"]), found)


def read_checkpoint(document: Any) -> Checkpoint:
    """A checkpoint document (as printed by ``casework checkpoint``); ``ValueError`` saying why
    it is not one."""
    if not isinstance(document, dict) or not isinstance(document.get("payload"), str) or \
            not isinstance(document.get("signature"), str):
        raise ValueError("not a checkpoint printed by `casework checkpoint` (it needs payload and "
                         "signature)")
    checkpoint = Checkpoint(document["payload"], document["signature"])
    try:
        fields = checkpoint.fields
    except ValueError:
        raise ValueError("its payload is not JSON") from None
    expected = PAYLOAD_FIELDS.get(str(fields.get("format")))
    if expected is None or set(fields) != set(expected):
        raise ValueError("its payload is not a checkpoint of a known format "
                         f"({', '.join(CHECKPOINT_FORMATS)})")
    for name, value in document.items():
        if name not in ("payload", "signature") and fields.get(name, value) != value:
            raise ValueError(f"its {name} differs from the signed payload's: the file was edited")
    return checkpoint


def signature_problem(checkpoint: Checkpoint, public_keys: dict[str, str]) -> str | None:
    """Why the checkpoint's signature does not verify with the key its payload names."""
    key_id = checkpoint.fields["key_id"]
    pem = public_keys.get(key_id)
    if pem is None:
        return (f"checkpoint {checkpoint.fields['sequence']} is signed with key {key_id}, which "
                "is not among the public keys given")
    if not verify_signature(pem, checkpoint.payload.encode(), checkpoint.signature):
        return (f"checkpoint {checkpoint.fields['sequence']}: the signature does not verify with "
                f"key {key_id}: the checkpoint was altered or not signed by that key")
    return None


def against_log(reader: LogReader, checkpoint: Checkpoint, public_keys: dict[str, str]) -> str | None:
    """Why the log is not the one the checkpoint signed, up to its position; None when it is."""
    problem = signature_problem(checkpoint, public_keys)
    if problem:
        return problem
    fields = checkpoint.fields
    position, expected = int(fields["position"]), str(fields["log_digest"])
    head = reader.head_position()
    if head < position:
        return (f"the log ends at position {head}, before the checkpoint's position {position}: "
                "events were lost (restored from an older backup?)")
    events, digest = log_digest(reader, position)
    if digest != expected:
        return (f"the log's digest at position {position} is {digest} but checkpoint "
                f"{fields['sequence']} signed {expected}: the log was rewritten at or before "
                f"position {position} ({events} events there now, {fields['events']} then)")
    return None


def chain_problem(checkpoints: list[Checkpoint], public_keys: dict[str, str]) -> str | None:
    """Why these checkpoints (oldest first) do not form one signed chain; None when they do."""
    previous: Checkpoint | None = None
    for checkpoint in checkpoints:
        problem = signature_problem(checkpoint, public_keys)
        if problem:
            return problem
        fields = checkpoint.fields
        if previous is not None:
            before = previous.fields
            if fields["sequence"] != before["sequence"] + 1:
                return (f"checkpoint {fields['sequence']} follows checkpoint {before['sequence']}: "
                        "a checkpoint is missing")
            if fields["previous_signature"] != previous.signature:
                return (f"checkpoint {fields['sequence']} does not name checkpoint "
                        f"{before['sequence']}'s signature: the chain was broken or replaced")
            if fields["position"] < before["position"]:
                return (f"checkpoint {fields['sequence']} is at position {fields['position']}, "
                        f"before checkpoint {before['sequence']}'s {before['position']}")
        elif fields["sequence"] == 1 and fields["previous_signature"] is not None:
            return "checkpoint 1 names a previous signature"
        previous = checkpoint
    return None


def stored_chain(reader: LogReader) -> list[Checkpoint]:
    return [Checkpoint.of(c) for c in all_checkpoints(reader)]


def stored_problem(reader: LogReader, public_keys: dict[str, str]) -> tuple[int, str | None]:
    """(how many checkpoints are stored, why they or the log do not hold together): the stored
    checkpoints must form one signed chain, and the log must still have each one's digest at its
    position (one pass over the log)."""
    chain = stored_chain(reader)
    problem = chain_problem(chain, public_keys)
    if problem or not chain:
        return len(chain), problem
    head = reader.head_position()
    digests = log_digests(reader, [int(c.fields["position"]) for c in chain])
    for checkpoint in chain:
        fields = checkpoint.fields
        if head < fields["position"]:
            return len(chain), (f"the log ends at position {head}, before checkpoint "
                                f"{fields['sequence']}'s position {fields['position']}: events "
                                "were lost")
        if digests[fields["position"]][1] != fields["log_digest"]:
            return len(chain), (f"the log's digest at position {fields['position']} is not the one "
                                f"checkpoint {fields['sequence']} signed: the log was rewritten at "
                                f"or before position {fields['position']}")
    return len(chain), None


def public_keys_of(keys: SigningKeys) -> dict[str, str]:
    return {k.key_id: k.public_key for k in keys.public_keys()}


class CheckpointSchedule:
    """Records a checkpoint every ``interval_hours`` (APScheduler) while ``serve`` runs. Reads
    the signing key file at each run, so a rotation needs no restart; a failure is logged (no
    data in it) and the next run tries again."""

    def __init__(self, store: EventStore, clock: Clock, key_file: str | Path | None,
                 council: str, interval_hours: float) -> None:
        self.store, self.clock, self.key_file = store, clock, key_file
        self.council, self.interval_hours = council, interval_hours
        self._scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()

    def run(self) -> Checkpoint | None:
        with self._lock:
            try:
                made = make_checkpoint(self.store, SigningKeys.load(self.key_file), self.clock,
                                       self.council)
            except (SigningKeyError, BrokenLog) as exc:
                log.error("checkpoint_not_made", reason=str(exc))
                return None
            except Exception as exc:
                log.error("checkpoint_failed", error=error_text(exc))
                return None
            fields = made.fields
            log.info("checkpoint_made", sequence=fields["sequence"], position=fields["position"])
            return made

    def start(self) -> bool:
        """Start the schedule; False (nothing started) when the interval is 0 or no signing key
        file is configured."""
        if self.interval_hours <= 0 or not self.key_file or not Path(self.key_file).is_file():
            log.info("checkpoints_not_scheduled",
                     reason="interval 0" if self.interval_hours <= 0 else "no signing key file")
            return False
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self._scheduler.add_job(self.run, "interval", hours=self.interval_hours, id=JOB_ID,
                                max_instances=1, coalesce=True)
        self._scheduler.start()
        return True

    @property
    def job(self) -> Any:
        return None if self._scheduler is None else self._scheduler.get_job(JOB_ID)

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None


__all__ = [
    "BrokenLog", "Checkpoint", "CheckpointSchedule", "against_log", "chain_problem",
    "make_checkpoint", "public_keys_of", "read_checkpoint", "sealed_by", "signature_problem",
    "stored_chain", "stored_problem",
]
