"""The one place where errors become answers: RFC 9457 problem details (application/problem+json).

- ``NotFound`` 404; ``NotAllowed`` 409 with ``current_state`` and ``allowed_actions``;
  ``ConcurrencyError`` 409 with ``current_version``; ``InvalidInput`` and FastAPI's own request
  validation errors 422 with ``errors: [{field, reason}]``; ``Forbidden`` 403;
  ``StoreUnavailable`` 503; the API's own refusals (401, 413, 415) are ``ApiProblem``.
- A refused request appends nothing: every refusal is raised before or instead of an append.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from casework.domain.errors import DomainError, InvalidInput, NotAllowed
from casework.events.errors import (
    ConcurrencyError,
    DuplicateEventError,
    SchemaOutOfDate,
    StoreError,
    StoreUnavailable,
)

log = structlog.get_logger("casework.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:casework:problem:"


class FieldError(BaseModel):
    field: str = Field(description="The field at fault, dotted (e.g. `items.0.due`).")
    reason: str = Field(description="Why it was refused, and what would be accepted.")


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong and what to do next."""

    type: str = Field(description="A URI naming the kind of problem (`urn:casework:problem:…`).")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong in this case, and what to do next.")
    instance: str | None = Field(None, description="The request path that met the problem.")
    request_id: str | None = Field(None, description="Quote it when asking for help.")
    errors: list[FieldError] | None = Field(None, description="422: each field refused and why.")
    current_state: str | None = Field(None, description="409: the state the record is in.")
    allowed_actions: list[str] | None = Field(None, description="409: what that state allows.")
    current_version: int | None = Field(
        None, description="409 stale version: the version to read again and retry with."
    )


class ApiProblem(Exception):
    """A refusal by the HTTP edge itself (authentication, body size, content type)."""

    def __init__(
        self, status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers = headers or {}


def unauthenticated(detail: str) -> ApiProblem:
    return ApiProblem(401, "unauthenticated", "Authentication required", detail,
                      {"WWW-Authenticate": 'Bearer realm="casework"'})


def _schema(description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


# Declared on routes (``responses=``) so that /openapi.json documents every error answer.
ErrorResponses = dict[int | str, dict[str, Any]]
AUTH_ERRORS: ErrorResponses = {
    401: _schema("No valid bearer token: get one with `casework users add NAME --role ROLE`."),
    403: _schema("Your role may not do this."),
    422: _schema("Invalid input: `errors` names each field and why."),
    503: _schema("The store is unavailable; retry later."),
}
READ_ERRORS: ErrorResponses = {**AUTH_ERRORS, 404: _schema("No record with that id.")}
WRITE_ERRORS: ErrorResponses = {
    **READ_ERRORS,
    409: _schema(
        "Not allowed in the current state (`current_state`, `allowed_actions`), or a stale "
        "`expected_version` (`current_version`)."
    ),
    413: _schema("The body is larger than the server accepts."),
    415: _schema("The body must be JSON (`Content-Type: application/json`)."),
}


def problem_response(
    request_scope: Mapping[str, Any] | None,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    scope = request_scope or {}
    body = Problem(
        type=TYPE_BASE + slug if slug != "about:blank" else slug,
        title=title,
        status=status,
        detail=detail,
        instance=scope.get("path"),
        request_id=(scope.get("state") or {}).get("request_id"),
        **extra,
    )
    # Set here as well as by NoStoreMiddleware: a 500 leaves from outside every middleware.
    headers = {"cache-control": "no-store", "x-content-type-options": "nosniff", **(headers or {})}
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInput):
        extra["errors"] = [FieldError(field=f, reason=r) for f, r in exc.errors]
    if isinstance(exc, NotAllowed):
        extra["current_state"] = str(exc.state)
        extra["allowed_actions"] = list(exc.allowed)
    slug = _slug(type(exc).__name__)
    return problem_response(request.scope, exc.status, slug, exc.title, str(exc), **extra)


def _concurrency_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConcurrencyError)
    return problem_response(
        request.scope, 409, "stale-version", "The record changed since you read it",
        f"It is now at version {exc.actual}, not {exc.expected}: read it again, check the change, "
        "and retry with expected_version "
        f"{exc.actual}.",
        current_version=exc.actual,
    )


def _store_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DuplicateEventError):
        return problem_response(
            request.scope, 409, "duplicate-command", "Already done differently",
            "This command id was already used for a different request; use a new Idempotency-Key.",
        )
    if isinstance(exc, StoreUnavailable | SchemaOutOfDate):
        log.warning("store_unavailable", error=type(exc).__name__)
        detail = (
            "The case store is unavailable just now; nothing was recorded. Retry in a minute."
            if isinstance(exc, StoreUnavailable)
            else f"The store's schema does not match this version of Casework: {exc}"
        )
        return problem_response(
            request.scope, 503, "store-unavailable", "Store unavailable", detail,
            headers={"Retry-After": "30"},
        )
    return _unexpected(request, exc)


