"""Erasing a person on request: a whistleblower's identity, or an adult at risk's name.

``erase_person`` destroys the person's key (``PersonVault.erase``): the sealed data left in the
events can never be read again, by anyone, while every event and its hash chain stay as they
were, so ``casework verify`` still passes and the rest of the history still reads. The erasure
itself is recorded as ``PersonErased`` on stream ``person-<person_id>`` (in the provider's history
when a record of that provider mentions the person): who erased it, when, on which grounds (one of
``ErasureGrounds``) and an optional note, never who the person was: a note holding any token of
the person's name or contact is refused (``identifies``), since every role reads it for good.
Then the key store is scrubbed, so no copy of the key stays in the database's files
(``SqlKeyStore.scrub``); ``Erasure.scrubbed`` is False when that must be tried again.

Erasing twice is harmless: the second time appends nothing and reports the first erasure.
Persistence side: it searches the log's text for the person's id (a full scan; erasures are rare).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import select

from casework.domain.actors import Actor, Role
from casework.domain.errors import Forbidden, InvalidInput, NotFound
from casework.domain.personal_data import ErasureGrounds, PersonVault, identifies
from casework.events import ConcurrencyError, Metadata, to_new_event
from casework.events.personal_data import PersonErased
from casework.events.schema import events as T
from casework.events.store import EventStore, StoredEvent

log = structlog.get_logger("casework.erasure")

MAY_ERASE = frozenset({Role.manager, Role.admin})
NOTE_NAMES_THE_PERSON = (
    "must not contain the person's name or contact details: the note is kept for good and shown "
    "to every role; give the request's reference or date instead"
)


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
    scrubbed: bool = True  # False: the database files may still hold the key; erase again


def erase_person(
    store: EventStore, vault: PersonVault, person_id: str, grounds: ErasureGrounds | str,
    actor: Actor, note: str | None = None,
) -> Erasure:
    """Destroy ``person_id``'s key, record the grounds and the note, and scrub the key store.
    ``NotFound`` when no key and no event names that person; ``InvalidInput`` on a malformed id,
    grounds not in ``ErasureGrounds``, or a note that names the person (it stays in the history for
    good); ``Forbidden`` unless a manager or an admin. Erasing again records nothing and scrubs
    again (how to finish an erasure whose ``scrubbed`` was False)."""
    if actor.role not in MAY_ERASE:
        raise Forbidden(actor.role.value, "erase a person's data (managers and admins only)")
    person_id = _check_id(person_id)
    grounds = _check_grounds(grounds)
    note = (note or "").strip() or None
    stream = person_stream(person_id)
    earlier = store.read_stream(stream)
    if earlier:
        vault.erase(person_id)  # finishes an erasure interrupted after its event was recorded
        return _report(earlier[0], already=True, scrubbed=vault.scrub())
    details = vault.reveal_details(person_id)
    if note is not None and details is not None and identifies(note, details):
        raise InvalidInput("note", NOTE_NAMES_THE_PERSON)
    mentioned_in, provider_id = _first_mention(store, person_id)
    if mentioned_in is None and vault.keys.get(person_id) is None:
        raise NotFound("person", person_id)
    event = to_new_event(
        PersonErased(person_id=person_id, grounds=grounds),
        metadata=Metadata(actor=actor.name, provider_id=provider_id, reason=note),
        occurred_at=store.clock.now(),
    )
    try:
        stored = store.append(stream, [event], expected_version=0)
    except ConcurrencyError:  # erased by someone else at this very moment
        vault.erase(person_id)
        return _report(store.read_stream(stream)[0], already=True, scrubbed=vault.scrub())
    vault.erase(person_id)
    scrubbed = vault.scrub()
    log.info("person_erased", person_id=person_id, stream=mentioned_in, actor=actor.name,
             grounds=grounds.value, scrubbed=scrubbed)
    return _report(stored[0], already=False, mentioned_in=mentioned_in, scrubbed=scrubbed)


def _check_grounds(grounds: ErasureGrounds | str) -> ErasureGrounds:
    try:
        return ErasureGrounds((grounds or "").strip())
    except ValueError:
        raise InvalidInput(
            "grounds", "choose one of: " + ", ".join(g.value for g in ErasureGrounds)
        ) from None


def _check_id(person_id: str) -> str:
    try:
        return str(uuid.UUID(person_id.strip()))
    except (ValueError, AttributeError):
        raise InvalidInput(
            "person_id", "not a person id: it looks like 0b6f3c1e-5d0a-4a53-9a59-2f0d9c1b7e42; "
            "managers see it beside the name on the record"
        ) from None


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


def _report(
    stored: StoredEvent, *, already: bool, scrubbed: bool, mentioned_in: str | None = None
) -> Erasure:
    return Erasure(
        person_id=stored.data["person_id"], erased_at=stored.recorded_at, erased_by=stored.actor or "",
        already=already, provider_id=stored.provider_id, mentioned_in=mentioned_in, scrubbed=scrubbed,
    )
