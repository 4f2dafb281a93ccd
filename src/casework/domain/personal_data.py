"""Restricted personal data (whistleblower identities, names of adults at risk), sealed so that it
can be erased on request while the history stays intact and verifiable.

Each person gets their own AES-256-GCM key, kept in a key store apart from the events (table
``person_keys``, ``casework.personal_data_store.SqlKeyStore``). Event data holds only
``SealedPerson(person_id, ciphertext)``. ``erase(person_id)`` destroys the key: the ciphertext
left in the events can no longer be read, and no event changes, so ``store.verify()`` still
passes. Only managers may be shown ``reveal``'s answer; nothing here logs personal data.

An erasure is recorded for good with its grounds (``ErasureGrounds``) and an optional note;
``identifies`` tells whether a text would name the person, so that the note never does.
"""

from __future__ import annotations

import base64
import os
import re
import unicodedata
import uuid
from collections.abc import Iterable
from typing import Protocol

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict

from casework.domain.actors import Actor
from casework.domain.errors import Forbidden
from casework.domain.fields import Name, Text
from casework.events.personal_data import ErasureGrounds, SealedPerson

__all__ = ["ErasureGrounds", "InMemoryKeyStore", "KeyStore", "PersonDetails", "PersonVault",
           "identifies"]

_NONCE_BYTES = 12


class KeyStore(Protocol):
    """Where person keys live. ``put`` stores a key and the latest ciphertext sealed with it."""

    def put(self, person_id: str, key: bytes, ciphertext: str) -> None: ...

    def get(self, person_id: str) -> tuple[bytes, str] | None: ...

    def delete(self, person_id: str) -> bool: ...

    def scrub(self) -> bool:
        """Leave no copy of deleted keys in the storage's files (a database may keep deleted rows
        until it reuses their space); False when it could not yet, and should be asked again."""
        ...


class InMemoryKeyStore:
    """For pure tests."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[bytes, str]] = {}

    def put(self, person_id: str, key: bytes, ciphertext: str) -> None:
        self.rows[person_id] = (key, ciphertext)

    def get(self, person_id: str) -> tuple[bytes, str] | None:
        return self.rows.get(person_id)

    def delete(self, person_id: str) -> bool:
        return self.rows.pop(person_id, None) is not None

    def scrub(self) -> bool:
        return True


class PersonDetails(BaseModel):
    """A person as given by a caller: a name and, optionally, how to contact them."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: Name
    contact: Text | None = None

    def to_text(self) -> str:
        return orjson.dumps(self.model_dump(exclude_none=True)).decode()

    @classmethod
    def from_text(cls, text: str) -> PersonDetails:
        try:
            return cls.model_validate_json(text)
        except ValueError:
            return cls(name=text)


class PersonVault:
    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys

    def seal(self, clear: str) -> SealedPerson:
        """Encrypt ``clear`` under a new person's new key; the key is stored before returning."""
        person_id = str(uuid.uuid4())
        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, clear.encode(), person_id.encode())
        ciphertext = base64.b64encode(nonce + sealed).decode()
        self.keys.put(person_id, key, ciphertext)
        return SealedPerson(person_id=person_id, ciphertext=ciphertext)

    def reveal(self, person: str | SealedPerson) -> str | None:
        """The clear text, or None once the person is erased (or was never sealed here).
        Given a ``SealedPerson`` it decrypts that ciphertext; given a person id, the one stored."""
        person_id = person.person_id if isinstance(person, SealedPerson) else person
        row = self.keys.get(person_id)
        if row is None:
            return None
        key, stored = row
        ciphertext = person.ciphertext if isinstance(person, SealedPerson) else stored
        raw = base64.b64decode(ciphertext)
        try:
            clear = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], person_id.encode())
        except InvalidTag:
            return None
        return clear.decode()

    def reveal_details(self, person: str | SealedPerson) -> PersonDetails | None:
        """``reveal`` read as name and contact."""
        clear = self.reveal(person)
        return None if clear is None else PersonDetails.from_text(clear)

    def reveal_for(self, actor: Actor, person: str | SealedPerson) -> PersonDetails | None:
        """``reveal_details`` for a manager; ``Forbidden`` for every other role (pages and the API
        call this, so that the rule lives in one place)."""
        if not actor.may_see_restricted:
            raise Forbidden(str(actor.role), "see restricted personal data")
        return self.reveal_details(person)

    def erase(self, person_id: str) -> bool:
        """Destroy the person's key; True when there was one. Their data can never be read again
        through Casework; ``scrub`` then removes the copies the database files may still hold."""
        return self.keys.delete(person_id)

    def scrub(self) -> bool:
        """Overwrite what is left of erased keys in the key store's files; False when that could
        not be done yet (a transaction older than the erasure is still open): ask again later."""
        return self.keys.scrub()


