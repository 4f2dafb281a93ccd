"""Every form post of the web pages, fuzzed from the form's own fields, on both backends (what
``test_openapi_fuzzing.py`` does for the API, whose schema does not describe the pages).

Each post is signed in as a manager (every form is offered to managers), carries the session's
CSRF token and aims at real records (``make_records``), so it reaches the command. No answer may
be a 500; a refusal (4xx) stores nothing; whatever is stored goes on a stream whose id the server
made or the path named (never one the post chose); and no read model halts on what was stored.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from casework.api.app import create_app
from casework.bootstrap import Casework

from .records import make_records
from .test_bad_input_over_http import signed_in
from .web_forms import FORM_ROUTES, FormRoute, posts

# Posts per form: the broad search on SQLite, a smaller one on PostgreSQL (about 30 s and 15 s).
EXAMPLES = {"sqlite": 30, "postgresql": 15}


def _server_made(stream: str, known: set[str]) -> bool:
    """The stream's id is one the path named or a UUID the server made."""
    if any(stream.endswith(f"-{ident}") for ident in known):
        return True
    try:
        return str(uuid.UUID(stream[-36:])) == stream[-36:]
    except ValueError:
        return False


@pytest.fixture
def site(casework: Casework, tokens: dict[str, str]) -> Iterator[tuple[TestClient, str, dict[str, str]]]:
    ids = make_records(casework)
    app = create_app(casework)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        yield client, signed_in(client, tokens["manager"]), ids


def fuzz_form(cw: Casework, client: TestClient, csrf: str, ids: dict[str, str], route: FormRoute,
              examples: int, answers: Counter[int]) -> None:
    known = set(ids.values())

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(data=posts(route, ids))
    def run(data: dict[str, Any]) -> None:
        head = cw.store.head_position()
        answer = client.post(route.url(ids), data={**data, "csrf_token": csrf}, follow_redirects=False)
        answers[answer.status_code] += 1
        assert answer.status_code < 500, f"{route.path} {answer.status_code}: {data!r}"
        stored = cw.store.read_all(after=head, limit=100)
        if answer.status_code >= 400:
            assert not stored, f"{route.path} {answer.status_code} stored {[e.type for e in stored]}"
        for event in stored:
            assert _server_made(event.stream, known), f"{route.path}: {event.stream} chosen by the post"
        assert cw.projections.halted == {}, f"{route.path}: {data!r}"

    run()


def test_every_web_form_answers_without_a_500_and_stores_only_what_it_should(
    casework: Casework, site: tuple[TestClient, str, dict[str, str]]
) -> None:
    client, csrf, ids = site
    examples = EXAMPLES[casework.engine.dialect.name]
    answers: Counter[int] = Counter()
    failures: list[str] = []
    started = time.perf_counter()
    for route in FORM_ROUTES:
        try:
            fuzz_form(casework, client, csrf, ids, route, examples, answers)
        except (Exception, BaseExceptionGroup) as exc:  # every form's failures, then report
            failures.append(f"{route.path} [{route.action}]: {exc}")
    print(f"web forms: {len(FORM_ROUTES)} forms, {sum(answers.values())} posts in "
          f"{time.perf_counter() - started:.1f}s, answers {dict(sorted(answers.items()))}")
    assert not failures, "\n\n".join(failures)
    # The posts reached the domain: some were accepted (303), some refused as invalid (422).
    assert answers[303] >= len(FORM_ROUTES) // 2 and answers[422] > 0, answers
