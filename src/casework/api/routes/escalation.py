"""Contract compliance escalation of one provider: escalate, lift, terminate; its status."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.paths import KnownProvider
from casework.api.problems import READ_ERRORS, WRITE_ERRORS
from casework.api.schemas.workflows import EscalationAction, EscalationIn, EscalationOut
from casework.api.writes import WriteContext, WriteRoute, runs
from casework.domain.actors import Actor
from casework.domain.escalation import EscalateContract, LiftSanction, TerminateContract
from casework.workflows.status import escalation_status

router = APIRouter(prefix=f"{API_PREFIX}/providers", tags=["escalation"], route_class=WriteRoute)


@router.post("/{provider_id}/escalation", response_model=EscalationOut, responses=WRITE_ERRORS,
             summary="Escalate, lift or terminate (managers); answers the stage and its deadlines")
@runs(EscalateContract, LiftSanction, TerminateContract)
def escalate(provider_id: KnownProvider, body: EscalationIn, w: WriteContext = Depends()) -> EscalationOut:
    w.execute(_command(provider_id, body), expected_version=body.expected_version)
    return EscalationOut.model_validate(escalation_status(w.casework, provider_id))


@router.get("/{provider_id}/escalation", response_model=EscalationOut, responses=READ_ERRORS,
            summary="The escalation stage, what it allows and its pending deadlines")
def status(request: Request, provider_id: KnownProvider, _: Actor = Depends(current_actor)) -> EscalationOut:
    return EscalationOut.model_validate(escalation_status(request.app.state.casework, provider_id))


def _command(provider_id: str, body: EscalationIn) -> EscalateContract | LiftSanction | TerminateContract:
    common = {"provider_id": provider_id, "occurred_at": body.occurred_at}
    if body.action is EscalationAction.escalate:
        return EscalateContract.parse({**common, "to": body.to, "reason": body.reason})
    if body.action is EscalationAction.terminate:
        return TerminateContract.parse({**common, "reason": body.reason})
    to = {"to": body.to} if body.to else {}
    return LiftSanction.parse({**common, **to, "improvement": body.reason})
