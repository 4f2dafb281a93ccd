"""Who am I, and (admins) who may use Casework; where each person's alerts go, their digest
choice and their private calendar feed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field, TypeAdapter

from casework.api import API_PREFIX
from casework.api.auth import admin, current_actor
from casework.api.idempotency import Idempotency, idempotency
from casework.api.paging import LIST_RESPONSES, PAGING, paged, window
from casework.api.problems import READ_ERRORS, WRITE_ERRORS
from casework.api.schemas.common import Out, UtcDateTime
from casework.api.writes import Permission, WriteRoute, permits
from casework.domain.actors import Actor, Role
from casework.projections.paging import Window, page_of
from casework.users import UserRecord

router = APIRouter(prefix=API_PREFIX, tags=["users"], responses=READ_ERRORS, route_class=WriteRoute)

# Those who own deadlines (and admins); auditors write nothing, so have no digest or feed to manage.
SELF = Permission(frozenset({Role.officer, Role.manager, Role.admin}),
                  "manage your own digest and calendar feed")
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


class Revoked(Out):
    revoked: bool = Field(..., description="False when there was no feed to revoke.")


class CalendarFeed(Out):
    url: str = Field(..., description="The private feed address: subscribe to it in Outlook or "
                                      "another calendar. Shown once; anyone with it can read it.")


@router.get("/me", response_model=Me, summary="The user the token belongs to")
def me(request: Request, actor: Actor = Depends(current_actor)) -> Me:
    found = [u for u in request.app.state.users.list(name=actor.name)]
    extra = {"email": found[0].email, "digests": found[0].digests,
             "calendar": found[0].calendar} if found else {}
    return Me(name=actor.name, role=actor.role, may_see_restricted=actor.may_see_restricted, **extra)


@router.post("/me/digests", response_model=UserOut, summary="Turn your daily digest on or off",
             responses=WRITE_ERRORS)
@permits(SELF)
def change_my_digests(body: MyChange, request: Request,
                      actor: Actor = Depends(current_actor),
                      _: Idempotency = Depends(idempotency)) -> UserOut:
    record = request.app.state.users.set_digests(actor.name, body.digests, actor)
    return UserOut.model_validate(record)


@router.post("/me/calendar", response_model=CalendarFeed, status_code=201, responses=WRITE_ERRORS,
             summary="Issue (or replace) your private calendar feed address")
@permits(SELF)
def issue_my_calendar(request: Request, actor: Actor = Depends(current_actor),
                      _: Idempotency = Depends(idempotency)) -> CalendarFeed:
    """The previous address stops working. The new one is shown once (not kept for replaying:
    a retry issues another)."""
    _keep_no_secret(request)
    return CalendarFeed(url=_feed_url(request, request.app.state.users.issue_calendar(actor.name, actor)))


@router.post("/me/calendar/revoke", response_model=Revoked, responses=WRITE_ERRORS,
             summary="Revoke your calendar feed address")
@permits(SELF)
def revoke_my_calendar(request: Request, actor: Actor = Depends(current_actor),
                       _: Idempotency = Depends(idempotency)) -> Revoked:
    """The address answers 404 from now on."""
    return Revoked(revoked=request.app.state.users.revoke_calendar(actor.name, actor))


@router.get("/users", response_model=list[UserOut], responses=LIST_RESPONSES,
            summary="Every user (admins only)", description=PAGING)
def list_users(request: Request, page: Window = Depends(window), _: Actor = Depends(admin)) -> Response:
    return paged(request, page_of(request.app.state.users.list(), page), _USERS)


_USERS = TypeAdapter(list[UserOut])


@router.post("/users/{name}/settings", response_model=UserOut, responses=WRITE_ERRORS,
             summary="Set a user's email address or digest choice (admins only)")
@permits(ADMINS)
def change_user(name: str, body: UserChange, request: Request,
                actor: Actor = Depends(current_actor),
                _: Idempotency = Depends(idempotency)) -> UserOut:
    directory = request.app.state.users
    record: UserRecord = directory.get(name)
    if "email" in body.model_fields_set:
        record = directory.set_email(name, body.email, actor)
    if body.digests is not None:
        record = directory.set_digests(name, body.digests, actor)
    return UserOut.model_validate(record)


def _keep_no_secret(request: Request) -> None:
    """The answer holds the feed's secret token, of which only a hash may be stored: so it is
    not saved for Idempotency-Key replays (IdempotentRoute saves what request.state names)."""
    request.state.idempotency = None


def _feed_url(request: Request, token: str) -> str:
    return f"{request.app.state.casework.settings.base_url}/calendar/{token}.ics"


@router.post("/users/{name}/calendar", response_model=CalendarFeed, status_code=201,
             responses=WRITE_ERRORS,
             summary="Issue (or replace) a user's private calendar feed address (admins only)")
@permits(ADMINS)
def issue_calendar(name: str, request: Request, actor: Actor = Depends(current_actor),
                   _: Idempotency = Depends(idempotency)) -> CalendarFeed:
    """The previous address stops working. The new one is shown once (not kept for replaying:
    a retry issues another)."""
    _keep_no_secret(request)
    return CalendarFeed(url=_feed_url(request, request.app.state.users.issue_calendar(name, actor)))


@router.post("/users/{name}/calendar/revoke", response_model=Revoked, responses=WRITE_ERRORS,
             summary="Revoke a user's calendar feed address (admins only)")
@permits(ADMINS)
def revoke_calendar(name: str, request: Request, actor: Actor = Depends(current_actor),
                    _: Idempotency = Depends(idempotency)) -> Revoked:
    """The address answers 404 from now on."""
    return Revoked(revoked=request.app.state.users.revoke_calendar(name, actor))
