"""Erasing a person on request: a whistleblower's identity, or an adult at risk's name.

``erase_person`` destroys the person's key (``PersonVault.erase``): the sealed data left in the
events can never be read again, by anyone, while every event and its hash chain stay as they
were, so ``casework verify`` still passes and the rest of the history still reads. The erasure
itself is recorded as ``PersonErased`` on stream ``person-<person_id>`` (in the provider's history
when a record of that provider mentions the person): who erased it, when and why, never who the
person was.

Erasing twice is harmless: the second time appends nothing and reports the first erasure.
Persistence side: it searches the log's text for the person's id (a full scan; erasures are rare).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import select

from casework.domain.actors import Actor, Role
from casework.domain.errors import Forbidden, InvalidInput, NotFound
from casework.domain.personal_data import PersonVault
from casework.events import ConcurrencyError, Metadata, to_new_event
from casework.events.personal_data import PersonErased
from casework.events.schema import events as T
from casework.events.store import EventStore, StoredEvent

log = structlog.get_logger("casework.erasure")

MAY_ERASE = frozenset({Role.manager, Role.admin})


def person_stream(person_id: str) -> str:
    return f"person-{person_id}"


@dataclass(frozen=True)
class Erasure:
    """What ``erase_person`` did. ``already`` is True when the person had been erased before
    (``erased_at`` and ``erased_by`` are then those of the first erasure)."""

    person_id: str
    erased_at: datetime
    erased_by: str
    already: bool
    provider_id: str | None
    mentioned_in: str | None  # the stream of the record that named the person


def erase_person(
    store: EventStore, vault: PersonVault, person_id: str, reason: str, actor: Actor
) -> Erasure:
    """Destroy ``person_id``'s key and record why. ``NotFound`` when no key and no event names
    that person; ``InvalidInput`` on a malformed id or an empty reason, or a reason that names the
    person (it stays in the history for good); ``Forbidden`` unless a manager or an admin."""
    if actor.role not in MAY_ERASE:
        raise Forbidden(actor.role.value, "erase a person's data (managers and admins only)")
    person_id = _check_id(person_id)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", "say why the data is erased (e.g. 'erasure request of 2 March')")
    stream = person_stream(person_id)
    earlier = store.read_stream(stream)
    if earlier:
        vault.erase(person_id)  # finishes an erasure interrupted after its event was recorded
        return _report(earlier[0], already=True)
    _refuse_a_reason_naming_the_person(vault, person_id, reason)
    mentioned_in, provider_id = _first_mention(store, person_id)
    if mentioned_in is None and vault.keys.get(person_id) is None:
        raise NotFound("person", person_id)
    event = to_new_event(
        PersonErased(person_id=person_id),
        metadata=Metadata(actor=actor.name, provider_id=provider_id, reason=reason),
        occurred_at=store.clock.now(),
    )
    try:
        stored = store.append(stream, [event], expected_version=0)
    except ConcurrencyError:  # erased by someone else at this very moment
        vault.erase(person_id)
        return _report(store.read_stream(stream)[0], already=True)
    vault.erase(person_id)
    log.info("person_erased", person_id=person_id, stream=mentioned_in, actor=actor.name)
    return _report(stored[0], already=False, mentioned_in=mentioned_in)


def _check_id(person_id: str) -> str:
    try:
        return str(uuid.UUID(person_id.strip()))
    except (ValueError, AttributeError):
        raise InvalidInput(
            "person_id", "not a person id: it looks like 0b6f3c1e-5d0a-4a53-9a59-2f0d9c1b7e42; "
            "managers see it beside the name on the record"
        ) from None


def _refuse_a_reason_naming_the_person(vault: PersonVault, person_id: str, reason: str) -> None:
    details = vault.reveal_details(person_id)
    if details is None:
        return
    lowered = reason.casefold()
    # Any word of the name, or any part of the contact, would identify them.
    parts = [*details.name.split(), *re.split(r"[,;\n]", details.contact or "")]
    if any(len(p.strip()) >= 3 and p.strip().casefold() in lowered for p in parts):
        raise InvalidInput(
            "reason", "the reason names the person or their contact; it is kept in the history for "
            "good, so give the request's date or reference instead"
        )


def _first_mention(store: EventStore, person_id: str) -> tuple[str | None, str | None]:
    query = (
        select(T.c.stream, T.c.provider_id)
        .where(T.c.data.contains(person_id, autoescape=True), T.c.type != PersonErased.type_name)
        .order_by(T.c.position)
        .limit(1)
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    return (None, None) if row is None else (row[0], row[1])


def _report(stored: StoredEvent, *, already: bool, mentioned_in: str | None = None) -> Erasure:
    return Erasure(
        person_id=stored.data["person_id"], erased_at=stored.recorded_at, erased_by=stored.actor or "",
        already=already, provider_id=stored.provider_id, mentioned_in=mentioned_in,
    )
