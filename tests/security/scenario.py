"""One provider's case with restricted personal data in it, built through the API as users do:
a whistleblower (name and contact) and an adult at risk, each an identity the tests then look
for everywhere it must not be."""

from __future__ import annotations

from dataclasses import dataclass

from .conftest import Http

WHISTLEBLOWER = {"name": "Wilhelmina Quarry-Stone", "contact": "wq.stone@example.org, 07700 900461"}
ADULT = {"name": "Bartholomew Fennimore", "contact": "Room 12, Larch Wing"}
# Every piece of the identities a leak could show: each must appear nowhere it may not.
IDENTITIES = ("Wilhelmina", "Quarry-Stone", "wq.stone@example.org", "07700 900461",
              "Bartholomew", "Fennimore", "Larch Wing")
WHEN = "2026-03-01T10:00:00Z"


@dataclass
class Case:
    provider_id: str
    record_id: str
    concern_id: str


def build_case(http: Http) -> Case:
    """Register a provider, log whistleblowing about it and raise a safeguarding concern (as an
    officer), then work both to closed (allocation by the manager)."""
    pid = http.created("officer", "/providers", {"name": "Larchfield House",
                                                 "service_type": "care_home_nursing"})
    rid = http.created("officer", "/intelligence", {
        "provider_id": pid, "source": "whistleblowing", "received_at": WHEN,
        "summary": "Night staff asleep on duty", "whistleblower": WHISTLEBLOWER})
    cid = http.created("officer", "/safeguarding-concerns", {
        "provider_id": pid, "category": "neglect", "summary": "Resident left unattended",
        "adults_at_risk": [ADULT], "triggered_by": {"kind": "intelligence", "id": rid}})
    http.created("manager", f"/intelligence/{rid}/allocate", {"officer": "officer"})
    http.created("officer", f"/intelligence/{rid}/assess",
                 {"risk": "high", "action_required": True, "rationale": "Pattern of neglect"})
    http.created("officer", f"/intelligence/{rid}/actions", {"action": "safeguarding_referral"})
    http.created("officer", f"/intelligence/{rid}/close", {"outcome": "actioned"})
    http.created("officer", f"/safeguarding-concerns/{cid}/refer", {"section_42": True})
    http.created("officer", f"/safeguarding-concerns/{cid}/outcome", {"outcome": "substantiated"})
    http.created("officer", f"/safeguarding-concerns/{cid}/close", {})
    return Case(pid, rid, cid)


def leaks(text: str) -> list[str]:
    """The pieces of the identities found in ``text``."""
    return [piece for piece in IDENTITIES if piece.casefold() in text.casefold()]
