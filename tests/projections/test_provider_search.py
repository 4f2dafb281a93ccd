"""Provider search (``q``) finds what was typed: ``%`` and ``_`` are characters, not wildcards,
in the read model's query and over the API (the web providers list calls the same query)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.domain.actors import Actor, Role
from casework.projections import list_providers

from .builders import Recorder

NAMES = ["Care 50% Ltd", "Care 500 Ltd", "Rose_Court", "Rose Court", "Oak/House", "Oak House"]


def test_search_treats_percent_underscore_and_slash_as_themselves(casework) -> None:
    r = Recorder(casework.store)
    ids = {name: r.provider(name) for name in NAMES}

    def found(q: str) -> set[str]:
        return {v.name for v in list_providers(casework, q=q)}

    assert found("50%") == {"Care 50% Ltd"}
    assert found("_") == {"Rose_Court"}
    assert found("e_c") == {"Rose_Court"}
    assert found("%") == {"Care 50% Ltd"}
    assert found("k/h") == {"Oak/House"}
    assert found("oak") == {"Oak/House", "Oak House"}  # still a case-blind part of the name
    assert found("50") == {"Care 50% Ltd", "Care 500 Ltd"}

    token = casework.users.add("searcher", Role.officer, Actor("test-admin", Role.admin)).token
    with TestClient(create_app(casework)) as client:
        answer = client.get("/api/v1/providers", params={"q": "50%"},
                            headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    items = body["items"] if isinstance(body, dict) else body
    assert [p["id"] for p in items] == [ids["Care 50% Ltd"]]

