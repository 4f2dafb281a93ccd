"""The triage inbox and the intelligence record page: log a record, then allocate, assess, act
and close it, from the list or from the record, through the same commands as the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from casework.domain.actors import Role
from casework.domain.errors import DomainError, InvalidInput, NotFound
from casework.domain.fields import is_identifier
from casework.domain.intelligence import (
    INTELLIGENCE,
    RECORD_LIFECYCLE,
    AllocateIntelligence,
    AssessRisk,
    CloseIntelligence,
    LogIntelligence,
    ReopenIntelligence,
    TakeIntelligenceAction,
)
from casework.events.errors import ConcurrencyError
from casework.events.intelligence import (
    IntelligenceAction,
    IntelligenceOutcome,
    IntelligenceSource,
    IntelligenceState,
    RiskLevel,
)
from casework.projections.history import entry_of
from casework.projections.narrative import describe
from casework.projections.provider_view import list_providers
from casework.projections.triage import TriageFilters, TriageItem, triage_count, triage_inbox, triage_page
from casework.web.actions import may, offered, require
from casework.web.filters import label
from casework.web.forms import FormState, WebForm, local_datetime, parse_command
from casework.web.page import Page, posted, signed_in
from casework.web.paging import window_at
from casework.web.timeline import record_href, timeline_names

router = APIRouter()

# What a script post announces (casework.js reads it with decodeURIComponent): percent-encoded,
# because a header holds Latin-1 only and a message may quote any id or name (a 500 otherwise).
MESSAGE_HEADER = "x-casework-message"
MESSAGE_SAFE = " .,:;'()!?-_"

# The record's lifecycle actions, the forms that carry them out and their fields, in the order
# shown (templates/_record_forms.html renders them).
FORMS: dict[str, WebForm] = {
    "allocate": WebForm(AllocateIntelligence, ("officer",)),
    "assess": WebForm(AssessRisk, ("risk", "action_required", "rationale")),
    "take_action": WebForm(TakeIntelligenceAction, ("action", "note")),
    "close": WebForm(CloseIntelligence, ("outcome", "note")),
    "reopen": WebForm(ReopenIntelligence, ("reason",)),
}
COMMANDS: dict[str, type] = {action: form.command for action, form in FORMS.items()}
# The inbox's "Log new intelligence" form (templates/inbox.html); the server makes the record's id.
LOG_FORM = WebForm(LogIntelligence, (
    "provider_id", "source", "received_at", "summary", "whistleblower.name", "whistleblower.contact",
), if_empty={
    "provider_id": "Choose the provider the intelligence is about",
    "source": "Choose where the intelligence came from",
    "received_at": "Enter when the team received it, e.g. 02/03/2026 09:30",
    "summary": "Write a short summary of what was reported",
})
OPEN_STATES: list[str | None] = [s.value for s in IntelligenceState if s is not IntelligenceState.closed]
SHOW = {"open": "Open records", **{s.value: label(s.value) for s in IntelligenceState}, "all": "All records"}


@dataclass(frozen=True)
class Choices:
    """The options of the record forms' selects."""

    officers: list[tuple[str, str]]
    risks: list[tuple[str, str]]
    actions: list[tuple[str, str]]
    outcomes: list[tuple[str, str]]
    sources: list[tuple[str, str]]
    providers: list[tuple[str, str]]


def _options(enum: Any) -> list[tuple[str, str]]:
    return [(member.value, label(member.value)) for member in enum]


def choices(p: Page, with_providers: bool = False) -> Choices:
    people = [u for u in p.casework.users.list() if u.role in (Role.officer, Role.manager)]
    providers = []
    if with_providers:
        providers = [(v.id, v.name or v.id) for v in list_providers(p.casework, sort="name")]
    return Choices(
        officers=[(u.name, f"{u.name} ({u.role.value})") for u in people],
        risks=_options(RiskLevel),
        actions=_options(IntelligenceAction),
        outcomes=_options(IntelligenceOutcome),
        sources=_options(IntelligenceSource),
        providers=providers,
    )


