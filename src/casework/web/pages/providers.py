"""Providers: the list ranked by risk, and one provider's page (its current view or as it stood
on a date, the actions its state allows, and its whole history as a timeline)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from casework.domain.action_plans import (
    ACTION_PLAN,
    CompleteActionItem,
    ReturnActionItem,
    VerifyActionItem,
)
from casework.domain.actors import Role
from casework.domain.errors import DomainError, InvalidInput, NotFound
from casework.domain.escalation import (
    ACTION_WORDS,
    ApproveImmediateTermination,
    EscalateContract,
    LiftSanction,
    ProposeImmediateTermination,
    RejectImmediateTermination,
    TerminateContract,
)
from casework.domain.fields import is_identifier
from casework.domain.notices import IssueRemedyNotice
from casework.domain.personal_data import PersonDetails
from casework.domain.providers import AssignLeadOfficer
from casework.domain.safeguarding import (
    SAFEGUARDING,
    CloseSafeguardingConcern,
    RaiseSafeguardingConcern,
    RecordSafeguardingOutcome,
    ReferSafeguardingConcern,
)
from casework.domain.visits import CancelVisit, CompleteVisit, PlanVisit
from casework.events.errors import ConcurrencyError
from casework.events.providers import ServiceType
from casework.events.rag import Rag
from casework.events.safeguarding import SafeguardingCategory, SafeguardingOutcome
from casework.events.sanctions import SanctionStage
from casework.events.store.reading import Order
from casework.events.visits import VisitReason
from casework.projections.history import history
from casework.projections.narrative import describe
from casework.projections.paging import page_of
from casework.projections.provider_view import (
    list_providers,
    provider_state,
    provider_view,
    risk_matrix,
)
from casework.projections.triage import triage_inbox
from casework.web.actions import may, offered, require
from casework.web.filters import LOCAL, label
from casework.web.forms import FormState, WebForm, calendar_day, local_datetime, parse_command
from casework.web.page import Page, posted, signed_in
from casework.web.paging import window_at
from casework.web.timeline import record_href, timeline_names
from casework.workflows.deadline_calendar import lead_officers, pending_deadlines
from casework.workflows.status import escalation_status

router = APIRouter()

# The forms of the provider page (templates/provider.html) and the fields each has; the ids come
# from the path, a new record's id from the server.
ITEM_FORMS: dict[str, WebForm] = {
    "complete": WebForm(CompleteActionItem, ("note",)),
    "verify": WebForm(VerifyActionItem, ("note",)),
    "return": WebForm(ReturnActionItem, ("reason",)),
}
CONCERN_FORMS: dict[str, WebForm] = {
    "refer": WebForm(ReferSafeguardingConcern, ("section_42", "note")),
    "record_outcome": WebForm(RecordSafeguardingOutcome, ("outcome", "note")),
    "close": WebForm(CloseSafeguardingConcern, ("note",)),
}
VISIT_FORMS: dict[str, WebForm] = {
    "complete": WebForm(CompleteVisit, ("findings", "scores.*", "rag", "compliant")),
    "cancel": WebForm(CancelVisit, ("reason",)),
}
# One form per action, posted to one route; ``action`` picks the command, ``expected_version``
# is the escalation's version the page showed (a change since is a 409, not a silent overwrite).
ESCALATION_FORMS: dict[str, WebForm] = {
    "escalate": WebForm(EscalateContract, ("action", "expected_version", "to", "reason", "grounds")),
    "terminate": WebForm(TerminateContract, ("action", "expected_version", "reason")),
    "propose_termination": WebForm(
        ProposeImmediateTermination, ("action", "expected_version", "grounds", "reason")),
    "approve_termination": WebForm(ApproveImmediateTermination, ("action", "expected_version", "note")),
    "reject_termination": WebForm(RejectImmediateTermination, ("action", "expected_version", "reason")),
    "lift": WebForm(LiftSanction, ("action", "expected_version", "to", "improvement")),
}
NOTICE_FORM = WebForm(IssueRemedyNotice, ("breach", "actions", "remedy_by"))
LEAD_FORM = WebForm(AssignLeadOfficer, ("officer",))
VISIT_FORM = WebForm(PlanVisit, ("reason", "planned_for", "announced", "out_of_hours"))
CONCERN_FORM = WebForm(RaiseSafeguardingConcern, ("category", "summary", "adult.name", "adult.contact"))


def _commands(forms: dict[str, WebForm]) -> dict[str, type]:
    return {action: form.command for action, form in forms.items()}


ITEM_COMMANDS = _commands(ITEM_FORMS)
CONCERN_COMMANDS = _commands(CONCERN_FORMS)
VISIT_COMMANDS = _commands(VISIT_FORMS)
ESCALATION_COMMANDS = _commands(ESCALATION_FORMS)
# The kinds of record a timeline can be filtered to: the prefix of the stream an event is on.
TIMELINE_KINDS = {
    "provider": "Provider details and CQC",
    "intelligence": "Intelligence",
    "safeguarding": "Safeguarding",
    "visit": "Visits",
    "assessment": "Assessments",
    "action-plan": "Action plans",
    "escalation": "Escalation",
    "notice": "Notices to remedy breach",
    "provider-failure": "Provider failure",
    "deadline": "Deadlines reached",
}


def stream_kind(stream: str) -> str:
    """``action-plan-<uuid>`` -> ``action-plan``: the longest known prefix."""
    for kind in sorted(TIMELINE_KINDS, key=len, reverse=True):
        if stream.startswith(f"{kind}-"):
            return kind
    return stream.split("-", 1)[0]


def _options(enum: Any) -> list[tuple[str, str]]:
    return [(m.value, label(m.value)) for m in enum]


# ----------------------------------------------------------------------------- the list
@router.get("/providers")
def providers_list(
    q: str = "", service_type: str = "", stage: str = "", rag: str = "",
    offset: str = "", p: Page = Depends(signed_in),
) -> Response:
    cw = p.casework
    views = list_providers(
        cw, q=q or None, service_type=service_type or None, stage=stage or None, rag=rag or None,
        sort="risk", now=cw.clock.now(),
    )
    page = page_of(views, window_at(offset))
    return p.render(
        "providers.html",
        page_title="Providers",
        providers=page.items,
        page=page,
        q=q, service_type=service_type, stage=stage, rag=rag,
        service_types=_options(ServiceType),
        stages=_options(SanctionStage),
        rags=_options(Rag),
    )


# ----------------------------------------------------------------------------- one provider
def _as_of_instant(as_of: str) -> tuple[datetime | None, str]:
    """The end of the chosen day (UK time), or None for today; and an error if unreadable. The
    end, so that "as it happened on 1 Sep 2018" includes everything on 1 Sep 2018."""
    if not as_of:
        return None, ""
    try:
        day = calendar_day(as_of)
    except ValueError as exc:
        return None, f"{exc} Showing the provider as it is now."
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL) - timedelta(microseconds=1), ""


# Who may take a provider's evidence bundle away (the API's rule: auditors and managers).
MAY_EXPORT = frozenset({Role.auditor, Role.manager})


@router.get("/providers/{provider_id}/evidence.zip")
def provider_evidence(provider_id: str, p: Page = Depends(signed_in)) -> Response:
    """The provider's signed evidence bundle, as ``GET /api/v1/providers/{id}/evidence``."""
    from casework.evidence.bundle import BrokenHistory, export_bundle
    from casework.evidence.signing import SigningKeyError, SigningKeys

    cw = p.casework
    if p.actor.role not in MAY_EXPORT:
        return p.render("error.html", status_code=403, page_title="Not allowed", title="Not allowed",
                        message="Only auditors and managers export evidence bundles.")
    try:
        bundle = export_bundle(cw.store, lambda: SigningKeys.load(cw.settings.signing_key_file),
                               provider_id, now=cw.clock.now(),
                               council=cw.settings.council_name,
                               exported_by={"name": p.actor.name, "role": p.actor.role.value,
                                            "via": "web"})
    except SigningKeyError:
        return p.render("error.html", status_code=503, page_title="No signing key",
                        title="No signing key", message=(
                            "This server has no signing key to sign the bundle with: an "
                            "administrator makes one with `casework keys signing create PATH` "
                            "and sets CASEWORK_SIGNING_KEY_FILE."))
    except BrokenHistory as exc:
        return p.render("error.html", status_code=409, page_title="History does not verify",
                        title="History does not verify", message=str(exc))
    if bundle is None:
        return p.render("error.html", status_code=404, page_title="Not found", title="No such provider",
                        message=f"There is no provider {provider_id}.")
    name = f"evidence-{provider_id}.zip" if is_identifier(provider_id) else "evidence.zip"
    return Response(bundle, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/providers/{provider_id}")
def provider_page(
    provider_id: str, as_happened: str = "", as_known: str = "", as_of: str = "",
    order: str = "newest", by: str = "happened", kind: str = "", saved: str = "", offset: str = "",
    p: Page = Depends(signed_in),
) -> Response:
    # ``as_of`` is the older name of ``as_known`` (links made before there were two times).
    return _render_provider(p, provider_id, as_happened=as_happened, as_known=as_known or as_of,
                            order=order, by=by, kind=kind, saved=saved, offset=offset)


def _render_provider(
    p: Page, provider_id: str, *, as_happened: str = "", as_known: str = "", order: str = "newest",
    by: str = "happened", kind: str = "", saved: str = "", form: FormState | None = None,
    offset: str = "",
) -> Response:
    cw = p.casework
    now = cw.clock.now()
    errors = []
    happened, error = _as_of_instant(as_happened)
    errors.append(error)
    known, error = _as_of_instant(as_known)
    errors.append(error)
    future = "That date is in the future: showing the provider as it is now."
    if happened is not None and happened > now:
        happened, as_happened = None, ""
        errors.append(future)
    if known is not None and known > now:
        known, as_known = None, ""
        errors.append(future)
    as_of_error = " ".join(dict.fromkeys(e for e in errors if e))
    cut = happened is not None or known is not None
    view = provider_view(cw, provider_id, happened_at=happened, known_at=known, now=now)
    if view is None and not cut:
        return p.render(
            "error.html", status_code=404, page_title="Not found", title="No such provider",
            message=f"There is no provider {provider_id}. Search the providers list instead.",
        )
    matrix = risk_matrix(cw, provider_id, happened_at=happened, known_at=known, now=now) if view else None
    order_by: Order = "recorded" if by == "recorded" else "happened"
    timeline = history(cw, provider_id, happened_at=happened, known_at=known, order=order_by)
    events = list(timeline.events) if timeline else []
    names = timeline_names(p, events)
    order_of = list(TIMELINE_KINDS)
    kinds_present = sorted(
        {stream_kind(e.stream) for e in events},
        key=lambda k: (order_of.index(k) if k in order_of else len(order_of), k),
    )
    if kind:
        events = [e for e in events if stream_kind(e.stream) == kind]
    if order != "oldest":
        events.reverse()
    timeline_page = page_of(events, window_at(offset))  # 100 at a time, with a pager
    context: dict[str, Any] = {
        "provider": view,
        "provider_id": provider_id,
        "matrix": matrix,
        "events": [(e, describe(e, names)) for e in timeline_page.items],
        "timeline_page": timeline_page,
        "timeline": timeline,
        "timeline_kinds": [(k, TIMELINE_KINDS.get(k, label(k))) for k in [
            *TIMELINE_KINDS, *(k for k in kinds_present if k not in TIMELINE_KINDS)
        ]],
        "kind": kind,
        "order": "oldest" if order == "oldest" else "newest",
        "by": order_by,
        "as_happened": as_happened if happened else "",
        "as_known": as_known if known else "",
        "happened_instant": happened,
        "known_instant": known,
        "as_of_instant": known or happened,
        "as_of_error": as_of_error,
        "saved": saved,
        "form": form,
        "now": now,
        "stream_kind": stream_kind,
        "record_href": record_href,
        "visit_reasons": _options(VisitReason),
    }
    if not cut and view is not None:
        context.update(_current_only(p, provider_id, view))
    return p.render(
        "provider.html",
        status_code=form.status if form else 200,
        page_title=view.name if view and view.name else "Provider",
        **context,
    )


def _current_only(p: Page, provider_id: str, view: Any) -> dict[str, Any]:
    """What only the current view shows: open records, plans with items, actions, deadlines."""
    cw = p.casework
    now = cw.clock.now()
    status = escalation_status(cw, provider_id, p.actor)
    state = provider_state(cw, provider_id) or {}
    plans = []
    for plan_id in sorted(state.get("plans", {})):
        try:
            plans.append(cw.application.load(ACTION_PLAN, plan_id))
        except NotFound:
            continue
    steps = {s.action: s for s in status.actions}
    framework = cw.frameworks.get()
    planned = sorted(
        (
            {"visit_id": vid, "reason": reason, "planned_for": _instant(planned_for)}
            for vid, (reason, planned_for) in state.get("visits", {}).items()
        ),
        key=lambda v: (v["planned_for"] is None, v["planned_for"] or now, v["visit_id"]),
    )
    concerns = []
    for concern_id in sorted(state.get("concerns", {})):
        try:
            concern = cw.application.load(SAFEGUARDING, concern_id)
        except NotFound:
            continue
        adults: list[PersonDetails | None] | None = None  # None: this role may not see them
        if p.actor.may_see_restricted:
            adults = [cw.vault.reveal_details(person) for person in concern.adults_at_risk]
        concerns.append({
            "concern": concern,
            "adults": adults,
            "actions": offered(p.actor, concern.allowed_actions, CONCERN_COMMANDS),
        })
    return {
        "concerns": concerns,
        "may_raise_concern": may(p.actor, RaiseSafeguardingConcern),
        "concern_categories": _options(SafeguardingCategory),
        "concern_outcomes": _options(SafeguardingOutcome),
        "planned_visits": planned,
        "visit_actions": [a for a in VISIT_COMMANDS if may(p.actor, VISIT_COMMANDS[a])],
        "framework": framework,
        "score_options": _score_options(framework),
        "rag_options": _options(Rag),
        "item_actions": {
            f"{plan.id}/{item.item_id}": offered(p.actor, item.allowed_actions, ITEM_COMMANDS)
            for plan in plans
            for item in plan.items
        },
        "open_records": [
            i for i in triage_inbox(cw, provider_id=provider_id, now=now) if i.state != "closed"
        ],
        "plans": plans,
        "escalation": status,
        # Only what the ladder allows now (the domain's own guards), and why the rest is not.
        "escalation_actions": offered(p.actor, status.allowed_actions, ESCALATION_COMMANDS),
        "escalation_refused": [
            s for s in status.actions if not s.allowed
            and (status.proposal or s.action not in ("approve_termination", "reject_termination"))
        ] if any(may(p.actor, c) for c in ESCALATION_COMMANDS.values()) else [],
        "action_words": ACTION_WORDS,
        "escalate_to": [(s, label(s)) for s in steps["escalate"].to],
        "lift_to": [(s, label(s)) for s in steps["lift"].to],
        "grounds": [(g, g[:1].upper() + g[1:]) for g in status.grounds],
        "may_issue_notice": may(p.actor, IssueRemedyNotice),
        "may_plan_visit": may(p.actor, PlanVisit),
        **_deadline_owners(p, provider_id),
    }


def _deadline_owners(p: Page, provider_id: str) -> dict[str, Any]:
    """The provider's lead officer, its pending deadlines with their owners, and the reminders
    still to come for each."""
    cw = p.casework
    pending = pending_deadlines(cw, provider_id=provider_id, reminders=True)
    reminders: dict[str, list[Any]] = {}
    for d in pending:
        if d.is_reminder:
            reminders.setdefault(d.reminder_of, []).append(d)
    return {
        "lead_officer": lead_officers(cw, [provider_id]).get(provider_id),
        "provider_deadlines": [d for d in pending if not d.is_reminder],
        "provider_reminders": reminders,
        "owner_names": {},  # users have no display names yet: the user name is shown
        "may_assign_lead": may(p.actor, AssignLeadOfficer),
    }


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _score_options(framework: Any) -> list[tuple[str, str]]:
    """The choices for one indicator's score: the scale's labels, or its whole numbers."""
    scale = framework.scale
    if scale.kind == "labels":
        return [(name, label(name)) for name, _ in sorted(scale.points.items(), key=lambda kv: -kv[1])]
    return [(str(n), str(n)) for n in range(scale.max, scale.min - 1, -1)]


# ----------------------------------------------------------------------------- actions
async def _refused_or_saved(
    p: Page, provider_id: str, action: str, values: dict[str, Any], run: Any, saved: str = ""
) -> Response:
    try:
        # The API answers 404 for an unknown provider in a write's path; so does the page, even
        # where the command names its record by another id (a visit, an item, a concern).
        if not p.casework.store.streams_exist([f"provider-{provider_id}"]):
            raise NotFound("provider", provider_id)
        run()
    except (DomainError, ConcurrencyError) as exc:
        return _render_provider(p, provider_id, form=FormState.refused(action, values, exc))
    return p.redirect(f"/providers/{provider_id}?saved={saved or action}")


@router.post("/providers/{provider_id}/escalation")
async def change_escalation(provider_id: str, p: Page = Depends(posted)) -> Response:
    posted_form = await p.request.form()
    chosen = posted_form.get("action")
    action = chosen if isinstance(chosen, str) and chosen in ESCALATION_FORMS else "escalate"
    web_form = ESCALATION_FORMS.get(chosen) if isinstance(chosen, str) else None
    values = web_form.values(posted_form) if web_form else {}

    def run() -> None:
        if web_form is None:
            raise InvalidInput("action", f"choose one of: {', '.join(ESCALATION_FORMS)}")
        require(p.actor, web_form.command)
        data = web_form.data(values, provider_id=provider_id)
        expected = values.get("expected_version")
        p.casework.application.execute(
            parse_command(web_form.command, data), p.actor,
            expected_version=int(expected) if expected and expected.isdigit() else None,
        )

    return await _refused_or_saved(p, provider_id, action, values, run)


@router.post("/providers/{provider_id}/notices")
async def issue_notice(provider_id: str, p: Page = Depends(posted)) -> Response:
    values = NOTICE_FORM.values(await p.request.form())

    def run() -> None:
        require(p.actor, IssueRemedyNotice)
        data = NOTICE_FORM.data(values, provider_id=provider_id)
        data["actions"] = [line.strip() for line in values.get("actions", "").splitlines() if line.strip()]
        if not data["actions"]:
            raise InvalidInput("actions", "list the actions required, one a line")
        p.casework.application.execute(parse_command(IssueRemedyNotice, data), p.actor)

    return await _refused_or_saved(p, provider_id, "notice", values, run)


@router.post("/providers/{provider_id}/lead-officer")
async def assign_lead_officer(provider_id: str, p: Page = Depends(posted)) -> Response:
    values = LEAD_FORM.values(await p.request.form())

    def run() -> None:
        require(p.actor, AssignLeadOfficer)
        data = LEAD_FORM.data(values, provider_id=provider_id)
        p.casework.application.execute(parse_command(AssignLeadOfficer, data), p.actor)

    return await _refused_or_saved(p, provider_id, "lead", values, run, saved="lead_officer")


@router.post("/providers/{provider_id}/visits")
async def plan_visit(provider_id: str, p: Page = Depends(posted)) -> Response:
    values = VISIT_FORM.values(await p.request.form())

    def run() -> None:
        require(p.actor, PlanVisit)
        data = VISIT_FORM.data(values, provider_id=provider_id)
        if values.get("planned_for"):
            data["planned_for"] = local_datetime("planned_for", values["planned_for"])
        data["announced"] = values.get("announced") == "true"
        data["out_of_hours"] = values.get("out_of_hours") == "true"
        p.casework.application.execute(parse_command(PlanVisit, data), p.actor)

    return await _refused_or_saved(p, provider_id, "visit", values, run)


@router.post("/providers/{provider_id}/visits/{visit_id}/{action}")
async def visit_action(provider_id: str, visit_id: str, action: str, p: Page = Depends(posted)) -> Response:
    """Record a planned visit's findings and scores, or cancel it."""
    web_form = VISIT_FORMS.get(action)
    values = web_form.values(await p.request.form()) if web_form else {}

    def run() -> None:
        if web_form is None:
            raise NotFound("action", action)
        require(p.actor, web_form.command)
        data = web_form.data(values, visit_id=visit_id)
        if web_form.command is CompleteVisit:
            scores = {k: v for k, v in data.get("scores", {}).items() if v != ""}
            if scores:
                data["scores"] = scores
            else:
                data.pop("scores", None)
            if values.get("compliant") in ("true", "false"):
                data["compliant"] = values["compliant"] == "true"
        p.casework.application.execute(parse_command(web_form.command, data), p.actor)

    done = {"complete": "visit_recorded", "cancel": "visit_cancelled"}.get(action, "")
    return await _refused_or_saved(p, provider_id, f"visit-{action}:{visit_id}", values, run, done)


@router.post("/providers/{provider_id}/action-plans/{plan_id}/items/{item_id}/{action}")
async def item_action(
    provider_id: str, plan_id: str, item_id: str, action: str, p: Page = Depends(posted)
) -> Response:
    """An action item reported done by the provider, verified by an officer, or returned."""
    web_form = ITEM_FORMS.get(action)
    values = web_form.values(await p.request.form()) if web_form else {}

    def run() -> None:
        if web_form is None:
            raise NotFound("action", action)
        require(p.actor, web_form.command)
        data = web_form.data(values, plan_id=plan_id, item_id=item_id)
        p.casework.application.execute(parse_command(web_form.command, data), p.actor)

    done = {"complete": "item_reported_done", "verify": "item_verified", "return": "item_returned"}
    return await _refused_or_saved(
        p, provider_id, f"item-{action}:{plan_id}/{item_id}", values, run, done.get(action, "")
    )


@router.post("/providers/{provider_id}/safeguarding")
async def raise_concern(provider_id: str, p: Page = Depends(posted)) -> Response:
    """Raise a safeguarding concern; the adult at risk's name is sealed, never stored in clear."""
    values = CONCERN_FORM.values(await p.request.form())

    def run() -> None:
        require(p.actor, RaiseSafeguardingConcern)
        data = CONCERN_FORM.data(values, provider_id=provider_id)
        data.pop("adults_at_risk", None)
        name, contact = values.get("adult.name", ""), values.get("adult.contact", "")
        if name or contact:
            if not name:
                raise InvalidInput("adult.name", "give the adult's name, or leave both fields empty")
            data["adults_at_risk"] = [{"name": name, "contact": contact or None}]
        p.casework.application.execute(parse_command(RaiseSafeguardingConcern, data), p.actor)

    return await _refused_or_saved(p, provider_id, "concern", values, run, "concern_raised")


@router.post("/providers/{provider_id}/safeguarding/{concern_id}/{action}")
async def concern_action(
    provider_id: str, concern_id: str, action: str, p: Page = Depends(posted)
) -> Response:
    """Refer a concern (section 42 enquiry or not), record its outcome, close it."""
    web_form = CONCERN_FORMS.get(action)
    values = web_form.values(await p.request.form()) if web_form else {}

    def run() -> None:
        if web_form is None:
            raise NotFound("action", action)
        require(p.actor, web_form.command)
        data = web_form.data(values, concern_id=concern_id)
        p.casework.application.execute(parse_command(web_form.command, data), p.actor)

    done = {"refer": "concern_referred", "record_outcome": "outcome_recorded", "close": "concern_closed"}
    return await _refused_or_saved(
        p, provider_id, f"concern-{action}:{concern_id}", values, run, done.get(action, "")
    )