# Identifying tokens: runs of letters (any script); email addresses; phone numbers, written with
# spaces, dots, dashes, brackets or a leading + between the digits.
_LETTERS = re.compile(r"[^\W\d_]+")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_DIGIT_RUN = re.compile(r"\+?\d[\d\s().+-]*\d")
_SHORTEST_PHONE = 7  # national digits; shorter runs are room numbers, dates and references


def _fold(text: str) -> str:
    """Casefolded, accents and invisible characters (zero-width spaces, joiners) removed, so
    that ``JONES``, ``Jonés`` and ``Jo\u200bnes`` read alike."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in text if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")


def _national(digits: str) -> str:
    """A phone number's digits without the international or trunk prefix: ``+44 7700 900123``,
    ``0044 7700 900123`` and ``07700 900123`` all give ``7700900123``."""
    digits = digits.removeprefix("00")
    if digits.startswith("44") and len(digits) > 10:
        digits = digits[2:]
    return digits.lstrip("0")


def _name_tokens(text: str) -> set[str]:
    """Every part of 2+ letters, each part with its hyphens or apostrophes dropped
    (``smithjones``), and adjacent parts joined (``maryann``)."""
    parts = [_LETTERS.findall(word) for word in text.split()]
    tokens = {piece for pieces in parts for piece in pieces}
    tokens |= {"".join(pieces) for pieces in parts}
    joined = ["".join(pieces) for pieces in parts if pieces]
    tokens |= {a + b for a, b in zip(joined, joined[1:], strict=False)}
    return {t for t in tokens if len(t) >= 2}


def _contact_tokens(contact: str) -> tuple[set[str], set[str], set[str]]:
    """(emails and their local parts, national phone numbers, the other words) of a contact."""
    emails = set(_EMAIL.findall(contact))
    addresses = emails | {e.split("@")[0] for e in emails}
    rest = _EMAIL.sub(" ", contact)
    phones = {_national(re.sub(r"\D", "", run)) for run in _DIGIT_RUN.findall(rest)}
    rest = _DIGIT_RUN.sub(" ", rest)
    local_words = {w for e in emails for w in _LETTERS.findall(e.split("@")[0]) if len(w) >= 3}
    return addresses, {p for p in phones if len(p) >= _SHORTEST_PHONE}, _name_tokens(rest) | local_words


def _has_word(text: str, words: Iterable[str]) -> bool:
    return any(re.search(rf"(?<![\w.]){re.escape(w)}(?![\w])", text) for w in words)


def identifies(text: str, person: PersonDetails) -> bool:
    """Whether ``text`` holds any token of the person's name or contact: a part of the name of two
    letters or more (a hyphenated surname's parts, and the parts joined), an email address or its
    local part, a phone number in any spacing or with +44 / 0044 / 0 in front, or another word of
    the contact. Whole words only: ``Annual`` does not name Ann. It never says which token
    matched, so that a refusal cannot repeat it."""
    folded = _fold(text)
    addresses, phones, words = _contact_tokens(_fold(person.contact or ""))
    words |= _name_tokens(_fold(person.name))
    if words & set(_LETTERS.findall(folded)) or _has_word(folded, addresses):
        return True
    runs = [re.sub(r"\D", "", run) for run in _DIGIT_RUN.findall(folded)]
    return any(phone in run for phone in phones for run in runs)
