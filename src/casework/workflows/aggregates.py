"""The workflows' aggregates, registered with the Application by ``wire_workflows``:
contract escalation (``escalation-<provider_id>``, exists from the start in 'monitoring'),
notices to remedy breach (``notice-<id>``) and provider failure procedures
(``provider-failure-<id>``)."""

from __future__ import annotations

from casework.domain.aggregate import Aggregate, Route
from casework.workflows import escalation, notices, provider_failure

_PROVIDER = Route(lambda c: c.provider_id, provider_of=lambda c: c.provider_id)

ESCALATION = Aggregate(
    kind="contract escalation",
    stream_prefix="escalation",
    initial=escalation.EscalationState,
    evolve=escalation.evolve,
    decide=escalation.decide,
    routes={
        escalation.EscalateContract: _PROVIDER,
        escalation.TerminateContract: _PROVIDER,
        escalation.LiftSanction: _PROVIDER,
    },
    lifecycle=escalation.ESCALATION,
    state_of=lambda s: s.stage,
    exists_without_events=True,
)

NOTICE = Aggregate(
    kind="notice to remedy breach",
    stream_prefix="notice",
    initial=notices.Notice,
    evolve=notices.evolve,
    decide=notices.decide,
    routes={
        notices.IssueRemedyNotice: Route(
            lambda c: c.notice_id, creates=True, provider_of=lambda c: c.provider_id
        ),
        notices.RecordNoticeComplied: Route(lambda c: c.notice_id),
        notices.ExtendRemedyNotice: Route(lambda c: c.notice_id),
        notices.RecordNoticeFailed: Route(lambda c: c.notice_id),
    },
    lifecycle=notices.NOTICE,
    state_of=lambda s: s.state,
)

PROVIDER_FAILURE = Aggregate(
    kind="provider failure procedure",
    stream_prefix="provider-failure",
    initial=provider_failure.Procedure,
    evolve=provider_failure.evolve,
    decide=provider_failure.decide,
    routes={
        provider_failure.IdentifyFailureConcern: Route(
            lambda c: c.procedure_id, creates=True, provider_of=lambda c: c.provider_id
        ),
        **{
            command: Route(lambda c: c.procedure_id)
            for command in (
                provider_failure.InitiateProcedure,
                provider_failure.StartContingencyPlanning,
                provider_failure.ReviewContingencyPlan,
                provider_failure.StartResidentsMoving,
                provider_failure.CloseProcedure,
            )
        },
    },
    lifecycle=provider_failure.PROVIDER_FAILURE,
    state_of=lambda s: s.stage,
)


def workflow_aggregates() -> list[Aggregate]:
    return [ESCALATION, NOTICE, PROVIDER_FAILURE]
