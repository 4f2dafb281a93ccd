"""The person vault: per-person keys, erasure destroys the key."""

from __future__ import annotations

import pytest

from casework.domain.actors import Actor, Role
from casework.domain.errors import Forbidden
from casework.domain.personal_data import InMemoryKeyStore, PersonVault


def test_sealed_text_is_revealed_until_the_person_is_erased():
    vault = PersonVault(InMemoryKeyStore())
    sealed = vault.seal("Josephine Bloggs")
    # The name is not in the ciphertext (a long name: two letters may occur in base64 by chance).
    assert "Josephine" not in sealed.ciphertext and "Bloggs" not in sealed.ciphertext
    assert vault.reveal(sealed.person_id) == "Josephine Bloggs"
    assert vault.reveal(sealed) == "Josephine Bloggs"
    assert vault.erase(sealed.person_id) is True
    assert vault.reveal(sealed) is None and vault.reveal(sealed.person_id) is None
    assert vault.erase(sealed.person_id) is False


def test_each_person_has_their_own_key():
    vault = PersonVault(InMemoryKeyStore())
    a, b = vault.seal("A"), vault.seal("B")
    vault.erase(a.person_id)
    assert vault.reveal(b) == "B"
    # a ciphertext moved to another person's id does not decrypt
    forged = b.model_copy(update={"ciphertext": a.ciphertext})
    assert vault.reveal(forged) is None


@pytest.mark.parametrize("role", [Role.officer, Role.auditor, Role.admin])
def test_only_managers_are_shown_restricted_personal_data(role):
    vault = PersonVault(InMemoryKeyStore())
    sealed = vault.seal('{"name": "Jo", "contact": "07700"}')
    assert vault.reveal_for(Actor("mo", Role.manager), sealed).name == "Jo"
    with pytest.raises(Forbidden):
        vault.reveal_for(Actor("x", role), sealed)
