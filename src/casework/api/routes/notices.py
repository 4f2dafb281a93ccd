"""Notices to remedy breach: issue one for a provider; record it complied, extended or failed."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from casework.api import API_PREFIX
from casework.api.paths import KnownProvider
from casework.api.problems import WRITE_ERRORS
from casework.api.schemas.common import WriteResult
from casework.api.schemas.workflows import NoticeExtendIn, NoticeIn, NoticeNoteIn
from casework.api.writes import WriteContext, WriteRoute, runs
from casework.domain.notices import (
    ExtendRemedyNotice,
    IssueRemedyNotice,
    RecordNoticeComplied,
    RecordNoticeFailed,
)

router = APIRouter(prefix=API_PREFIX, tags=["notices"], route_class=WriteRoute,
                   responses=WRITE_ERRORS)


@router.post("/providers/{provider_id}/notices", status_code=201, response_model=WriteResult,
             summary="Issue a notice to remedy breach (managers)")
@runs(IssueRemedyNotice)
def issue(provider_id: KnownProvider, body: NoticeIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(IssueRemedyNotice.parse(body.data(provider_id=provider_id)))


@router.post("/notices/{notice_id}/comply", response_model=WriteResult,
             summary="Record that the provider complied")
@runs(RecordNoticeComplied)
def comply(notice_id: str, body: NoticeNoteIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(RecordNoticeComplied.parse(body.data(notice_id=notice_id)))


@router.post("/notices/{notice_id}/extend", response_model=WriteResult,
             summary="Extend to a later date, with the reason (managers)")
@runs(ExtendRemedyNotice)
def extend(notice_id: str, body: NoticeExtendIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(ExtendRemedyNotice.parse(body.data(notice_id=notice_id)))


@router.post("/notices/{notice_id}/fail", response_model=WriteResult,
             summary="Record that the provider failed to remedy the breach")
@runs(RecordNoticeFailed)
def fail(notice_id: str, body: NoticeNoteIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(RecordNoticeFailed.parse(body.data(notice_id=notice_id)))
