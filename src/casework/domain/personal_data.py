"""Restricted personal data (whistleblower identities, names of adults at risk), sealed so that it
can be erased on request while the history stays intact and verifiable.

Each person gets their own AES-256-GCM key, kept in a key store apart from the events (table
``person_keys``, ``casework.personal_data_store.SqlKeyStore``). Event data holds only
``SealedPerson(person_id, ciphertext)``. ``erase(person_id)`` destroys the key: the ciphertext
left in the events can no longer be read, and no event changes, so ``store.verify()`` still
passes. Only managers may be shown ``reveal``'s answer; nothing here logs personal data.
"""

from __future__ import annotations

import base64
import os
import uuid
from typing import Protocol

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict

from casework.domain.actors import Actor
from casework.domain.errors import Forbidden
from casework.domain.fields import Name, Text
from casework.events.personal_data import SealedPerson

_NONCE_BYTES = 12


class KeyStore(Protocol):
    """Where person keys live. ``put`` stores a key and the latest ciphertext sealed with it."""

    def put(self, person_id: str, key: bytes, ciphertext: str) -> None: ...

    def get(self, person_id: str) -> tuple[bytes, str] | None: ...

    def delete(self, person_id: str) -> bool: ...


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
        """Destroy the person's key; True when there was one. Their data can never be read again."""
        return self.keys.delete(person_id)
