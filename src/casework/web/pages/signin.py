"""Signing in with a user's API token, and signing out."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from casework.bootstrap import Casework
from casework.users import UserDirectory
from casework.web.page import Page, checked_form, page, posted_by_anyone

router = APIRouter()
log = structlog.get_logger("casework.web")


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (``//evil``) or scheme."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/inbox"
    return target


def user_directory(cw: Casework) -> UserDirectory:
    return getattr(cw, "users", None) or UserDirectory(cw.engine, cw.store, cw.clock)


@router.get("/")
def home(p: Page = Depends(page)) -> Response:
    return p.redirect("/inbox" if p.session.signed_in else "/signin")


@router.get("/signin")
def signin_form(next: str = "/inbox", p: Page = Depends(page)) -> Response:
    if p.session.signed_in:
        return p.redirect(safe_next(next))
    return p.render("signin.html", page_title="Sign in", next=safe_next(next), error=None)


@router.post("/signin")
async def signin(token: str = Form(""), next: str = Form("/inbox"), p: Page = Depends(page)) -> Response:
    await checked_form(p.request, p)
    actor = user_directory(p.casework).authenticate(token.strip()) if token.strip() else None
    if actor is None:
        # Never the token, nor any part of its hash.
        log.info("authentication_failed", via="web", reason="unknown or revoked token" if token.strip()
                 else "no token")
        error = (
            "That token was not recognised, or it has been revoked. Paste the whole token "
            "(it starts cw_); ask an administrator for a new one with `casework users token`."
            if token.strip()
            else "Enter your token."
        )
        return p.render(
            "signin.html", status_code=401, page_title="Sign in", next=safe_next(next), error=error
        )
    p.sessions.end(p.session)  # a session it replaces (a second sign-in) ends, too
    p.replace_session(p.sessions.start(actor, token.strip()))
    return p.redirect(safe_next(next))


@router.post("/signout")
def signout(p: Page = Depends(posted_by_anyone)) -> Response:
    p.sessions.end(p.session)  # refused from now on, even if a copy of the cookie is kept
    p.replace_session(p.sessions.anonymous())
    return p.redirect("/signin")
