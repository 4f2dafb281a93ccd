"""Notice To Remedy Breach (stream ``notice-<notice_id>``), at any escalation stage:
issued (breach, actions required, remedy-by date) -> complied | extended (new date, reason) |
failed (an alert proposes escalation). An extended notice may be extended again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar
from zoneinfo import ZoneInfo

from casework.domain.actors import Role
from casework.domain.aggregate import Aggregate, Command, Context, Route
from casework.domain.errors import InvalidInput
from casework.domain.fields import Identifier, Text
from casework.domain.lifecycle import Lifecycle
from casework.events.base import DomainEvent
from casework.events.notices import (
    RemedyNoticeComplied,
    RemedyNoticeExtended,
    RemedyNoticeFailed,
    RemedyNoticeIssued,
)


class NoticeState(StrEnum):
    new = "new"
    issued = "issued"
    extended = "extended"
    complied = "complied"
    failed = "failed"


N = NoticeState
OPEN = (N.issued, N.extended)
NOTICE_LIFECYCLE = Lifecycle(
    "notice to remedy breach",
    NoticeState,
    [
        ("issue", N.new, N.issued),
        ("comply", OPEN, N.complied),
        ("extend", OPEN, N.extended),
        ("fail", OPEN, N.failed),
    ],
    N.new,
)


# The lifecycle action each event records (evolve and the read models replay the table).
ACTION_OF: Mapping[type[DomainEvent], str] = MappingProxyType({
    RemedyNoticeIssued: "issue",
    RemedyNoticeComplied: "comply",
    RemedyNoticeExtended: "extend",
    RemedyNoticeFailed: "fail",
})
ACTION_OF_TYPE: Mapping[str, str] = MappingProxyType({c.type_name: a for c, a in ACTION_OF.items()})



@dataclass(frozen=True)
class Notice:
    notice_id: str
    provider_id: str = ""
    state: NoticeState = N.new
    remedy_by: date | None = None
    version: int = 0


class IssueRemedyNotice(Command):
    permitted: ClassVar[frozenset[Role]] = frozenset({Role.manager})
    notice_id: Identifier | None = None  # None: the Application makes a new id
    provider_id: Identifier
    breach: Text
    actions: list[Text]
    remedy_by: date


class RecordNoticeComplied(Command):
    notice_id: Identifier
    note: Text = ""


class ExtendRemedyNotice(Command):
    permitted: ClassVar[frozenset[Role]] = frozenset({Role.manager})
    notice_id: Identifier
    remedy_by: date
    reason: Text


class RecordNoticeFailed(Command):
    notice_id: Identifier
    note: Text = ""


def evolve(notice: Notice, event: DomainEvent) -> Notice:
    action = ACTION_OF.get(type(event))
    if action is None:
        return notice
    state = N(NOTICE_LIFECYCLE.replay(notice.notice_id, notice.state, action))
    notice = replace(notice, state=state, version=notice.version + 1)
    match event:
        case RemedyNoticeIssued():
            return replace(notice, provider_id=event.provider_id, remedy_by=event.remedy_by)
        case RemedyNoticeExtended():
            return replace(notice, remedy_by=event.remedy_by)
    return notice


ENGLAND = ZoneInfo("Europe/London")


def decide(notice: Notice, command: Command, ctx: Context | None = None) -> list[DomainEvent]:
    match command:
        case IssueRemedyNotice():
            NOTICE_LIFECYCLE.check(notice.notice_id, notice.state, "issue", hint="it was issued already")
            issued_on = ctx.occurred_at.astimezone(ENGLAND).date() if ctx is not None else None
            if issued_on is not None and command.remedy_by < issued_on:
                raise InvalidInput(
                    "remedy_by", f"the date to remedy by ({command.remedy_by}) is before the notice "
                    f"was issued ({issued_on}); give a date on or after it"
                )
            if not command.breach.strip():
                raise InvalidInput("breach", "name the breach of contract")
            if not [a for a in command.actions if a.strip()]:
                raise InvalidInput("actions", "list at least one action required to remedy it")
            return [RemedyNoticeIssued(
                notice_id=notice.notice_id, provider_id=command.provider_id,
                breach=command.breach, actions=command.actions, remedy_by=command.remedy_by,
            )]
        case RecordNoticeComplied():
            NOTICE_LIFECYCLE.check(notice.notice_id, notice.state, "comply")
            return [RemedyNoticeComplied(
                notice_id=notice.notice_id, provider_id=notice.provider_id, note=command.note)]
        case ExtendRemedyNotice():
            NOTICE_LIFECYCLE.check(notice.notice_id, notice.state, "extend")
            if not command.reason.strip():
                raise InvalidInput("reason", "an extension needs a reason")
            if notice.remedy_by and command.remedy_by <= notice.remedy_by:
                raise InvalidInput(
                    "remedy_by", f"an extension must be later than the current date {notice.remedy_by}"
                )
            return [RemedyNoticeExtended(
                notice_id=notice.notice_id, provider_id=notice.provider_id,
                remedy_by=command.remedy_by, reason=command.reason,
            )]
        case RecordNoticeFailed():
            NOTICE_LIFECYCLE.check(notice.notice_id, notice.state, "fail")
            return [RemedyNoticeFailed(
                notice_id=notice.notice_id, provider_id=notice.provider_id, note=command.note)]
    raise TypeError(f"notice cannot handle {type(command).__name__}")


def replay(notice_id: str, events: list[DomainEvent]) -> Notice:
    notice = Notice(notice_id)
    for event in events:
        notice = evolve(notice, event)
    return notice


NOTICE = Aggregate(
    kind="notice to remedy breach",
    stream_prefix="notice",
    initial=Notice,
    evolve=evolve,
    decide=decide,
    routes={
        IssueRemedyNotice: Route(lambda c: c.notice_id, creates=True, provider_of=lambda c: c.provider_id),
        RecordNoticeComplied: Route(lambda c: c.notice_id),
        ExtendRemedyNotice: Route(lambda c: c.notice_id),
        RecordNoticeFailed: Route(lambda c: c.notice_id),
    },
    lifecycle=NOTICE_LIFECYCLE,
    state_of=lambda s: s.state,
)