def _inbox_filters(show: str, *, assigned_to: str | None = None, overdue: bool = False) -> TriageFilters:
    """The records a choice of "Show" lists; "open" is every state but closed, "all" all."""
    return TriageFilters(
        states=tuple(s for s in OPEN_STATES if s) if show == "open" else (),
        state=show if show in IntelligenceState.__members__ else None,
        assigned_to=assigned_to,
        overdue=True if overdue else None,
    )


def _actions_of(p: Page, items: list[TriageItem]) -> dict[str, list[str]]:
    return {
        i.record_id: offered(p.actor, RECORD_LIFECYCLE.allowed_actions(i.state), COMMANDS)
        for i in items
    }


@router.get("/inbox")
def inbox(
    show: str = "open", mine: bool = False, overdue: bool = False, logged: str = "",
    offset: str = "", p: Page = Depends(signed_in),
) -> Response:
    return _render_inbox(p, show, mine, overdue, logged=logged, offset=offset)


def _render_inbox(
    p: Page, show: str = "open", mine: bool = False, overdue: bool = False, *,
    log_form: FormState | None = None, logged: str = "", offset: str = "",
) -> Response:
    show = show if show in SHOW else "open"
    cw, now = p.casework, p.casework.clock.now()
    listed = _inbox_filters(show, assigned_to=p.actor.name if mine else None, overdue=overdue)
    page = triage_page(cw, listed, window_at(offset), now=now)
    items = page.items
    counts = {
        "open": triage_count(cw, _inbox_filters("open"), now=now),
        "overdue": triage_count(cw, _inbox_filters("open", overdue=True), now=now),
        "unallocated": triage_count(cw, _inbox_filters(IntelligenceState.logged.value), now=now),
        "mine": triage_count(cw, _inbox_filters("open", assigned_to=p.actor.name), now=now),
    }
    return p.render(
        "inbox.html",
        status_code=log_form.status if log_form else 200,
        page_title="Triage inbox",
        items=items,
        page=page,
        item_actions=_actions_of(p, items),
        counts=counts,
        show=show,
        show_options=list(SHOW.items()),
        mine=mine,
        overdue=overdue,
        choices=choices(p, with_providers=True),
        may_log=may(p.actor, LogIntelligence),
        log_form=log_form,
        logged=logged,
        form=None,
        form_record=None,
        now=p.casework.clock.now(),
    )


@router.post("/intelligence")
async def log_intelligence(p: Page = Depends(posted)) -> Response:
    values = LOG_FORM.values(await p.request.form())
    try:
        require(p.actor, LogIntelligence)
        command = LOG_FORM.check(values, lambda: _log_command(values))
        result = p.casework.application.execute(command, p.actor)
    except (DomainError, ConcurrencyError) as exc:
        return _render_inbox(p, log_form=FormState.refused("log", values, exc))
    return p.redirect(f"/inbox?logged={result.aggregate_id}#rec-{result.aggregate_id}")


def _log_command(values: dict[str, str]) -> LogIntelligence:
    """The command the log form describes, or ``InvalidInput`` naming each field at fault."""
    data = LOG_FORM.data(values)
    problems: list[tuple[str, str]] = []
    if values.get("received_at"):
        try:
            data["received_at"] = local_datetime("received_at", values["received_at"])
        except InvalidInput as exc:
            problems += exc.errors
    if not any(values.get(f"whistleblower.{k}") for k in ("name", "contact")):
        data.pop("whistleblower", None)
    command = None
    try:
        command = parse_command(LogIntelligence, data)
    except InvalidInput as exc:
        named = {name for name, _ in problems}
        problems += [(name, reason) for name, reason in exc.errors if name not in named]
    if problems or command is None:
        raise InvalidInput(*problems[0], *problems[1:])
    return cast(LogIntelligence, command)


