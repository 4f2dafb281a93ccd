"""The FastAPI application: routers are assembled here and nowhere else.

JSON API under ``/api/v1``; ``/healthz`` (no auth); ``/metrics`` (Prometheus text, no auth:
api/metrics.py) unless ``settings.metrics`` is false; ``/openapi.json``; ``/docs`` and ``/redoc``
from vendored assets (api/docs.py) unless ``settings.api_docs`` is false. The path ``/`` is left
free for the web interface.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from casework import __version__
from casework.api import API_PREFIX
from casework.api.docs import mount_docs
from casework.api.idempotency import IdempotencyStore
from casework.api.metrics import mount_metrics
from casework.api.middleware import (
    BodyLimitMiddleware,
    ConsistencyMiddleware,
    NoStoreMiddleware,
    RequestContextMiddleware,
)
from casework.api.problems import install_problem_handlers
from casework.api.routes import ROUTERS
from casework.bootstrap import Casework
from casework.events.errors import StoreError
from casework.events.store.database import schema_is_current
from casework.projections.status import Lag
from casework.warmup import Warmup
from casework.web import mount_web, not_found_page

__all__ = ["API_PREFIX", "create_app"]


def _pages_for_browsers(app: FastAPI) -> None:
    """A browser asking for a page that is not there (outside the API) gets a page saying so;
    the API, and any client that does not ask for HTML, keeps its problem details."""
    problem = app.exception_handlers[StarletteHTTPException]

    def answer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        outside_api = not request.url.path.startswith(f"{API_PREFIX}/")
        if exc.status_code == 404 and outside_api and "text/html" in request.headers.get("accept", ""):
            return not_found_page(request)
        return problem(request, exc)  # type: ignore[return-value]

    app.add_exception_handler(StarletteHTTPException, answer)


def create_app(casework: Casework, warmup: Warmup | None = None) -> FastAPI:
    """The app over ``casework``. ``warmup``: the background start of a serving process (its read
    models catching up with the log); ``/healthz`` answers 503 ``starting`` until it is done."""
    app = FastAPI(
        title="Casework",
        version=__version__,
        description=(
            "Event-sourced case management for council quality and contracts teams.\n\n"
            "Authenticate with `Authorization: Bearer TOKEN` (from `casework users add NAME "
            "--role ROLE`). Errors are RFC 9457 problem details. Send `Idempotency-Key` on "
            "writes to make retries safe. Times are ISO 8601, returned in UTC."
        ),
        # FastAPI's own pages load script from a CDN: ours are served from this server.
        docs_url=None,
        redoc_url=None,
    )
    app.state.casework = casework
    # A server's commands answer before the read models fold them; each read waits for what
    # its reader wrote (ConsistencyMiddleware, projections/consistency.py).
    casework.projections.deferred = casework.settings.read_models_deferred
    app.state.users = casework.users
    app.state.idempotency = IdempotencyStore(casework.engine, casework.clock)
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    if casework.settings.api_docs:
        mount_docs(app)
    if casework.settings.metrics:
        mount_metrics(app, casework, warmup)
    mount_web(app)  # the team's web pages at /, assets at /static
    _pages_for_browsers(app)
    # Added last = outermost: every answer, even a 413, carries a request id and is logged.
    app.add_middleware(BodyLimitMiddleware, max_bytes=casework.settings.max_body_bytes)
    app.add_middleware(NoStoreMiddleware)
    app.add_middleware(ConsistencyMiddleware, secure_cookies=casework.settings.secure_cookies)
    app.add_middleware(RequestContextMiddleware)

    @app.get("/healthz", tags=["health"], summary="Store reachable, schema current, read models' lag")
    def healthz() -> JSONResponse:
        if warmup is not None and not warmup.done:
            return JSONResponse(_starting(casework), status_code=503)
        try:
            casework.store.ping()
            current = schema_is_current(casework.engine)
            lags = casework.projections.lags() if current else []
        except (StoreError, Exception) as exc:  # any failure to reach the store is "down"
            return JSONResponse(
                {"status": "unavailable", "store": "unreachable", "detail": type(exc).__name__},
                status_code=503,
            )
        # A halted read model serves stale answers: say which, and where (never why: the
        # reason may quote event data), so a load balancer can act.
        halted = [{"read_model": lag.name, "position": lag.position} for lag in lags if lag.halted]
        healthy = current and not halted
        body: dict[str, object] = {
            "status": "ok" if healthy else "degraded",
            "store": casework.engine.dialect.name,
            "schema": "current" if current else "out of date: run casework db upgrade",
            "version": __version__,
        }
        if lags:
            body["head"] = lags[0].head
            body["read_models"] = [{"read_model": lag.name, "position": lag.position,
                                    "lag": lag.events} for lag in lags]
        # Behind, but answering: reported for people and alerts, never a 503 (every process
        # reads the same read models, so taking this one out of service would not help).
        lagging = [_lagging(lag) for lag in lags if not lag.halted and _is_lagging(lag, casework)]
        if lagging:
            body["lagging"] = lagging
        if halted:
            body["halted"] = halted
        if warmup is not None and warmup.failed:
            body["status"] = "degraded"
            body["startup"] = f"the read models could not catch up ({warmup.failed}): see the log"
            return JSONResponse(body, status_code=503)
        return JSONResponse(body, status_code=200 if healthy else 503)

    return app


def _is_lagging(lag: Lag, casework: Casework) -> bool:
    settings = casework.settings
    return lag.events > settings.health_lag_events or lag.seconds > settings.health_lag_seconds


def _lagging(lag: Lag) -> dict[str, object]:
    return {"read_model": lag.name, "lag": lag.events, "seconds_behind": round(lag.seconds, 1)}


def _starting(casework: Casework) -> dict[str, object]:
    """What a starting server says: the read models are catching up, and how far they have got
    (checkpoint positions, read without waiting for the catch-up's lock)."""
    body: dict[str, object] = {"status": "starting", "version": __version__,
                               "detail": "the read models are catching up with the log"}
    try:
        body["head"] = casework.store.head_position()
        body["read_models"] = [{"read_model": s.name, "position": s.position}
                               for s in casework.projections.status()]
    except Exception:  # a starting server may not reach its store yet: "starting" says enough
        pass
    return body

