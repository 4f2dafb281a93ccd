"""Who am I, and (admins) who may use Casework; where each person's alerts go, their digest
choice and their private calendar feed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from casework.api import API_PREFIX
from casework.api.auth import admin, current_actor
from casework.api.problems import READ_ERRORS
from casework.api.schemas.common import Out, UtcDateTime
from casework.api.writes import Permission, WriteRoute, permits
from casework.domain.actors import Actor, Role
from casework.domain.errors import Forbidden
from casework.users import UserRecord

router = APIRouter(prefix=API_PREFIX, tags=["users"], responses=READ_ERRORS, route_class=WriteRoute)

EVERYONE = Permission(frozenset(Role), "manage their own alerts and calendar feed")
ADMINS = Permission(frozenset({Role.admin}), "manage users and tokens (admins only)")


class Me(Out):
    name: str
    role: Role
    may_see_restricted: bool
    email: str | None = None
    digests: bool = True
    calendar: bool = Field(False, description="Whether a calendar feed address is active.")


class UserOut(Out):
    name: str
    role: Role
    created_at: UtcDateTime
    active_tokens: int
    email: str | None = None
    digests: bool = Field(True, description="Whether they get the daily digest by email.")
    calendar: bool = Field(False, description="Whether a calendar feed address is active.")


class UserChange(Out):
    """Fields to change; those left out stay as they are."""

    model_config = {"extra": "forbid"}
    email: str | None = Field(None, max_length=320, description='Where alerts go; "" removes it.')
    digests: bool | None = Field(None, description="Daily digest on (true) or off (false).")


class MyChange(Out):
    model_config = {"extra": "forbid"}
    digests: bool = Field(..., description="Daily digest on (true) or off (false).")


class CalendarFeed(Out):
    url: str = Field(..., description="The private feed address: subscribe to it in Outlook or "
                                      "another calendar. Shown once; anyone with it can read it.")


@router.get("/me", response_model=Me, summary="The user the token belongs to")
def me(request: Request, actor: Actor = Depends(current_actor)) -> Me:
    found = [u for u in request.app.state.users.list(name=actor.name)]
    extra = {"email": found[0].email, "digests": found[0].digests,
             "calendar": found[0].calendar} if found else {}
    return Me(name=actor.name, role=actor.role, may_see_restricted=actor.may_see_restricted, **extra)


@router.patch("/me", response_model=UserOut, summary="Turn your daily digest on or off")
@permits(EVERYONE)
def change_me(body: MyChange, request: Request, actor: Actor = Depends(current_actor)) -> UserOut:
    record = request.app.state.users.set_digests(actor.name, body.digests, actor)
    return UserOut.model_validate(record)


@router.get("/users", response_model=list[UserOut], summary="Every user (admins only)")
def list_users(request: Request, _: Actor = Depends(admin)) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in request.app.state.users.list()]


@router.patch("/users/{name}", response_model=UserOut,
              summary="Set a user's email address or digest choice (admins only)")
@permits(ADMINS)
def change_user(name: str, body: UserChange, request: Request,
                actor: Actor = Depends(current_actor)) -> UserOut:
    directory = request.app.state.users
    record: UserRecord = directory.get(name)
    if "email" in body.model_fields_set:
        record = directory.set_email(name, body.email, actor)
    if body.digests is not None:
        record = directory.set_digests(name, body.digests, actor)
    return UserOut.model_validate(record)


def _feed_url(request: Request, token: str) -> str:
    return f"{request.app.state.casework.settings.base_url}/calendar/{token}.ics"


def _check_self_or_admin(actor: Actor, name: str) -> None:
    if actor.name != name and actor.role is not Role.admin:
        raise Forbidden(actor.role.value, "manage another user's calendar feed (admins only)")


@router.put("/users/{name}/calendar", response_model=CalendarFeed,
             summary="Issue (or replace) a user's private calendar feed address")
@permits(EVERYONE)
def issue_calendar(name: str, request: Request, actor: Actor = Depends(current_actor)) -> CalendarFeed:
    """A user may issue their own; admins anyone's. The previous address stops working."""
    _check_self_or_admin(actor, name)
    return CalendarFeed(url=_feed_url(request, request.app.state.users.issue_calendar(name, actor)))


@router.delete("/users/{name}/calendar", status_code=204,
               summary="Revoke a user's calendar feed address")
@permits(EVERYONE)
def revoke_calendar(name: str, request: Request, actor: Actor = Depends(current_actor)) -> Response:
    """A user may revoke their own; admins anyone's. The address answers 404 from now on."""
    _check_self_or_admin(actor, name)
    request.app.state.users.revoke_calendar(name, actor)
    return Response(status_code=204)
