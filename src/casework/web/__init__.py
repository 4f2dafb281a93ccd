"""The team's web interface: server-rendered pages on the same commands and read models as the
JSON API, with every asset served from /static (it works with no internet connection).

``mount_web(app)`` adds the pages, the static files, the security headers and the session to an
API app made by ``casework.api.app.create_app``.
"""

from __future__ import annotations

import secrets
from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from casework.web.csrf import CsrfRefused
from casework.web.headers import SecurityHeaders
from casework.web.page import ReadOnlyRole, SignInRequired, page, sign_in_url
from casework.web.pages import alerts, dashboard, intelligence, providers, signin
from casework.web.session import SessionCodec, SessionStore, Timeouts

PAGE_ROUTERS = [signin.router, intelligence.router, providers.router, dashboard.router, alerts.router]


def mount_web(app: FastAPI) -> None:
    """Serve the web interface from ``app`` (whose ``state.casework`` is already set)."""
    if getattr(app.state, "web_session_codec", None) is not None:
        return  # already mounted
    settings = app.state.casework.settings
    secret = getattr(settings, "session_secret", None)
    key = secret.encode() if isinstance(secret, str) and len(secret) >= 32 else secrets.token_bytes(32)
    timeouts = Timeouts.from_settings(settings)
    app.state.web_session_codec = SessionCodec(key, max_age=timeouts.absolute)
    app.state.web_sessions = SessionStore(app.state.casework.engine, app.state.casework.clock, timeouts)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(files("casework.web") / "static")), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(ReadOnlyRole, _read_only_role)


def _sign_in_required(request: Request, exc: Exception) -> Response:
    if request.method != "GET" or request.headers.get("x-requested-with") == "fetch":
        return JSONResponse({"detail": "sign in first"}, status_code=401)
    return RedirectResponse(sign_in_url(request), status_code=303)


def _csrf_refused(request: Request, exc: Exception) -> Response:
    p = page(request)
    message = (
        f"Nothing was saved: {exc}. This happens when a form is left open across signing in or "
        "out. Go back, reload the page and try again."
    )
    if p.is_fetch:
        return JSONResponse({"detail": message}, status_code=403)
    return p.render("error.html", status_code=403, page_title="Refused", title="Refused", message=message)


def _read_only_role(request: Request, exc: Exception) -> Response:
    p = page(request)
    if p.is_fetch:
        return JSONResponse({"detail": str(exc)}, status_code=403)
    assert isinstance(exc, ReadOnlyRole)
    title = f"{exc.actor.role.value.capitalize()}s cannot change records"
    return p.render("error.html", status_code=403, page_title="Not allowed", title=title,
                    message=str(exc))


def not_found_page(request: Request) -> Response:
    """The page a browser gets for a path with nothing at it (404)."""
    return page(request).render(
        "error.html", status_code=404, page_title="Page not found", title="Page not found",
        message=(f"There is no page at {request.url.path}. Check the address, or start again "
                 "from the inbox."),
    )


__all__ = ["mount_web", "not_found_page"]
