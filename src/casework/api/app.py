"""The FastAPI application: routers are assembled here and nowhere else."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from casework import __version__
from casework.bootstrap import Casework
from casework.db import schema_is_current
from casework.events.errors import StoreError


def create_app(casework: Casework) -> FastAPI:
    app = FastAPI(
        title="Casework",
        version=__version__,
        description="Event-sourced case management for council quality and contracts teams.",
    )
    app.state.casework = casework

    @app.get("/healthz", tags=["health"], summary="Store reachable and schema current")
    def healthz() -> JSONResponse:
        try:
            casework.store.ping()
            current = schema_is_current(casework.engine)
        except (StoreError, Exception) as exc:  # any failure to reach the store is "down"
            return JSONResponse(
                {"status": "unavailable", "store": "unreachable", "detail": type(exc).__name__},
                status_code=503,
            )
        body = {
            "status": "ok" if current else "degraded",
            "store": casework.engine.dialect.name,
            "schema": "current" if current else "out of date: run casework db upgrade",
            "version": __version__,
        }
        return JSONResponse(body, status_code=200 if current else 503)

    return app
