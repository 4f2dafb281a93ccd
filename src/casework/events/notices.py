"""Notice To Remedy Breach (stream ``notice-<notice_id>``): issued at any escalation stage,
then complied with, extended (new date, with reason) or failed (which prompts escalation)."""

from __future__ import annotations

from datetime import date

from casework.events.base import DomainEvent


class RemedyNoticeIssued(DomainEvent, type_name="RemedyNoticeIssued"):
    notice_id: str
    provider_id: str
    breach: str
    actions: list[str]
    remedy_by: date


class RemedyNoticeComplied(DomainEvent, type_name="RemedyNoticeComplied"):
    notice_id: str
    provider_id: str
    note: str = ""


class RemedyNoticeExtended(DomainEvent, type_name="RemedyNoticeExtended"):
    notice_id: str
    provider_id: str
    remedy_by: date
    reason: str


class RemedyNoticeFailed(DomainEvent, type_name="RemedyNoticeFailed"):
    """The breach was not remedied: an alert proposes escalating the contract sanction."""

    notice_id: str
    provider_id: str
    note: str = ""
