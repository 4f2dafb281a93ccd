"""Web sessions: a signed cookie made from a user's API token, never holding the token itself.

Signing in checks the token with the user directory; the cookie then carries the user's name, the
SHA-256 of their token (what the ``api_tokens`` table already holds), a per-session CSRF token
and when it was issued, signed with HMAC-SHA256. Every request re-checks that the token is still
active and reads the user's current role, so revoking a token or changing a role takes effect at
once. Visitors who have not signed in get an anonymous session too: it carries the CSRF token the
sign-in form needs.

The signing key is ``settings.session_secret`` when the settings define one; otherwise a random
key made when the process starts (sessions then end when the server restarts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, select

from casework.domain.actors import Actor, Role
from casework.events.store.database import reading
from casework.users import api_tokens, hash_token, users

COOKIE_NAME = "casework_session"
MAX_AGE_SECONDS = 10 * 60 * 60  # a working day; then sign in again


@dataclass(frozen=True)
class WebSession:
    """One browser's session. ``actor`` is None until the visitor signs in."""

    csrf_token: str
    actor: Actor | None = None
    token_hash: str = ""
    issued_at: int = 0

    @property
    def signed_in(self) -> bool:
        return self.actor is not None


class SessionCodec:
    """Turns sessions into signed cookie values and back; refuses anything tampered or stale."""

    def __init__(self, secret: bytes, max_age_seconds: int = MAX_AGE_SECONDS) -> None:
        if len(secret) < 32:
            raise ValueError("the session secret needs at least 32 bytes")
        self._secret = secret
        self.max_age_seconds = max_age_seconds

    def dumps(self, session: WebSession) -> str:
        payload = {
            "c": session.csrf_token,
            "u": session.actor.name if session.actor else None,
            "t": session.token_hash,
            "i": session.issued_at or int(time.time()),
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def loads(self, value: str | None) -> dict | None:
        """The payload of a cookie value, or None when it is missing, forged or expired."""
        if not value or value.count(".") != 1 or len(value) > 4096:
            return None
        body, signature = value.split(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("c"), str):
            return None
        if int(time.time()) - int(payload.get("i", 0)) > self.max_age_seconds:
            return None
        return payload

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())


def new_session() -> WebSession:
    """An anonymous session with a fresh CSRF token."""
    return WebSession(csrf_token=secrets.token_urlsafe(32), issued_at=int(time.time()))


def signed_in_session(actor: Actor, token: str) -> WebSession:
    """A new session for ``actor`` (a fresh CSRF token too: nothing carries over from before)."""
    return WebSession(
        csrf_token=secrets.token_urlsafe(32),
        actor=actor,
        token_hash=hash_token(token),
        issued_at=int(time.time()),
    )


# Every page asks: built once (building a Core statement costs more than running it).
_ACTIVE_TOKEN = (
    select(users.c.name, users.c.role)
    .select_from(api_tokens.join(users, users.c.name == api_tokens.c.user_name))
    .where(
        api_tokens.c.token_hash == bindparam("hash"),
        api_tokens.c.user_name == bindparam("user"),
        api_tokens.c.revoked_at.is_(None),
    )
)


def actor_for_token_hash(engine: Engine, user_name: str, token_hash: str) -> Actor | None:
    """The user behind an active token, with their current role; None once it is revoked."""
    with reading(engine) as conn:
        row = conn.execute(_ACTIVE_TOKEN, {"hash": token_hash, "user": user_name}).first()
    return Actor(row[0], Role(row[1])) if row else None


def restore(codec: SessionCodec, engine: Engine, cookie: str | None) -> WebSession | None:
    """The session a cookie stands for (signed in only while its token is active), or None."""
    payload = codec.loads(cookie)
    if payload is None:
        return None
    csrf, name, token_hash = payload["c"], payload.get("u"), payload.get("t") or ""
    issued = int(payload.get("i", 0))
    if not name:
        return WebSession(csrf_token=csrf, issued_at=issued)
    actor = actor_for_token_hash(engine, str(name), str(token_hash))
    if actor is None:  # revoked or unknown: back to an anonymous session
        return WebSession(csrf_token=csrf, issued_at=issued)
    return WebSession(csrf_token=csrf, actor=actor, token_hash=str(token_hash), issued_at=issued)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
