"""Web sessions: a signed cookie in the browser, and the server's record of who is signed in.

The cookie (HMAC-SHA256 signed) carries a per-session CSRF token, when it was issued and, once
the visitor has signed in, a random session id (256 bits); never the API token or the user.
The server keeps each signed-in session in the table ``web_sessions`` (the id's SHA-256, the
user, the token they signed in with, created, last seen, ended), shared by every server process
and kept across restarts. A session therefore ends at once, everywhere, when its user signs out,
after ``settings.session_idle_minutes`` without a page, ``settings.session_max_hours`` after
signing in, when the user is revoked (``UserDirectory.revoke``) or the token they signed in with
is. Each page request is one lookup by primary key that also reads the user's current role.
Visitors who have not signed in get an anonymous session: its cookie carries the CSRF token the
sign-in form needs, and it touches no table.

The signing key is ``settings.session_secret`` when the settings define one; otherwise a random
key made when the process starts (the process's cookies then mean nothing to a restarted or a
second process). Time comes from the injected clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from casework.clock import Clock
from casework.domain.actors import Actor, Role
from casework.events.store import translate_db_error
from casework.events.store.database import reading
from casework.settings import Settings
from casework.users import api_tokens, hash_token, users, web_sessions

COOKIE_NAME = "casework_session"
# last_seen_at is written at most this often per session. A write on every page would turn each
# page view into a write: on SQLite it would queue behind (and hold up) every append for the one
# write lock, on PostgreSQL it would leave a dead row version per view. A minute's slack on a
# 30-minute idle timeout changes nothing a user could notice.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Timeouts:
    """How long a signed-in session lasts: ``idle`` without a page, ``absolute`` in all."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> Timeouts:
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_max_hours),
        )


@dataclass(frozen=True)
class WebSession:
    """One browser's session. ``actor`` is None until the visitor signs in; ``session_id`` is the
    secret the cookie carries (the server stores only its hash)."""

    csrf_token: str
    issued_at: int  # seconds since the epoch, by the injected clock
    actor: Actor | None = None
    session_id: str = ""

    @property
    def signed_in(self) -> bool:
        return self.actor is not None


class SessionCodec:
    """Turns sessions into signed cookie values and back; refuses anything tampered or stale."""

    def __init__(self, secret: bytes, max_age: timedelta = timedelta(hours=10)) -> None:
        if len(secret) < 32:
            raise ValueError("the session secret needs at least 32 bytes")
        self._secret = secret
        self.max_age_seconds = int(max_age.total_seconds())

    def dumps(self, session: WebSession) -> str:
        payload = {"c": session.csrf_token, "s": session.session_id or None, "i": session.issued_at}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def loads(self, value: str | None, now: datetime) -> dict[str, Any] | None:
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
        if not isinstance(payload.get("i"), int) or _epoch(now) - payload["i"] > self.max_age_seconds:
            return None
        return payload

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())


class SessionStore:
    """The server's side of signed-in sessions: the ``web_sessions`` table, which every server
    process shares."""

    def __init__(self, engine: Engine, clock: Clock, timeouts: Timeouts) -> None:
        self.engine = engine
        self.clock = clock
        self.timeouts = timeouts

    def anonymous(self) -> WebSession:
        """A session for a visitor who has not signed in, with a fresh CSRF token."""
        return WebSession(csrf_token=secrets.token_urlsafe(32), issued_at=_epoch(self.clock.now()))

    def start(self, actor: Actor, token: str) -> WebSession:
        """A new signed-in session for ``actor``, who has just shown ``token`` (a fresh CSRF token
        too: nothing carries over from before)."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self._writing() as conn:
            # The user's sessions that can never come back go, so the table holds about one row
            # per person signed in, however many times they sign in.
            conn.execute(
                delete(web_sessions).where(
                    web_sessions.c.user_name == actor.name,
                    or_(
                        web_sessions.c.ended_at.is_not(None),
                        web_sessions.c.created_at < now - self.timeouts.absolute,
                        web_sessions.c.last_seen_at < now - self.timeouts.idle,
                    ),
                )
            )
            conn.execute(
                insert(web_sessions).values(
                    session_hash=_hash(session_id), user_name=actor.name, token_hash=hash_token(token),
                    created_at=now, last_seen_at=now, ended_at=None,
                )
            )
        return WebSession(secrets.token_urlsafe(32), _epoch(now), actor, session_id)

    def end(self, session: WebSession) -> None:
        """Sign out: the session's cookie is refused from now on, by every server process."""
        if session.session_id:
            with self._writing() as conn:
                self._end(conn, _hash(session.session_id), self.clock.now())

    def actor(self, session_id: str) -> Actor | None:
        """The user of a live session, with their current role; None once it has ended, timed
        out, or its user or token was revoked."""
        key = _hash(session_id)
        now = self.clock.now()
        with reading(self.engine) as conn:
            row = conn.execute(_LIVE_SESSION, {"hash": key}).first()
        if row is None:
            return None
        name, role, created, last_seen = row[0], row[1], _aware(row[2]), _aware(row[3])
        if now - last_seen > self.timeouts.idle or now - created > self.timeouts.absolute:
            with self._writing() as conn:  # ended for good, even should the clock be set back
                self._end(conn, key, now)
            return None
        if now - last_seen >= TOUCH_EVERY:
            with self._writing() as conn:
                conn.execute(
                    update(web_sessions)
                    .where(web_sessions.c.session_hash == key, web_sessions.c.ended_at.is_(None),
                           web_sessions.c.last_seen_at < now)
                    .values(last_seen_at=now)
                )
        return Actor(name, Role(role))

    @staticmethod
    def _end(conn: Connection, key: str, now: datetime) -> None:
        conn.execute(
            update(web_sessions)
            .where(web_sessions.c.session_hash == key, web_sessions.c.ended_at.is_(None))
            .values(ended_at=now)
        )

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        try:
            with self.engine.connect().execution_options(casework_write=True) as conn, conn.begin():
                yield conn
        except DBAPIError as exc:
            raise translate_db_error(exc) from exc


# Every signed-in page asks: built once (building a Core statement costs more than running it).
# One lookup by primary key; the joins are primary-key lookups too, and read the current role.
_LIVE_SESSION = (
    select(web_sessions.c.user_name, users.c.role, web_sessions.c.created_at, web_sessions.c.last_seen_at)
    .select_from(
        web_sessions.join(users, users.c.name == web_sessions.c.user_name).join(
            api_tokens, api_tokens.c.token_hash == web_sessions.c.token_hash
        )
    )
    .where(
        web_sessions.c.session_hash == bindparam("hash"),
        web_sessions.c.ended_at.is_(None),
        api_tokens.c.revoked_at.is_(None),
    )
)


def restore(codec: SessionCodec, sessions: SessionStore, cookie: str | None) -> WebSession | None:
    """The session a cookie stands for, or None when the browser needs a new anonymous one: no
    cookie, a forged or stale one, or a signed-in session that has ended."""
    payload = codec.loads(cookie, sessions.clock.now())
    if payload is None:
        return None
    csrf, issued, session_id = payload["c"], payload["i"], payload.get("s")
    if not session_id:
        return WebSession(csrf_token=csrf, issued_at=issued)
    actor = sessions.actor(str(session_id))
    if actor is None:
        return None
    return WebSession(csrf_token=csrf, issued_at=issued, actor=actor, session_id=str(session_id))


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def _aware(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
