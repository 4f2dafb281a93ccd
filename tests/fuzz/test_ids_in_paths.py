"""Ids in paths, for every route that has one, on the API and the web pages, on both backends.

Each path id is drawn from any Unicode text (Japanese, right-to-left, emoji, NUL), the characters
a URL treats specially (``/``, ``?``, ``#``, ``%``, ``.``, all percent-encoded so that they reach
the route as part of the id) and very long text (150 to 5,000 characters), one parameter at a
time while the others name real records. The rest of the request is valid: the API's body and
query are generated from the OpenAPI schema (schemathesis, positive mode), a web form post
carries plausible values for the form's fields. The answer is never a 500, and nothing is
stored for an id that names no record.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from starlette.routing import Route

from casework.api.app import create_app
from casework.bootstrap import Casework
from casework.domain.actors import Actor, Role
from casework.web import PAGE_ROUTERS

from .records import make_records
from .test_bad_input_over_http import signed_in
from .web_forms import FORM_ROUTES, FormRoute, posts

# Requests per route: about 15 s on SQLite and 8 s on PostgreSQL on the shared 2-core machine.
EXAMPLES = {"sqlite": 20, "postgresql": 10}
IDS = st.one_of(
    st.text(min_size=1, max_size=40),
    st.text(alphabet="/\\?#%.;:~ '\"<>&=+", min_size=1, max_size=8),
    st.integers(150, 5_000).map(lambda n: "x" * n),
    st.text(min_size=150, max_size=400),
    st.sampled_from(["名前", "bad/id", "..", ".", "%2F", "a b", "\u202e", "👩🏽‍⚕️", "0" * 64]),
)


def encoded(ident: str) -> str:
    """The id as one path segment: every reserved character and the dots percent-encoded."""
    return quote(ident, safe="").replace(".", "%2E")


@pytest.fixture
def site(casework: Casework, tokens: dict[str, str]) -> Iterator[tuple[Any, TestClient, str, dict[str, str]]]:
    ids = {**make_records(casework), "person_id": str(uuid.uuid4()),  # nobody: erasing is 404
           "name": "officer",  # a user (tokens), and the secret token of a calendar feed
           "token": casework.users.issue_calendar("officer", Actor("test-admin", Role.admin))}
    app = create_app(casework)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        yield app, client, signed_in(client, tokens["manager"]), ids


def _settings(examples: int) -> Any:
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck), print_blob=True)


def fuzz_api_ids(cw: Casework, operation: Any, ids: dict[str, str], headers: dict[str, str],
                 examples: int, answers: Counter[int]) -> None:
    params = [p.name for p in operation.path_parameters]

    @_settings(examples)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        fuzzed = data.draw(st.sampled_from(params), label="parameter")
        ident = data.draw(IDS, label="id")
        path = {p: quote(ids[p], safe="") for p in params} | {fuzzed: encoded(ident)}
        case = data.draw(operation.as_strategy(generation_mode=GenerationMode.POSITIVE,
                                               headers=headers, path_parameters=path))
        head = cw.store.head_position()
        answer = case.call()
        answers[answer.status_code] += 1
        assert answer.status_code < 500, f"{operation.label} {fuzzed}={ident!r}: {answer.status_code}"
        assert cw.store.head_position() == head, f"{operation.label} {fuzzed}={ident!r} stored"

    run()


def test_no_id_in_an_api_path_gives_a_500(casework: Casework, site: Any, tokens: dict[str, str]) -> None:
    app, _, _, ids = site
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {tokens['manager']}"}
    examples = EXAMPLES[casework.engine.dialect.name]
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [o for o in operations if o.path_parameters]
    answers: Counter[int] = Counter()
    failures: list[str] = []
    started = time.perf_counter()
    for operation in operations:
        try:
            fuzz_api_ids(casework, operation, ids, headers, examples, answers)
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, then report
            failures.append(f"{operation.label}: {exc}")
    print(f"ids in API paths: {len(operations)} operations, {sum(answers.values())} requests in "
          f"{time.perf_counter() - started:.1f}s, answers {dict(sorted(answers.items()))}")
    assert not failures, "\n\n".join(failures)
    assert len(operations) >= 40 and answers[404] > 0


def _web_routes_with_ids() -> list[tuple[str, str]]:
    found = []
    for router in PAGE_ROUTERS:
        for route in router.routes:
            if isinstance(route, Route) and "{" in route.path:
                found += [(method, route.path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


def test_no_id_in_a_web_path_gives_a_500(casework: Casework, site: Any) -> None:
    _, client, csrf, ids = site
    examples = EXAMPLES[casework.engine.dialect.name]
    routes = _web_routes_with_ids()
    # Every web route with an id is a page (GET) or one of the forms the form fuzzer posts.
    form_paths = {r.path.replace("{", "").replace("}", "") for r in FORM_ROUTES}
    answers: Counter[int] = Counter()
    failures: list[str] = []
    for method, template in routes:
        forms = [r for r in FORM_ROUTES if _matches(r.path, template)] if method == "POST" else [None]
        assert forms, f"POST {template} has no form in tests/fuzz/web_forms.py"
        for form in forms:
            target = form.path if form else template.replace("{action}", "x")
            try:
                fuzz_web_ids(casework, client, csrf, ids, method, target, form, examples, answers)
            except (Exception, BaseExceptionGroup) as exc:  # every route's failures, then report
                failures.append(f"{method} {target}: {exc}")
    print(f"ids in web paths: {len(routes)} routes, answers {dict(sorted(answers.items()))}")
    assert not failures, "\n\n".join(failures)
    assert form_paths and answers[404] > 0


def fuzz_web_ids(cw: Casework, client: TestClient, csrf: str, ids: dict[str, str], method: str,
                 target: str, form: FormRoute | None, examples: int, answers: Counter[int]) -> None:
    params = [p for p in ids if "{" + p + "}" in target]

    @_settings(examples)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        fuzzed = data.draw(st.sampled_from(params), label="parameter")
        ident = data.draw(IDS, label="id")
        url = target.format(**{p: quote(ids[p], safe="") for p in params} | {fuzzed: encoded(ident)})
        head = cw.store.head_position()
        if form is None:
            answer = client.get(url)
        else:
            body = data.draw(posts(form, ids), label="form")
            answer = client.post(url, data={**body, "csrf_token": csrf}, follow_redirects=False)
        answers[answer.status_code] += 1
        assert answer.status_code < 500, f"{method} {target} {fuzzed}={ident!r}: {answer.status_code}"
        assert cw.store.head_position() == head, f"{method} {target} {fuzzed}={ident!r} stored"

    run()


def _matches(path: str, template: str) -> bool:
    """``/intelligence/{record_id}/assess`` is a case of ``/intelligence/{record_id}/{action}``."""
    a, b = path.split("/"), template.split("/")
    return len(a) == len(b) and all(x == y or y.startswith("{") and (x.startswith("{") or y == "{action}")
                                    for x, y in zip(a, b, strict=True))
