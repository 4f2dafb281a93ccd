"""``GET /calendar/{token}.ics``: a user's private calendar feed. No sign-in: the secret token in
the address is the key, read-only; an unknown, rotated or revoked token is 404."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from casework.domain.errors import NotFound

router = APIRouter(tags=["calendar"])


@router.get(
    "/calendar/{token}.ics", response_class=Response,
    summary="A user's deadlines as an iCalendar feed (the token is the key)",
    responses={200: {"content": {"text/calendar": {}}}, 404: {"description": "No such feed"}},
)
def calendar_feed(token: str, request: Request) -> Response:
    casework = request.app.state.casework
    owner = casework.users.calendar_owner(token)
    if owner is None:
        raise NotFound("calendar feed", "this address")
    return Response(
        casework.alerts.feed(owner), media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, no-store"},
    )
