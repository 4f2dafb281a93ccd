"""What every page handler receives: the request, the wired Casework, the browser's session,
and how to answer (a full page, a fragment for a script, or a redirect), with the session cookie
set whenever it changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from casework.bootstrap import Casework
from casework.domain.actors import Actor, Role
from casework.web import csrf, filters
from casework.web.session import COOKIE_NAME, SessionCodec, SessionStore, WebSession, restore

TEMPLATES = Jinja2Templates(directory=str(files("casework.web") / "templates"))
filters.install(TEMPLATES.env)


def halted_read_models(casework: Casework, actor: Actor | None) -> list[str]:
    """The read models that have stopped, for a manager's banner (others see none)."""
    if actor is None or actor.role is not Role.manager:
        return []
    return [s.name for s in casework.projections.status() if s.halted]


class SignInRequired(Exception):
    """The page needs a signed-in user; the handler sends the browser to the sign-in page."""


class ReadOnlyRole(Exception):
    """A form that records or changes something, posted by a role that reads only (auditors):
    refused before the form is read, with a page saying so (403)."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        super().__init__(
            f"{actor.role.value.capitalize()}s cannot record or change anything in Casework: "
            f"you are signed in as {actor.name}, a{'n' if actor.role.value[0] in 'aeiou' else ''} "
            f"{actor.role.value}, who reads and verifies only. Nothing was saved."
        )


@dataclass
class Page:
    request: Request
    casework: Casework
    session: WebSession
    cookie_changed: bool = False
    notices: list[str] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        if self.session.actor is None:
            raise SignInRequired
        return self.session.actor

    @property
    def is_fetch(self) -> bool:
        """True for a post made by our script, which wants an HTML fragment back."""
        return self.request.headers.get("x-requested-with") == "fetch"

    @property
    def sessions(self) -> SessionStore:
        """Where signed-in sessions start and end (shared by every server process)."""
        return self.request.app.state.web_sessions

    def replace_session(self, session: WebSession) -> None:
        self.session = session
        self.cookie_changed = True

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        context.setdefault("page_title", "")
        response = TEMPLATES.TemplateResponse(
            self.request,
            template,
            {
                "actor": self.session.actor,
                "csrf_token": self.session.csrf_token,
                "csrf_field": csrf.FIELD,
                "council": self.casework.settings.council_name,
                "path": self.request.url.path,
                "halted_read_models": halted_read_models(self.casework, self.session.actor),
                **context,
            },
            status_code=status_code,
        )
        return self._finish(response)

    def redirect(self, url: str) -> Response:
        return self._finish(RedirectResponse(url, status_code=303))

    def _finish(self, response: Response) -> Response:
        response.headers["cache-control"] = "no-store"
        if self.cookie_changed:
            codec: SessionCodec = self.request.app.state.web_session_codec
            response.set_cookie(
                COOKIE_NAME,
                codec.dumps(self.session),
                max_age=codec.max_age_seconds,
                path="/",
                httponly=True,
                samesite="lax",
                secure=self.casework.settings.secure_cookies,
            )
        return response


def page(request: Request) -> Page:
    """Dependency: the page context for anyone, signed in or not."""
    cached = getattr(request.state, "web_page", None)
    if cached is not None:
        return cached
    casework: Casework = request.app.state.casework
    codec: SessionCodec = request.app.state.web_session_codec
    sessions: SessionStore = request.app.state.web_sessions
    session = restore(codec, sessions, request.cookies.get(COOKIE_NAME))
    # No usable cookie (none, forged, stale, or its session ended): a new anonymous one.
    result = Page(request, casework, session or sessions.anonymous(), cookie_changed=session is None)
    request.state.web_page = result
    if result.session.actor is not None:  # for the access log, as the API's bearer tokens do
        request.state.user = result.session.actor.name
        request.state.role = result.session.actor.role.value
    return result


def signed_in(request: Request) -> Page:
    """Dependency: the page context of a signed-in user, or off to the sign-in page."""
    result = page(request)
    if not result.session.signed_in:
        raise SignInRequired
    return result


async def posted(request: Request) -> Page:
    """Dependency for every form that records or changes something: a signed-in user whose role
    may write (``ReadOnlyRole`` otherwise, before the form is read) and this session's CSRF
    token."""
    result = signed_in(request)
    if result.actor.reads_only:
        raise ReadOnlyRole(result.actor)
    await checked_form(request, result)
    return result


async def posted_by_anyone(request: Request) -> Page:
    """Dependency for a form any signed-in user may post (signing out): the CSRF token only."""
    result = signed_in(request)
    await checked_form(request, result)
    return result


async def checked_form(request: Request, result: Page) -> None:
    submitted = request.headers.get(csrf.HEADER)
    if submitted is None:
        form = await request.form()
        value = form.get(csrf.FIELD)
        submitted = value if isinstance(value, str) else None
    csrf.check(result.session, submitted)


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/signin?next={quote(target, safe='')}"
