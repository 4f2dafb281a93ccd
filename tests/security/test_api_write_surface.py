"""The API's role matrix (tests/api/test_role_matrix.py) covers every POST route x every role;
this makes sure POST is every write there is: no PUT, PATCH or DELETE route escapes it, and no
GET route an auditor may call appends anything."""

from __future__ import annotations


def test_every_write_route_is_a_post_covered_by_the_role_matrix(site) -> None:
    _, http = site
    spec = http.client.get("/openapi.json").json()
    methods = {m for ops in spec["paths"].values() for m in ops}
    assert methods <= {"get", "post"}, methods


def test_an_auditor_reading_every_get_route_appends_nothing(site) -> None:
    cw, http = site
    spec = http.client.get("/openapi.json").json()
    provider = http.created("manager", "/providers", {"name": "Elm Court", "service_type": "home_care"})
    before = cw.store.head_position()
    for path, ops in spec["paths"].items():
        if "get" in ops:
            filled = path.replace("{provider_id}", provider)
            answer = http.get("auditor", filled.removeprefix("/api/v1")) if path.startswith("/api/v1") \
                else http.client.get(filled)
            assert answer.status_code < 500, (path, answer.status_code)
    assert cw.store.head_position() == before
