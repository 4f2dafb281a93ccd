"""Contract compliance escalation of one provider: escalate, lift, terminate, immediate
termination (propose, approve, reject); its status with the actions the ladder allows now."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.paths import KnownProvider
from casework.api.problems import READ_ERRORS, WRITE_ERRORS
from casework.api.schemas.workflows import EscalationAction, EscalationIn, EscalationOut
from casework.api.writes import WriteContext, WriteRoute, runs
from casework.domain.actors import Actor
from casework.domain.aggregate import Command
from casework.domain.escalation import (
    ApproveImmediateTermination,
    EscalateContract,
    LiftSanction,
    ProposeImmediateTermination,
    RejectImmediateTermination,
    TerminateContract,
)
from casework.workflows.status import escalation_status

router = APIRouter(prefix=f"{API_PREFIX}/providers", tags=["escalation"], route_class=WriteRoute)


@router.post("/{provider_id}/escalation", response_model=EscalationOut, responses=WRITE_ERRORS,
             summary="Escalate, lift, terminate or decide an immediate termination (managers); "
                     "answers the stage, what the ladder allows now and its deadlines")
@runs(EscalateContract, LiftSanction, TerminateContract, ProposeImmediateTermination,
      ApproveImmediateTermination, RejectImmediateTermination)
def escalate(provider_id: KnownProvider, body: EscalationIn, w: WriteContext = Depends()) -> EscalationOut:
    w.execute(_command(provider_id, body), expected_version=body.expected_version)
    return EscalationOut.model_validate(escalation_status(w.casework, provider_id, w.actor))


@router.get("/{provider_id}/escalation", response_model=EscalationOut, responses=READ_ERRORS,
            summary="The escalation stage, what it allows and its pending deadlines")
def status(
    request: Request, provider_id: KnownProvider, actor: Actor = Depends(current_actor)
) -> EscalationOut:
    return EscalationOut.model_validate(escalation_status(request.app.state.casework, provider_id, actor))


def _command(provider_id: str, body: EscalationIn) -> Command:
    common = {"provider_id": provider_id, "occurred_at": body.occurred_at}
    A = EscalationAction
    match body.action:
        case A.escalate:
            return EscalateContract.parse({**common, "to": body.to, "reason": body.reason,
                                           "grounds": body.grounds})
        case A.terminate:
            return TerminateContract.parse({**common, "reason": body.reason})
        case A.propose_termination:
            return ProposeImmediateTermination.parse(
                {**common, "grounds": body.grounds or "", "reason": body.reason})
        case A.approve_termination:
            return ApproveImmediateTermination.parse({**common, "note": body.reason})
        case A.reject_termination:
            return RejectImmediateTermination.parse({**common, "reason": body.reason})
    to = {"to": body.to} if body.to else {}
    return LiftSanction.parse({**common, **to, "improvement": body.reason})
