"""Notice To Remedy Breach: issued, then complied, extended (new date, reason) or failed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework.domain.aggregate import Context
from casework.domain.errors import InvalidInput, NotAllowed
from casework.domain.notices import (
    ExtendRemedyNotice,
    IssueRemedyNotice,
    Notice,
    NoticeState,
    RecordNoticeComplied,
    RecordNoticeFailed,
    decide,
    replay,
)
from casework.events.notices import (
    RemedyNoticeComplied,
    RemedyNoticeExtended,
    RemedyNoticeFailed,
    RemedyNoticeIssued,
)

N = NoticeState
ISSUE = IssueRemedyNotice(notice_id="n1", provider_id="p1", breach="staffing below contract levels",
                          actions=["recruit night staff"], remedy_by=date(2026, 4, 1))
EXTEND = ExtendRemedyNotice(notice_id="n1", remedy_by=date(2026, 4, 15), reason="recruitment under way")


def issued() -> Notice:
    return replay("n1", decide(Notice("n1"), ISSUE))


def test_full_path_issued_extended_complied() -> None:
    notice = issued()
    assert (notice.state, notice.remedy_by) == (N.issued, date(2026, 4, 1))
    notice = replay("n1", [*decide(Notice("n1"), ISSUE), *decide(notice, EXTEND)])
    assert (notice.state, notice.remedy_by) == (N.extended, date(2026, 4, 15))
    [done] = decide(notice, RecordNoticeComplied(notice_id="n1"))
    assert isinstance(done, RemedyNoticeComplied)


@pytest.mark.parametrize(
    ("state", "command", "expected"),
    [
        (N.issued, RecordNoticeComplied(notice_id="n1"), RemedyNoticeComplied),
        (N.issued, EXTEND, RemedyNoticeExtended),
        (N.issued, RecordNoticeFailed(notice_id="n1", note="no progress"), RemedyNoticeFailed),
        (N.extended, RecordNoticeFailed(notice_id="n1"), RemedyNoticeFailed),
        (N.extended, ExtendRemedyNotice(notice_id="n1", remedy_by=date(2026, 5, 1), reason="again"),
         RemedyNoticeExtended),
        (N.new, ISSUE, RemedyNoticeIssued),
    ],
)
def test_allowed_transitions(state, command, expected) -> None:
    [event] = decide(Notice("n1", "p1", state, date(2026, 4, 1)), command)
    assert type(event) is expected


@pytest.mark.parametrize(
    ("state", "command", "error"),
    [
        (N.complied, RecordNoticeFailed(notice_id="n1"), NotAllowed),
        (N.failed, RecordNoticeComplied(notice_id="n1"), NotAllowed),
        (N.failed, EXTEND, NotAllowed),
        (N.issued, ISSUE, NotAllowed),
        (N.new, RecordNoticeComplied(notice_id="n1"), NotAllowed),
        (N.issued, ExtendRemedyNotice(notice_id="n1", remedy_by=date(2026, 4, 15), reason=" "), InvalidInput),
        (N.issued, ExtendRemedyNotice(notice_id="n1", remedy_by=date(2026, 3, 1), reason="x"), InvalidInput),
    ],
)
def test_refused_transitions(state, command, error) -> None:
    with pytest.raises(error):
        decide(Notice("n1", "p1", state, date(2026, 4, 1)), command)


def test_a_notice_needs_a_breach_and_actions() -> None:
    with pytest.raises(InvalidInput):
        decide(Notice("n1"), ISSUE.model_copy(update={"actions": []}))


def test_a_notice_cannot_be_remedied_by_a_date_before_it_was_issued() -> None:
    issued_on = Context.fixed(datetime(2026, 4, 2, 9, tzinfo=UTC))
    with pytest.raises(InvalidInput) as refused:
        decide(Notice("n1"), ISSUE, issued_on)  # remedy by 1 April, issued 2 April
    assert refused.value.errors[0][0] == "remedy_by"
    late_entry = Context.fixed(
        datetime(2026, 4, 2, 9, tzinfo=UTC), occurred_at=datetime(2026, 3, 20, 9, tzinfo=UTC)
    )
    [event] = decide(Notice("n1"), ISSUE, late_entry)  # recorded late: issued on 20 March
    assert isinstance(event, RemedyNoticeIssued)
