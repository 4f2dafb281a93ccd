"""Issue 20's small HTTP points: a browser asking for a path with nothing at it gets an HTML
page, the API keeps problem details; a JSON body nested too deeply is called that, not "not
UTF-8 text"."""

from __future__ import annotations

PROBLEM = "application/problem+json"
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_an_unknown_page_answers_a_browser_with_an_html_404(client):
    answer = client.get("/no-such-page", headers=BROWSER)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Page not found" in answer.text and "/no-such-page" in answer.text


def test_api_paths_and_non_browsers_keep_problem_details(client):
    asked = (("/api/v1/no-such-list", BROWSER), ("/no-such-page", {"accept": "application/json"}),
             ("/no-such-page", {}))
    for path, headers in asked:
        answer = client.get(path, headers=headers)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == PROBLEM, (path, headers)


def test_json_nested_too_deeply_is_called_too_deeply_nested(client, casework, as_role):
    head = casework.store.head_position()
    answer = client.post("/api/v1/providers", content=b"[" * 100_000,
                         headers={**as_role("officer"), "content-type": "application/json"})
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    (error,) = answer.json()["errors"]
    assert error["field"] == "body" and "too deeply nested" in error["reason"]
    assert "UTF-8" not in answer.text
    assert casework.store.head_position() == head


def test_bytes_that_are_not_utf8_are_still_called_that(client, as_role):
    answer = client.post("/api/v1/providers", content=b'{"name": "\xff"}',
                         headers={**as_role("officer"), "content-type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["reason"] == "is not valid JSON (not UTF-8 text)"
