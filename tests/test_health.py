from fastapi.testclient import TestClient

from casework.api.app import create_app


def test_healthz_reports_the_store_reachable_and_the_schema_current(casework):
    client = TestClient(create_app(casework))
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert body["schema"] == "current"
    assert body["store"] in ("sqlite", "postgresql")
