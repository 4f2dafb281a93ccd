"""Who am I, and (admins) who may use Casework."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import TypeAdapter

from casework.api import API_PREFIX
from casework.api.auth import admin, current_actor
from casework.api.paging import LIST_RESPONSES, PAGING, paged, window
from casework.api.problems import READ_ERRORS
from casework.api.schemas.common import Out, UtcDateTime
from casework.domain.actors import Actor, Role
from casework.projections.paging import Window, page_of

router = APIRouter(prefix=API_PREFIX, tags=["users"], responses=READ_ERRORS)


class Me(Out):
    name: str
    role: Role
    may_see_restricted: bool


class UserOut(Out):
    name: str
    role: Role
    created_at: UtcDateTime
    active_tokens: int


@router.get("/me", response_model=Me, summary="The user the token belongs to")
def me(actor: Actor = Depends(current_actor)) -> Me:
    return Me(name=actor.name, role=actor.role, may_see_restricted=actor.may_see_restricted)


@router.get("/users", response_model=list[UserOut], responses=LIST_RESPONSES,
            summary="Every user (admins only)", description=PAGING)
def list_users(request: Request, page: Window = Depends(window), _: Actor = Depends(admin)) -> Response:
    return paged(request, page_of(request.app.state.users.list(), page), _USERS)


_USERS = TypeAdapter(list[UserOut])
