"""How restricted personal data appears inside event data: never in clear.

A whistleblower's identity or an adult at risk's name is sealed by
``casework.domain.personal_data.PersonVault`` with a key of that person's own, kept apart from the
events. Erasing the person destroys the key: the ciphertext stays in the (hash-chained) history
but can no longer be read.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from casework.events.base import DomainEvent


class SealedPerson(BaseModel):
    """``person_id`` names the key in the vault; ``ciphertext`` is base64 (nonce + AES-GCM)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: str
    ciphertext: str


class ErasureGrounds(StrEnum):
    """Why a person's data may be erased: a fixed list, so that what is kept for good about an
    erasure can never carry who the person was (a free-text reason could)."""

    data_subject_request = "data_subject_request"      # the person asked (UK GDPR article 17)
    consent_withdrawn = "consent_withdrawn"            # e.g. a whistleblower withdrew consent
    retention_period_ended = "retention_period_ended"  # the council's retention schedule
    recorded_in_error = "recorded_in_error"            # the wrong person, or never needed
    court_order = "court_order"


class PersonErased(DomainEvent, type_name="PersonErased"):
    """A person's restricted data was erased on request (stream ``person-<person_id>``): their
    key is destroyed, so the sealed data left in the history can never be read again. Holds the
    person's id and the grounds, never who they were; who erased it and the optional note are in
    the metadata (``actor``, ``reason``). ``grounds`` is None on erasures recorded before there
    were grounds (their metadata ``reason`` is free text)."""

    person_id: str
    grounds: ErasureGrounds | None = None