def _api_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    return problem_response(request.scope, exc.status, exc.slug, exc.title, exc.detail, exc.headers)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(e) for e in exc.errors()]
    fields = ", ".join(sorted({e.field for e in errors})) or "the request"
    return problem_response(
        request.scope, 422, "invalid-input", "Invalid input",
        f"Check {fields}: see `errors` for each field and why.", errors=errors,
    )


def _field_error(error: dict[str, Any]) -> FieldError:
    if error.get("type") == "json_invalid":  # loc is ("body", character offset)
        loc = error.get("loc", ())
        at = f" at character {loc[1]}" if len(loc) > 1 else ""
        cause = (error.get("ctx") or {}).get("error", "")
        return FieldError(field="body", reason=f"is not valid JSON{at}: {cause}".rstrip(": "))
    return FieldError(field=_field_name(error.get("loc", ())), reason=error.get("msg", "invalid"))


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, ApiProblem):  # raised while FastAPI read the body (413)
        return _api_problem(request, exc.__cause__)
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        # FastAPI's answer to a body its JSON reader gave up on, for the reason in __cause__
        return _unreadable_body(request, exc.__cause__)
    titles = {404: "Not found", 405: "Method not allowed"}
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is nothing at {request.url.path}; the API lives under /api/v1 (see /docs)."
    return problem_response(
        request.scope, exc.status_code, "about:blank", titles.get(exc.status_code, "Error"), detail,
        headers=getattr(exc, "headers", None),
    )


def _unreadable_body(request: Request, cause: BaseException | None) -> JSONResponse:
    """422 for a body the JSON reader could not read: nested past the reader's depth (it raises
    RecursionError), or bytes that are not UTF-8 text."""
    if isinstance(cause, RecursionError):
        detail, reason = ("Check body: send JSON nested less deeply.",
                          "is too deeply nested: JSON arrays or objects nested hundreds of levels deep")
    elif isinstance(cause, UnicodeDecodeError):
        detail, reason = "Check body: send JSON text in UTF-8.", "is not valid JSON (not UTF-8 text)"
    else:
        detail, reason = "Check body: send one JSON value.", "is not valid JSON"
    return problem_response(request.scope, 422, "invalid-input", "Invalid input", detail,
                            errors=[FieldError(field="body", reason=reason)])


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected_error", error=type(exc).__name__, exc_info=exc)
    return problem_response(
        request.scope, 500, "internal-error", "Internal error",
        "Something went wrong on our side; nothing you can fix. Quote the request_id when reporting it.",
    )


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        where, rest = parts[0], parts[1:]
        if not rest:
            return where
        return ".".join(rest) if where == "body" else f"{where}.{'.'.join(rest)}"
    return ".".join(parts) or "request"


def _slug(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("-")
        out.append(ch.lower())
    return "".join(out)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers; call once from ``create_app``."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ConcurrencyError, _concurrency_error)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
