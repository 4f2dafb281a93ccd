"""ASGI middleware: request ids and structured access logs; body size and content type limits.

The access log names the request id, user, method, path template (``/api/v1/providers/{id}``,
never the concrete path or query string), status and latency: no bodies, no tokens, no names.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casework.api.problems import ApiProblem, FieldError, problem_response
from casework.projections import consistency

access_log = structlog.get_logger("casework.access")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class RequestContextMiddleware:
    """X-Request-ID in (when well-formed) and out; one access log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and REQUEST_ID.match(given) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = getattr(scope.get("route"), "path", None)
            if route is None:  # a mounted app (docs, static files): its own path; never a 404's
                route = scope["path"] if status["code"] != 404 else "unmatched"
            access_log.info(
                "request",
                request_id=request_id,
                method=scope["method"],
                path=route,
                status=status["code"],
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                user=state.get("user"),
            )
            structlog.contextvars.unbind_contextvars("request_id")


class NoStoreMiddleware:
    """``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff`` on every answer: API
    answers (identities among them) must not stay in a browser's or a proxy's cache, nor be read
    as anything but what they say they are. Static assets (``/static/``, ``/docs/assets/``) keep
    the caching they ask for. Problem responses set both themselves, for the 500s that the
    framework sends from outside every middleware."""

    STATIC = ("/static/", "/docs/assets/")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(self.STATIC)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                if b"x-content-type-options" not in present:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ConsistencyMiddleware:
    """Read-your-writes for a reader's next request, whichever server process answers it
    (projections/consistency.py). A request that appended answers with ``Casework-Position``
    (the log position of its last event) and, outside the API, sets the ``casework_position``
    cookie to it; a request carrying ``Casework-Min-Position`` (API clients echo the header) or
    the cookie is answered from read models that have reached that position. A header that is
    not a whole number is refused (400) before anything runs; a spoilt cookie is ignored."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool = False, api_prefix: str = "/api/") -> None:
        self.app = app
        self.secure = secure_cookies
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = _header(scope, consistency.MIN_POSITION_HEADER.lower().encode())
        asked = consistency.parse_position(header)
        if header is not None and asked is None:
            name = consistency.MIN_POSITION_HEADER
            response = problem_response(
                scope, 400, "invalid-input", "Invalid input",
                f"Check the {name} header: it must be a whole number, the "
                f"{consistency.POSITION_HEADER} of an earlier answer.",
                errors=[FieldError(field=name, reason="must be a whole number (a log position)")],
            )
            await response(scope, receive, send)
            return
        cookie = consistency.parse_position(_cookie(scope, consistency.POSITION_COOKIE))
        web = not scope["path"].startswith(self.api_prefix)

        with consistency.request(max(asked or 0, cookie or 0)) as positions:

            async def send_with_position(message: Message) -> None:
                if message["type"] == "http.response.start" and positions.written:
                    headers = list(message.get("headers", []))
                    written = str(positions.written).encode()
                    headers.append((consistency.POSITION_HEADER.lower().encode(), written))
                    if web:
                        headers.append((b"set-cookie", self._cookie(written)))
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, send_with_position)

    def _cookie(self, value: bytes) -> bytes:
        secure = b"; Secure" if self.secure else b""
        name = consistency.POSITION_COOKIE.encode()
        return name + b"=" + value + b"; Path=/; HttpOnly; SameSite=Lax" + secure


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class BodyLimitMiddleware:
    """413 for a body over ``max_bytes``; 415 for a write whose body is not JSON (API paths);
    422 for a NUL character in the path or query (PostgreSQL cannot compare text holding it)."""

    def __init__(self, app: ASGIApp, max_bytes: int, prefix: str = "/api/") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (nul := _nul_in_url(scope)):
            response = problem_response(
                scope, 422, "invalid-input", "Invalid input",
                f"Check {nul}: it must not contain the NUL character (%00).",
                errors=[FieldError(field=nul, reason="must not contain the NUL character (%00)")],
            )
            await response(scope, receive, send)
            return
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(scope)(scope, receive, send)
            return
        has_body = (length is not None and length != "0") or _header(scope, b"transfer-encoding")
        if has_body and scope["path"].startswith(self.prefix) and not _is_json(scope):
            response = problem_response(
                scope, 415, "unsupported-media-type", "Unsupported media type",
                "Send the body as JSON with `Content-Type: application/json`.",
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._problem()
            return message

        await self.app(scope, counting_receive, send)

    def _problem(self) -> ApiProblem:
        return ApiProblem(
            413, "payload-too-large", "Request body too large",
            f"The body is larger than {self.max_bytes} bytes; send less (e.g. split the items).",
        )

    def _too_large(self, scope: Scope) -> Any:
        p = self._problem()
        return problem_response(scope, p.status, p.slug, p.title, p.detail)


def _nul_in_url(scope: Scope) -> str | None:
    """Where a NUL character is in the request's path or query: "path" or "query.<name>"."""
    if "\x00" in scope["path"]:
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" not in query and "\x00" not in query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return f"query.{name.replace(chr(0), '')}"
    return "query"


def _is_json(scope: Scope) -> bool:
    content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")
