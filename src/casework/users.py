"""Users and their API tokens.

A token is ``cw_`` + 43 characters of ``secrets.token_urlsafe(32)`` (256 bits). Only its SHA-256
is stored (a slow password hash adds nothing at that entropy); it is shown once, when issued.
Every change is also recorded as an event on stream ``user-<name>`` for the audit trail; the
hashes never enter the log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from casework.clock import Clock
from casework.domain.actors import Actor, Role
from casework.domain.errors import InvalidInput, NotFound
from casework.events import ConcurrencyError, Metadata, to_new_event
from casework.events.base import DomainEvent
from casework.events.store import EventStore, translate_db_error
from casework.events.store.database import reading
from casework.events.users import (
    CalendarFeedIssued,
    CalendarFeedRevoked,
    TokenIssued,
    TokenRevoked,
    UserAdded,
    UserDigestsChanged,
    UserEmailChanged,
    UserRoleChanged,
)
from casework.settings import is_email_address

TOKEN_PREFIX = "cw_"
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")

metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Where their alerts and digest go (None: in the app only), and whether they want the digest.
    Column("email", String(320), nullable=True),
    Column("digests", Boolean, nullable=False, server_default=true(), default=True),
)
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_name", String(100), ForeignKey("users.name"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Signed-in web sessions (casework.web.session), here because revoking a user ends them. The
# session id is a 256-bit secret in the browser's cookie; only its SHA-256 is stored.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_name", String(100), ForeignKey("users.name"), nullable=False, index=True),
    Column("token_hash", String(64), ForeignKey("api_tokens.token_hash"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
)


# Each user's private calendar feed (casework.alerts.calendar): one at a time; only the SHA-256 of
# its secret token is kept. Rotating replaces the row, revoking deletes it.
calendar_feeds = Table(
    "calendar_feeds",
    metadata,
    Column("user_name", String(100), ForeignKey("users.name"), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
)
CALENDAR_TOKEN_PREFIX = "cal_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_stream(name: str) -> str:
    return f"user-{name}"


def parse_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput("role", f"{role!r} is not a role; choose one of: {allowed}") from None


def check_email(email: str | None) -> str | None:
    """A plain address, or None (``""`` clears it). ``InvalidInput`` naming the field if not."""
    if email is None or not email.strip():
        return None
    email = email.strip()
    if not is_email_address(email):
        raise InvalidInput(
            "email", "must be a plain email address such as amy.smith@council.example "
            "(no name, no spaces, at most 254 characters)"
        )
    return email


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: Role
    created_at: datetime
    active_tokens: int
    email: str | None = None
    digests: bool = True
    calendar: bool = False  # has a calendar feed


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: ``token`` is the only copy; show it once."""

    name: str
    role: Role
    token: str