@router.get("/intelligence/{record_id}")
def record_page(record_id: str, saved: str = "", p: Page = Depends(signed_in)) -> Response:
    return _render_record(p, record_id, saved=saved if saved in COMMANDS else "")


def _render_record(
    p: Page, record_id: str, form: FormState | None = None, saved: str = "", *, fragment: bool = False
) -> Response:
    cw = p.casework
    try:
        record = cw.application.load(INTELLIGENCE, record_id)
    except NotFound:
        return p.render(
            "error.html", status_code=404, page_title="Not found", title="No such record",
            message=f"There is no intelligence record {record_id}. It may have been mistyped.",
        )
    item = next(
        (i for i in triage_inbox(cw, provider_id=record.provider_id, now=cw.clock.now())
         if i.record_id == record_id),
        None,
    )
    whistleblower = None
    if record.whistleblower is not None and p.actor.may_see_restricted:
        whistleblower = cw.vault.reveal_details(record.whistleblower)
    entries = [entry_of(e) for e in cw.store.read_stream(INTELLIGENCE.stream(record_id))]
    names = timeline_names(p, entries)
    history = [(e, describe(e, names)) for e in entries]
    summary = {"record_id": record_id, "state": record.state.value, "assigned_to": record.officer}
    return p.render(
        "_record_main.html" if fragment else "record.html",
        status_code=form.status if form else 200,
        page_title="Intelligence record",
        record=record,
        summary=summary,
        item=item,
        offered=offered(p.actor, record.allowed_actions, COMMANDS),
        form=form,
        saved=saved,
        whistleblower=whistleblower,
        history=history,
        record_href=record_href,
        choices=choices(p),
        now=cw.clock.now(),
    )


@router.post("/intelligence/{record_id}/{action}")
async def act_on_record(record_id: str, action: str, p: Page = Depends(posted)) -> Response:
    posted_form = await p.request.form()
    view = "row" if posted_form.get("view") == "row" else "page"
    web_form = FORMS.get(action)
    form: FormState | None = None
    if web_form is None:
        return p.render("error.html", status_code=404, title="No such action", message=action)
    values = web_form.values(posted_form)
    try:
        require(p.actor, web_form.command)
        if not is_identifier(record_id):  # it cannot be any record's id
            raise NotFound("intelligence record", record_id)
        command = parse_command(web_form.command, web_form.data(values, record_id=record_id))
        p.casework.application.execute(command, p.actor)
    except (DomainError, ConcurrencyError) as exc:
        form = FormState.refused(action, values, exc)
    message = f"Not saved: {next(iter(form.errors.values()))}" if form else f"Saved: {label(action)}."
    if view == "row" and p.is_fetch:
        response = _render_row(p, record_id, form)
    elif p.is_fetch or form is not None:
        response = _render_record(p, record_id, form, "" if form else action, fragment=p.is_fetch)
    else:
        return p.redirect(f"/intelligence/{record_id}?saved={action}")
    response.headers[MESSAGE_HEADER] = quote(message, safe=MESSAGE_SAFE)
    return response


def _render_row(p: Page, record_id: str, form: FormState | None) -> Response:
    cw = p.casework
    try:
        record = cw.application.load(INTELLIGENCE, record_id)
    except NotFound:  # no row to show: the page's own 404
        return _render_record(p, record_id, form, fragment=True)
    items = [
        i for i in triage_inbox(cw, provider_id=record.provider_id, now=cw.clock.now())
        if i.record_id == record_id
    ]
    if not items:  # not in the inbox (yet): the record's fragment says what happened
        return _render_record(p, record_id, form, fragment=True)
    return p.render(
        "_inbox_row.html",
        status_code=form.status if form else 200,
        item=items[0],
        item_actions=_actions_of(p, items),
        choices=choices(p),
        form=form,
        form_record=record_id,
        now=cw.clock.now(),
    )
