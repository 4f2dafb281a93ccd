"""Idempotent writes: ``Idempotency-Key`` on any write.

A repeat by the same user with the same key and the same request returns the first answer
(status and body, with ``Idempotent-Replayed: true``) and appends nothing; the same key with a
different request is refused (422). The key also goes down to the command bus as the command id
(``http:<user>:<key>``), so a retry after a crash between the append and storing the answer is
still recognised by the domain's own idempotency and answered the same way.

Only successful answers are stored: a refusal appended nothing, so repeating it is harmless.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from casework.api.auth import current_actor
from casework.clock import Clock
from casework.domain.actors import Actor
from casework.domain.errors import InvalidInput
from casework.events.store import translate_db_error

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
REPLAYED_HEADER = "Idempotent-Replayed"

metadata = MetaData()
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_name", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("method", String(10), nullable=False),
    Column("path", String(500), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class StoredAnswer:
    request_hash: str
    status_code: int
    body: bytes


class IdempotencyStore:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def get(self, user: str, key: str) -> StoredAnswer | None:
        query = select(
            idempotency_keys.c.request_hash, idempotency_keys.c.status_code, idempotency_keys.c.body
        ).where(idempotency_keys.c.user_name == user, idempotency_keys.c.key == key)
        with self._connect() as conn:
            row = conn.execute(query).first()
        return StoredAnswer(row[0], row[1], bytes(row[2])) if row else None

    def save(
        self, user: str, key: str, request_hash: str, method: str, path: str, status: int, body: bytes
    ) -> None:
        """Keep the first answer; a concurrent twin that stored first wins (same answer)."""
        values = {
            "user_name": user, "key": key, "request_hash": request_hash, "method": method,
            "path": path[:500], "status_code": status, "body": body, "created_at": self.clock.now(),
        }
        try:
            with self._connect(write=True) as conn:
                conn.execute(idempotency_keys.insert().values(**values))
        except IntegrityError:
            pass

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[Connection]:
        try:
            conn_cm = self.engine.connect()
            if write:
                conn_cm = conn_cm.execution_options(casework_write=True)
            with conn_cm as conn:
                if write:
                    with conn.begin():
                        yield conn
                else:
                    yield conn
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise translate_db_error(exc) from exc


@dataclass(frozen=True)
class Idempotency:
    """What a write route passes down: ``command_id`` is None when the client sent no key."""

    user: str
    key: str | None
    request_hash: str

    @property
    def command_id(self) -> str | None:
        return f"http:{self.user}:{self.key}" if self.key else None


class _Replay(Exception):
    def __init__(self, answer: StoredAnswer) -> None:
        self.answer = answer


def request_hash(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


async def idempotency(
    request: Request,
    actor: Actor = Depends(current_actor),
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description=(
            "Any unique string (e.g. a UUID) chosen by the client. Retrying with the same key and "
            "body returns the first answer and records nothing new."
        ),
    ),
) -> Idempotency:
    body = await request.body()
    ctx = Idempotency(actor.name, idempotency_key, request_hash(request.method, request.url.path, body))
    if idempotency_key is None:
        return ctx
    if not KEY_PATTERN.match(idempotency_key):
        raise InvalidInput("Idempotency-Key", "use 1-200 visible ASCII characters, e.g. a UUID")
    store: IdempotencyStore = request.app.state.idempotency
    answer = await run_in_threadpool(store.get, actor.name, idempotency_key)
    if answer is not None:
        if answer.request_hash != ctx.request_hash:
            raise InvalidInput(
                "Idempotency-Key",
                "this key was already used for a different request; use a new key for a new request",
            )
        raise _Replay(answer)
    request.state.idempotency = ctx
    return ctx


def _replayed(answer: StoredAnswer) -> Response:
    return Response(
        answer.body, status_code=answer.status_code, media_type="application/json",
        headers={REPLAYED_HEADER: "true"},
    )


class IdempotentRoute(APIRoute):
    """Route class for write routers: replays stored answers and stores first ones."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except _Replay as replay:
                return _replayed(replay.answer)
            ctx: Idempotency | None = getattr(request.state, "idempotency", None)
            if ctx is not None and ctx.key and 200 <= response.status_code < 300:
                store: IdempotencyStore = request.app.state.idempotency
                await run_in_threadpool(
                    store.save, ctx.user, ctx.key, ctx.request_hash, request.method,
                    request.url.path, response.status_code, bytes(response.body),
                )
            return response

        return handler

