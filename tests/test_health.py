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


def _halt(casework, name: str, reason: str) -> None:
    """Halt a read model as a fold that cannot apply an event does (the checkpoint row says so)."""
    from casework.projections import checkpoints

    casework.projections.catch_up()
    with casework.engine.begin() as conn:
        checkpoints.mark_halted(conn, name, reason)


def test_healthz_is_503_degraded_naming_a_halted_read_model_and_its_position_not_why(casework):
    client = TestClient(create_app(casework))
    _halt(casework, "deadlines", "DataError: value too long, owner='Secret Person'")
    answer = client.get("/healthz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "degraded" and body["schema"] == "current"
    assert body["halted"] == [{"read_model": "deadlines", "position": 0}]
    assert "Secret" not in answer.text  # the reason may quote event data: never shown
