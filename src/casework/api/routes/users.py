"""Who am I, and (admins) who may use Casework."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from casework.api import API_PREFIX
from casework.api.auth import admin, current_actor
from casework.api.problems import READ_ERRORS
from casework.api.schemas.common import Out, UtcDateTime
from casework.domain.actors import Actor, Role

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


@router.get("/users", response_model=list[UserOut], summary="Every user (admins only)")
def list_users(request: Request, _: Actor = Depends(admin)) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in request.app.state.users.list()]
