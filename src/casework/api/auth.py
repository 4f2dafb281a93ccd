"""Bearer-token authentication: ``Authorization: Bearer TOKEN`` (tokens from
``casework users add NAME --role ROLE``). 401 without a valid token; a write route's roles are
checked before its body is read (``casework.api.writes.WriteRoute``, 403), and ``writer``
refuses the read-only auditor role at the edge."""

from __future__ import annotations

import structlog
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from casework.api.problems import unauthenticated
from casework.domain.actors import Actor, Role
from casework.domain.errors import Forbidden
from casework.users import UserDirectory

log = structlog.get_logger("casework.api")

bearer = HTTPBearer(
    auto_error=False,
    description="An API token from `casework users add NAME --role ROLE`, shown once.",
)


def user_directory(request: Request) -> UserDirectory:
    return request.app.state.users


def current_actor(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Actor:
    """The authenticated user. Failures are logged without the token."""
    known = getattr(request.state, "actor", None)
    if isinstance(known, Actor):  # already authenticated for this request (a write route's guard)
        return known
    if credentials is None:
        log.info("authentication_failed", reason="no bearer token")
        raise unauthenticated(
            "Send `Authorization: Bearer TOKEN`; an admin creates a token with "
            "`casework users add NAME --role ROLE`."
        )
    actor = user_directory(request).authenticate(credentials.credentials)
    if actor is None:
        log.info("authentication_failed", reason="unknown or revoked token")
        raise unauthenticated(
            "The token is unknown or has been revoked; ask an admin for a new one "
            "(`casework users token NAME`)."
        )
    request.state.user = actor.name
    request.state.role = actor.role.value
    request.state.actor = actor
    return actor


async def authenticate(request: Request) -> Actor:
    """``current_actor`` outside dependency injection: 401, or the user (remembered for the
    request, so the route's own dependencies do not look the token up again)."""
    credentials = await bearer(request)
    return await run_in_threadpool(current_actor, request, credentials)


def writer(actor: Actor = Depends(current_actor)) -> Actor:
    """An actor that may write at all: auditors read and verify, and write nothing."""
    if actor.reads_only:
        raise Forbidden(actor.role.value, "record or change anything (auditors read only)")
    return actor


def admin(actor: Actor = Depends(current_actor)) -> Actor:
    if actor.role is not Role.admin:
        raise Forbidden(actor.role.value, "manage users and tokens (admins only)")
    return actor
