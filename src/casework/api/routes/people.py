"""Erasing a person's restricted data on request (``casework.erasure``): managers only, since
they alone see who a ``person_id`` is (beside the name on the record or concern)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.idempotency import Idempotency, idempotency
from casework.api.problems import WRITE_ERRORS
from casework.api.schemas.common import Body, Out, UtcDateTime
from casework.api.writes import Permission, WriteRoute, permits
from casework.domain.actors import Actor, Role
from casework.domain.personal_data import ErasureGrounds
from casework.erasure import erase_person

router = APIRouter(prefix=f"{API_PREFIX}/people", tags=["people"], route_class=WriteRoute)


class EraseIn(Body):
    grounds: ErasureGrounds = Field(description="Why the data may be erased: one of a fixed list.")
    note: str | None = Field(
        None, max_length=2000,
        description="Optional: the request's reference or date. Kept for good and shown to every "
        "role, so a note holding any part of the person's name, their email address or phone "
        "number is refused (422, field `note`).",
    )


class ErasureOut(Out):
    person_id: str
    erased: bool = True
    already_erased: bool = Field(description="True when it had been erased before: nothing done now.")
    erased_at: UtcDateTime
    erased_by: str
    scrubbed: bool = Field(description="False: the database files may still hold a copy of the "
                           "key (a long transaction was open); post the erasure again.")


MAY_ERASE = Permission(frozenset({Role.manager}), "erase a person's data (managers only)")


@router.post(
    "/{person_id}/erase", response_model=ErasureOut, responses=WRITE_ERRORS,
    summary="Erase a person's restricted data, irreversibly (managers)",
    description=(
        "Destroys the person's key: their identity can never be read again, by anyone. Every "
        "event and its hash chain stay as they were (`casework verify` still passes); records "
        "show the person as `{\"erased\": true}`. Erasing again answers 200 with "
        "`already_erased: true`, records nothing and scrubs again. `person_id` is shown to "
        "managers beside the name. Same as `casework erase PERSON_ID --grounds GROUNDS --note TEXT`."
    ),
)
@permits(MAY_ERASE)
def erase(
    request: Request, person_id: str, body: EraseIn, actor: Actor = Depends(current_actor),
    _: Idempotency = Depends(idempotency),
) -> ErasureOut:
    cw = request.app.state.casework
    done = erase_person(cw.store, cw.vault, person_id, body.grounds, actor, note=body.note)
    return ErasureOut(person_id=done.person_id, already_erased=done.already,
                      erased_at=done.erased_at, erased_by=done.erased_by, scrubbed=done.scrubbed)
