"""How restricted personal data appears inside event data: never in clear.

A whistleblower's identity or an adult at risk's name is sealed by
``casework.domain.personal_data.PersonVault`` with a key of that person's own, kept apart from the
events. Erasing the person destroys the key: the ciphertext stays in the (hash-chained) history
but can no longer be read.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from casework.events.base import DomainEvent


class SealedPerson(BaseModel):
    """``person_id`` names the key in the vault; ``ciphertext`` is base64 (nonce + AES-GCM)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: str
    ciphertext: str


class PersonErased(DomainEvent, type_name="PersonErased"):
    """A person's restricted data was erased on request (stream ``person-<person_id>``): their
    key is destroyed, so the sealed data left in the history can never be read again. Holds the
    person's id only, never who they were; the reason and who erased it are in the metadata."""

    person_id: str