class UserDirectory:
    """Adds users, issues and revokes tokens, and authenticates bearer tokens."""

    def __init__(self, engine: Engine, store: EventStore, clock: Clock) -> None:
        self.engine = engine
        self.store = store
        self.clock = clock

    # ------------------------------------------------------------------------- changes
    def add(self, name: str, role: str | Role, by: Actor, email: str | None = None) -> IssuedToken:
        """Create a user with one token (and an email address for their alerts, if given).
        ``InvalidInput`` on a bad name, role or address, or a name taken."""
        name = self._check_name(name)
        role = parse_role(str(role))
        email = check_email(email)
        with self._connect() as conn:
            taken = conn.execute(select(users.c.name).where(users.c.name == name)).first()
        if taken:
            raise InvalidInput(
                "name", f"a user named {name!r} already exists; choose another name, or issue "
                "them a new token with `casework users token`"
            )
        version = self.store.stream_version(user_stream(name))
        added: list[DomainEvent] = [UserAdded(name=name, role=role.value), TokenIssued(name=name)]
        if email:
            added.append(UserEmailChanged(name=name, has_email=True))
        self._record(name, added, by, version)
        token = _new_token()
        now = self.clock.now()
        try:
            with self._connect(write=True) as conn:
                conn.execute(
                    insert(users).values(name=name, role=role.value, created_at=now, email=email)
                )
                self._insert_token(conn, name, token, now)
        except IntegrityError:
            raise InvalidInput("name", f"a user named {name!r} already exists") from None
        return IssuedToken(name, role, token)

    def issue_token(self, name: str, by: Actor) -> IssuedToken:
        """A new token for an existing user (their other tokens keep working until revoked)."""
        record = self.get(name)
        self._record(record.name, [TokenIssued(name=record.name)], by)
        token = _new_token()
        with self._connect(write=True) as conn:
            self._insert_token(conn, record.name, token, self.clock.now())
        return IssuedToken(record.name, record.role, token)

    def revoke(self, name: str, by: Actor) -> int:
        """Revoke every token the user holds and end their web sessions, in every server
        process at once; returns how many tokens were active."""
        record = self.get(name)
        now = self.clock.now()
        with self._connect(write=True) as conn:
            result = conn.execute(
                update(api_tokens)
                .where(api_tokens.c.user_name == record.name, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            conn.execute(
                update(web_sessions)
                .where(web_sessions.c.user_name == record.name, web_sessions.c.ended_at.is_(None))
                .values(ended_at=now)
            )
        self._record(record.name, [TokenRevoked(name=record.name, tokens_revoked=result.rowcount)], by)
        return result.rowcount

    def change_role(self, name: str, role: str | Role, by: Actor) -> UserRecord:
        record = self.get(name)
        new_role = parse_role(str(role))
        if new_role is record.role:
            return record
        event = UserRoleChanged(name=record.name, from_role=record.role.value, to_role=new_role.value)
        self._record(record.name, [event], by)
        with self._connect(write=True) as conn:
            conn.execute(update(users).where(users.c.name == record.name).values(role=new_role.value))
        return self.get(name)

    def set_email(self, name: str, email: str | None, by: Actor) -> UserRecord:
        """Set (or, with None or "", remove) where the user's alerts and digest go."""
        record = self.get(name)
        email = check_email(email)
        if email != record.email:
            self._record(record.name, [UserEmailChanged(name=record.name, has_email=bool(email))], by)
            with self._connect(write=True) as conn:
                conn.execute(update(users).where(users.c.name == record.name).values(email=email))
        return self.get(name)

    def set_digests(self, name: str, on: bool, by: Actor) -> UserRecord:
        """Turn the user's daily digest on or off (their alerts still come)."""
        record = self.get(name)
        if on != record.digests:
            self._record(record.name, [UserDigestsChanged(name=record.name, digests=on)], by)
            with self._connect(write=True) as conn:
                conn.execute(update(users).where(users.c.name == record.name).values(digests=on))
        return self.get(name)

    def issue_calendar(self, name: str, by: Actor) -> str:
        """A new secret token for the user's calendar feed (shown once); the old one stops."""
        record = self.get(name)
        self._record(record.name, [CalendarFeedIssued(name=record.name)], by)
        token = CALENDAR_TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._connect(write=True) as conn:
            conn.execute(delete(calendar_feeds).where(calendar_feeds.c.user_name == record.name))
            conn.execute(insert(calendar_feeds).values(
                user_name=record.name, token_hash=hash_token(token), issued_at=self.clock.now()
            ))
        return token

    def revoke_calendar(self, name: str, by: Actor) -> bool:
        """Stop the user's calendar feed; False when they had none."""
        record = self.get(name)
        with self._connect(write=True) as conn:
            gone = conn.execute(
                delete(calendar_feeds).where(calendar_feeds.c.user_name == record.name)
            ).rowcount
        if gone:
            self._record(record.name, [CalendarFeedRevoked(name=record.name)], by)
        return bool(gone)

    def calendar_owner(self, token: str) -> str | None:
        """The user whose calendar feed this token opens, or None."""
        if not token.startswith(CALENDAR_TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        with self._connect() as conn:
            row = conn.execute(
                select(calendar_feeds.c.token_hash, calendar_feeds.c.user_name)
                .where(calendar_feeds.c.token_hash == digest)
            ).first()
        if row is None or not hmac.compare_digest(row[0], digest):
            return None
        return str(row[1])

    # ------------------------------------------------------------------------- reading
    def get(self, name: str) -> UserRecord:
        found = [u for u in self.list(name=name)]
        if not found:
            raise NotFound("user", name)
        return found[0]

    def list(self, name: str | None = None) -> list[UserRecord]:
        active = (
            select(api_tokens.c.user_name, func.count().label("n"))
            .where(api_tokens.c.revoked_at.is_(None))
            .group_by(api_tokens.c.user_name)
            .subquery()
        )
        query = (
            select(users.c.name, users.c.role, users.c.created_at, func.coalesce(active.c.n, 0),
                   users.c.email, users.c.digests, calendar_feeds.c.user_name)
            .select_from(
                users.outerjoin(active, active.c.user_name == users.c.name)
                .outerjoin(calendar_feeds, calendar_feeds.c.user_name == users.c.name)
            )
            .order_by(users.c.name)
        )
        if name is not None:
            query = query.where(users.c.name == name)
        with self._connect() as conn:
            rows = conn.execute(query).all()
        return [
            UserRecord(r[0], Role(r[1]), _aware(r[2]), int(r[3]), r[4], bool(r[5]), r[6] is not None)
            for r in rows
        ]

    def authenticate(self, token: str) -> Actor | None:
        """The actor a bearer token stands for, or None (unknown, malformed or revoked)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        with self._connect() as conn:
            row = conn.execute(_AUTHENTICATE, {"digest": digest}).first()
        if row is None or not hmac.compare_digest(row[0], digest):
            return None
        return Actor(row[1], Role(row[2]))

    # ------------------------------------------------------------------------- plumbing
    @staticmethod
    def _check_name(name: str) -> str:
        name = name.strip()
        if not USER_NAME.match(name):
            raise InvalidInput(
                "name", "use 1-63 lower-case letters, digits, '.', '_' or '-', starting with a "
                "letter or digit (e.g. amy.smith)"
            )
        return name

    def _record(
        self, name: str, events: Sequence[DomainEvent], by: Actor, expected_version: int | None = None
    ) -> None:
        now = self.clock.now()
        new = [to_new_event(e, metadata=Metadata(actor=by.name), occurred_at=now) for e in events]
        try:
            self.store.append(user_stream(name), new, expected_version=expected_version)
        except ConcurrencyError:
            raise InvalidInput("name", f"a user named {name!r} was added at the same time") from None

    @staticmethod
    def _insert_token(conn: Connection, name: str, token: str, now: datetime) -> None:
        conn.execute(
            insert(api_tokens).values(token_hash=hash_token(token), user_name=name, created_at=now)
        )

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[Connection]:
        try:
            if write:
                with self.engine.connect().execution_options(casework_write=True) as conn:
                    with conn.begin():
                        yield conn
            else:
                with reading(self.engine) as conn:
                    yield conn
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise translate_db_error(exc) from exc


# Every request runs it: built once (building a Core statement costs more than running it).
_AUTHENTICATE = (
    select(api_tokens.c.token_hash, users.c.name, users.c.role)
    .select_from(api_tokens.join(users, users.c.name == api_tokens.c.user_name))
    .where(api_tokens.c.token_hash == bindparam("digest"), api_tokens.c.revoked_at.is_(None))
)


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _aware(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
