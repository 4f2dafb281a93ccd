"""Each event of a history as a sentence in the team's words: the one wording of the web
timeline, ``casework history`` (text) and the evidence bundle's timeline.

``describe(entry, names) -> Sentence`` is pure: ``entry`` is a ``HistoryEntry`` (its data already
redacted: sealed people never reach this module in clear); ``names`` says what to call people,
providers and records (``names_for`` builds it from the history itself) and, for a reader who may
see restricted data, the names of sealed people. A ``Sentence`` is its parts: text, and ``Link``s
to the records it names (the caller decides where a link goes: ``Link.kind`` and ``Link.id``).

Booleans, empty values, raw JSON and record ids never appear in a sentence: every registered
event type has its own wording (tests/projections/test_narrative.py checks each one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from casework.events.links import RecordKind
from casework.projections.risk_matrix import CRITERIA
from casework.projections.sources import COUNCIL_ZONE
from casework.projections.words import LABELS, event_label, label, lower

ERASED = "[erased]"
RESTRICTED = "(name restricted)"
# What a record is called when the history does not say more (its creating event is not in it).
KIND_WORDS = {
    RecordKind.provider.value: "a provider",
    RecordKind.intelligence.value: "an intelligence record",
    RecordKind.safeguarding.value: "a safeguarding concern",
    RecordKind.visit.value: "a visit",
    RecordKind.assessment.value: "an assessment",
    RecordKind.action_plan.value: "an action plan",
    RecordKind.escalation.value: "the contract escalation",
    RecordKind.notice.value: "a notice to remedy breach",
    RecordKind.provider_failure.value: "a provider failure procedure",
}
CRITERION_TITLES = {key: title for _, key, title in CRITERIA}





def day(value: date | datetime | str | None) -> str:
    """``3 Sep 2018`` (a date; an instant as its council-local date)."""
    if value is None or value == "":
        return "an unknown date"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(COUNCIL_ZONE).date() if value.tzinfo else value.date()
    return f"{value.day} {value:%b %Y}"


def moment(value: datetime | str | None) -> str:
    """``3 Sep 2018, 10:00`` in council-local time."""
    if value is None or value == "":
        return "an unknown time"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(COUNCIL_ZONE) if value.tzinfo else value
    return f"{day(local)}, {local:%H:%M}"


# ----------------------------------------------------------------------------- sentences
@dataclass(frozen=True)
class Link:
    """A record a sentence names: its kind (``RecordKind`` value) and id, and the words shown."""

    text: str
    kind: str
    id: str


Part = str | Link


@dataclass(frozen=True)
class Sentence:
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)

    @property
    def links(self) -> list[Link]:
        return [p for p in self.parts if isinstance(p, Link)]

    def __str__(self) -> str:
        return self.text


class Entry(Protocol):
    """What ``describe`` reads of an entry (``HistoryEntry`` has it)."""

    @property
    def type(self) -> str: ...
    @property
    def stream(self) -> str: ...
    @property
    def actor(self) -> str | None: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def sealed_people(self) -> list[str]: ...


# (framework id, framework version, scores) -> e.g. "QAF score 82%", or None when unknown
ScoreWords = Callable[[str | None, int | None, Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class Names:
    """What a sentence calls people, providers and records.

    ``people``: a user's name -> how to show it (default: the user name). ``providers``: a
    provider id -> its name. ``records``: a stream -> the words for that record (``names_for``).
    ``revealed``: for a reader who may see restricted data, a sealed person's id -> their name,
    or None once erased; ``revealed`` itself None for a reader who may not (their names never
    show). ``erased``: person ids erased (shown as "[erased]" to everyone).
    """

    people: Mapping[str, str] = field(default_factory=dict)
    providers: Mapping[str, str] = field(default_factory=dict)
    records: Mapping[str, str] = field(default_factory=dict)
    revealed: Mapping[str, str | None] | None = None
    erased: frozenset[str] = frozenset()
    score: ScoreWords | None = None

    def person(self, user: str | None) -> str:
        if not user:
            return "Casework"
        return self.people.get(user, user)

    def provider(self, provider_id: str | None) -> Part:
        if not provider_id:
            return "a provider"
        name = self.providers.get(provider_id)
        return Link(name or "a provider", RecordKind.provider.value, provider_id)

    def record(self, kind: str, ident: str | None) -> Part:
        if not ident:
            return KIND_WORDS.get(kind, "a record")
        if kind == RecordKind.provider.value:
            return self.provider(ident)
        stream = f"{kind.replace('_', '-')}-{ident}"
        return Link(self.records.get(stream) or KIND_WORDS.get(kind, "a record"), kind, ident)

    def item(self, plan_id: str, item_id: str) -> str:
        found = self.records.get(f"action-plan-{plan_id}/{item_id}")
        return f"item '{found}'" if found else "an item"

    def sealed(self, person_id: str) -> str:
        if person_id in self.erased:
            return ERASED
        if self.revealed is None:
            return RESTRICTED
        if person_id not in self.revealed:
            return RESTRICTED
        name = self.revealed[person_id]
        return ERASED if name is None else name


def _cap(parts: list[Part]) -> list[Part]:
    """The first letter of the sentence in capitals (a link's words too)."""
    if not parts:
        return parts
    first = parts[0]
    if isinstance(first, Link):
        parts[0] = Link(first.text[:1].upper() + first.text[1:], first.kind, first.id)
    else:
        parts[0] = first[:1].upper() + first[1:]
    return parts


def _s(*parts: Part | None) -> Sentence:
    kept = [p for p in parts if p is not None and p != ""]
    return Sentence(tuple(_cap(kept)))


def _by(who: str, *parts: Part | None) -> Sentence:
    """A sentence whose subject is a person, their name as given (never re-cased)."""
    return Sentence((who, *(p for p in parts if p is not None and p != "")))


def _note(text: Any, lead: str = ": ") -> str | None:
    return f"{lead}{str(text).strip()}" if isinstance(text, str) and text.strip() else None


def _quoted(text: Any) -> str:
    return f"'{str(text).strip()}'"


def _join(words: Iterable[str]) -> str:
    items = [w for w in words if w]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _stage(value: Any) -> str:
    return lower(value)


# ----------------------------------------------------------------------------- by event type
Describe = Callable[[Entry, dict[str, Any], Names], Sentence]
_WORDINGS: dict[str, Describe] = {}


def wording(*types: str) -> Callable[[Describe], Describe]:
    def register(fn: Describe) -> Describe:
        for name in types:
            _WORDINGS[name] = fn
        return fn
    return register


def _own_record(e: Entry, d: dict[str, Any], n: Names, kind: RecordKind, key: str) -> Part:
    return n.record(kind.value, d.get(key))


# --- providers
_DETAIL_WORDS = {
    "name": "name", "service_type": "service type", "categories": "client groups",
    "cqc_location_id": "CQC location", "cqc_provider_id": "CQC provider", "beds": "beds",
    "address": "address", "postcode": "postcode", "district": "district", "nhs_area": "NHS area",
    "contract_reference": "contract reference",
}


def _detail(key: str, value: Any) -> str:
    if key == "categories":
        return _join(label(v) for v in value)
    if key == "service_type":
        return lower(value)
    if key == "name":
        return _quoted(value)
    return str(value)


@wording("ProviderRegistered")
def _registered(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    extra = []
    if d.get("categories"):
        extra.append(f"for {_join(label(c).lower() for c in d['categories'])}")
    if d.get("district"):
        extra.append(f"in {d['district']}")
    if d.get("owner"):
        extra.append(f"owned by {d['owner']}")
    if d.get("registered_manager"):
        extra.append(f"registered manager {d['registered_manager']}")
    return _by(n.person(e.actor), " registered ", n.provider(d.get("provider_id")),
              f", {lower(d.get('service_type'))}", f" ({', '.join(extra)})" if extra else None)


@wording("ProviderDetailsChanged")
def _details(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    changed = [f"{_DETAIL_WORDS[k]} {_detail(k, d[k])}" for k in _DETAIL_WORDS
               if d.get(k) not in (None, "", [])]
    if not changed:
        return _s("Provider details confirmed, nothing changed")
    return _s("Provider details changed: ", "; ".join(changed))


@wording("CqcRatingPublished")
def _cqc(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    overall = f"{label(d['overall'])} overall" if d.get("overall") else "no overall rating"
    questions = d.get("key_questions") or {}
    detail = "; ".join(f"{lower(k)} {lower(v)}" for k, v in sorted(questions.items()))
    return _s(f"CQC rating published: {overall} (report of {day(d.get('report_date'))})",
              f"; {detail}" if detail else None)


@wording("OwnershipChanged")
def _owner(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    before = f" from {d['previous_owner']}" if d.get("previous_owner") else ""
    return _s(f"Ownership changed{before} to {d.get('new_owner')}")


@wording("RegisteredManagerChanged")
def _manager(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    before = f" from {d['previous_manager']}" if d.get("previous_manager") else ""
    after = f" to {d['new_manager']}" if d.get("new_manager") else ": no registered manager now"
    return _s(f"Registered manager changed{before}{after}")


@wording("ProviderClosed")
def _closed(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    how = "handed its contract back" if d.get("kind") == "hand_back" else "closed"
    return _s(n.provider(d.get("provider_id")), f" {how}", _note(d.get("reason")))


@wording("RiskCriterionRecorded")
def _criterion(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    title = CRITERION_TITLES.get(str(d.get("criterion")), label(d.get("criterion")))
    return _s(f"Risk criterion '{title}' recorded: {label(d.get('rag'))}", _note(d.get("note"), ". "))


@wording("ContractStarted")
def _contract_started(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    ends = f", to end on {day(d['ends_on'])}" if d.get("ends_on") else ""
    return _s(f"Contract {d.get('contract_reference')} started on {day(d.get('starts_on'))}{ends}")


@wording("ContractEnded")
def _contract_ended(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"Contract {d.get('contract_reference')} ended on {day(d.get('ended_on'))}",
              _note(d.get("reason")))


# --- intelligence
def _record(d: dict[str, Any], n: Names) -> Part:
    return n.record(RecordKind.intelligence.value, d.get("record_id"))


@wording("IntelligenceLogged")
def _logged(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    who = None
    if d.get("whistleblower") is not None:
        person = e.sealed_people[0] if e.sealed_people else ""
        who = f"; whistleblower: {n.sealed(person)}"
    return _by(n.person(e.actor), " logged ", _record(d, n), who)


@wording("IntelligenceAllocated")
def _allocated(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    before = f" (from {n.person(d['previous_officer'])})" if d.get("previous_officer") else ""
    return _by(n.person(e.actor), " allocated ", _record(d, n), f" to {n.person(d.get('officer'))}{before}")


@wording("RiskAssessed")
def _assessed(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    action = "action required" if d.get("action_required") else "no action required"
    return _s(f"Risk assessed: {lower(d.get('risk'))}, {action}, on ", _record(d, n),
              _note(d.get("rationale"), ". Rationale: "))


@wording("IntelligenceActionTaken")
def _action(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"Action taken ({lower(d.get('action'))}) on ", _record(d, n), _note(d.get("note")))


@wording("IntelligenceClosed")
def _record_closed(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s("Closed ", _record(d, n), f" as {lower(d.get('outcome'))}", _note(d.get("note")))


@wording("IntelligenceReopened")
def _reopened(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s("Re-opened ", _record(d, n), _note(d.get("reason")))


# --- safeguarding
def _concern(d: dict[str, Any], n: Names) -> Part:
    return n.record(RecordKind.safeguarding.value, d.get("concern_id"))


@wording("SafeguardingConcernRaised")
def _raised(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    adults = d.get("adults_at_risk") or []
    who = None
    if adults:
        names = [n.sealed(p) for p in e.sealed_people] or [RESTRICTED] * len(adults)
        who = f"; adult{'s' if len(adults) != 1 else ''} at risk: {', '.join(names)}"
    return _by(n.person(e.actor), " raised ", _concern(d, n), who)


@wording("SafeguardingConcernReferred")
def _referred(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    enquiry = "a section 42 enquiry opened" if d.get("section_42") else "no section 42 enquiry"
    return _s("Referred ", _concern(d, n), f" to the safeguarding adults team: {enquiry}",
              _note(d.get("note"), ". "))


@wording("SafeguardingOutcomeRecorded")
def _outcome(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s("Outcome of ", _concern(d, n), f": {lower(d.get('outcome'))}", _note(d.get("note"), ". "))


@wording("SafeguardingConcernClosed")
def _concern_closed(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s("Closed ", _concern(d, n), _note(d.get("note")))


# --- visits and assessments
def _visit(d: dict[str, Any], n: Names) -> Part:
    return n.record(RecordKind.visit.value, d.get("visit_id"))


def _assessment(d: dict[str, Any], n: Names) -> Part:
    return n.record(RecordKind.assessment.value, d.get("assessment_id"))


@wording("VisitPlanned")
def _planned(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    how = ["announced" if d.get("announced") else "unannounced"]
    if d.get("out_of_hours"):
        how.append("out of hours")
    reason = lower(d.get("reason"))
    article = "an" if reason[:1] in "aeiou" else "a"
    return _by(n.person(e.actor), f" planned {article} {reason} visit for "
              f"{moment(d.get('planned_for'))} ({', '.join(how)})")


@wording("VisitRescheduled")
def _rescheduled(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(_visit(d, n), f" moved to {moment(d.get('planned_for'))}", _note(d.get("reason")))


@wording("VisitCancelled")
def _cancelled(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(_visit(d, n), " cancelled", _note(d.get("reason")))


@wording("VisitCompleted")
def _completed(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    facts = []
    scores = d.get("scores") or {}
    if scores:
        words = n.score(d.get("framework_id"), d.get("framework_version"), scores) if n.score else None
        facts.append(words or f"{len(scores)} area{'s' if len(scores) != 1 else ''} scored")
    if d.get("rag"):
        facts.append(label(d["rag"]))
    if d.get("compliant") is not None:
        facts.append("compliant" if d["compliant"] else "not compliant")
    return _s("Visit completed", f": {', '.join(facts)}" if facts else None, " (", _visit(d, n), ")",
              _note(d.get("findings"), ". Findings: "))


@wording("AssessmentOpened")
def _assessment_opened(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _by(n.person(e.actor), " opened ", _assessment(d, n))


@wording("AssessmentVisitLinked")
def _assessment_visit(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(_visit(d, n), " counted towards ", _assessment(d, n))


@wording("AssessmentConcluded")
def _assessment_concluded(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(_assessment(d, n), f" concluded: {lower(d.get('outcome'))}, {label(d.get('rag'))}",
              _note(d.get("note"), ". "))


# --- action plans
def _plan(d: dict[str, Any], n: Names) -> Part:
    return n.record(RecordKind.action_plan.value, d.get("plan_id"))


def _due_range(items: list[dict[str, Any]]) -> str:
    dues = sorted(str(i["due"]) for i in items if i.get("due"))
    if not dues:
        return ""
    return f", due {day(dues[0])}" if dues[0] == dues[-1] else f", due {day(dues[0])} to {day(dues[-1])}"


@wording("ActionPlanRaised")
def _plan_raised(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    items = d.get("items") or []
    source = d.get("raised_from") or {}
    origin: tuple[Part, ...] = ()
    if source.get("kind"):
        origin = (" from ", n.record(str(source["kind"]), source.get("id")))
    return _by(n.person(e.actor), " raised ", _plan(d, n), *origin,
              f" with {len(items)} item{'s' if len(items) != 1 else ''}{_due_range(items)}")


@wording("ActionItemAdded")
def _item_added(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    item = d.get("item") or {}
    return _s(f"Item {_quoted(item.get('description'))} ({lower(item.get('theme'))}, owner "
              f"{item.get('owner')}, due {day(item.get('due'))}) added to ", _plan(d, n))


def _item(d: dict[str, Any], n: Names) -> str:
    return n.item(str(d.get("plan_id")), str(d.get("item_id")))


@wording("ActionItemStarted")
def _item_started(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"The provider started {_item(d, n)} of ", _plan(d, n))


@wording("ActionItemCompleted")
def _item_completed(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"The provider reported {_item(d, n)} of ", _plan(d, n), " done", _note(d.get("note")))


@wording("ActionItemVerified")
def _item_verified(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    at: tuple[Part, ...] = (" at ", _visit(d, n)) if d.get("visit_id") else ()
    return _s(f"Verified {_item(d, n)} of ", _plan(d, n), *at, _note(d.get("note")))


@wording("ActionItemReturned")
def _item_returned(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"Returned {_item(d, n)} of ", _plan(d, n), " to the provider", _note(d.get("reason")))


@wording("ActionItemDueDateChanged")
def _item_due(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"{_item(d, n)} of ", _plan(d, n), f" now due {day(d.get('due'))}", _note(d.get("reason")))


@wording("ActionPlanClosed")
def _plan_closed(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s("Closed ", _plan(d, n))


# --- escalation
_ENTERED = {
    "RequirementToImproveIssued": "requirement_to_improve",
    "ContractSuspended": "contract_suspension",
    "FinalNoticeIssued": "final_notice_90_day",
}


@wording(*_ENTERED)
def _escalated(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    skipped = d.get("skipped_stages") or []
    skip = f", skipping {_join(_stage(s) for s in skipped)}" if skipped else ""
    return _s(f"Contract escalated from {_stage(d.get('from_stage'))} to {_stage(_ENTERED[e.type])}{skip}",
              _note(d.get("reason")))


@wording("ContractTerminated")
def _terminated(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"Contract terminated (from {_stage(d.get('from_stage'))})", _note(d.get("reason")))


@wording("SanctionLifted")
def _lifted(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"Sanction lifted from {_stage(d.get('from_stage'))} to {_stage(d.get('to_stage'))}",
              _note(d.get("improvement"), ". Improvement: "))


# --- notices
def _notice(d: dict[str, Any], n: Names) -> Part:
    return n.record(RecordKind.notice.value, d.get("notice_id"))


@wording("RemedyNoticeIssued")
def _notice_issued(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    actions = "; ".join(str(a) for a in d.get("actions") or [])
    return _by(n.person(e.actor), " issued ", _notice(d, n), f", to remedy by {day(d.get('remedy_by'))}",
              _note(actions, ". Actions: "))


@wording("RemedyNoticeExtended")
def _notice_extended(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(_notice(d, n), f" extended to {day(d.get('remedy_by'))}", _note(d.get("reason")))


@wording("RemedyNoticeComplied")
def _notice_complied(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(_notice(d, n), " complied with", _note(d.get("note")))


@wording("RemedyNoticeFailed")
def _notice_failed(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(_notice(d, n), " not complied with", _note(d.get("note")))


# --- provider failure
def _procedure(d: dict[str, Any], n: Names) -> Part:
    return n.record(RecordKind.provider_failure.value, d.get("procedure_id"))


@wording("ProviderFailureConcernIdentified")
def _failure_identified(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"Provider failure concern identified ({lower(d.get('kind'))}, "
              f"{lower(d.get('trigger'))})", _note(d.get("summary")))


@wording("ProviderFailureProcedureInitiated")
def _failure_initiated(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s("Started ", _procedure(d, n), f", led by {n.person(d.get('lead'))}")


@wording("ContingencyPlanningStarted")
def _contingency(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s("Contingency planning started for ", _procedure(d, n),
              _note(d.get("strategy_meeting_notes"), ". Strategy meeting: "))


@wording("ContingencyPlanReviewed")
def _contingency_reviewed(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    moves = int(d.get("residents_moves_planned") or 0)
    return _s(f"Contingency plan reviewed: {moves} resident move{'s' if moves != 1 else ''} planned",
              _note(d.get("note"), ". "))


@wording("ResidentsMovingStarted")
def _moving(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    count = int(d.get("residents_to_move") or 0)
    return _s(f"Residents started moving: {count} to move")


@wording("ProviderFailureProcedureClosed")
def _failure_closed(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s("Closed ", _procedure(d, n), f": {lower(d.get('outcome'))}", _note(d.get("note"), ". "))


# --- links, deadlines, users, erasure
_RELATION = {"triggered": " triggered ", "triggered_by": " was triggered by ", "related": " linked to "}


@wording("RecordsLinked")
def _linked(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    record, other = d.get("record") or {}, d.get("linked") or {}
    return _s(n.record(str(record.get("kind")), record.get("id")),
              _RELATION.get(str(d.get("relation")), " linked to "),
              n.record(str(other.get("kind")), other.get("id")), _note(d.get("note")))


@wording("DeadlineReached")
def _deadline(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    missed = int(d.get("missed") or 1)
    times = f"; missed {missed} times" if missed > 1 else ""
    repeat = f"; repeats every {d['repeat_every_days']} days" if d.get("repeat_every_days") else ""
    return _s(f"Deadline reached: {d.get('title')} (due {moment(d.get('due_at'))}, "
              f"for {n.person(d.get('owner'))}){times}{repeat}")


@wording("UserAdded")
def _user_added(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"User {n.person(d.get('name'))} added as {lower(d.get('role'))}")


@wording("UserRoleChanged")
def _role_changed(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"Role of {n.person(d.get('name'))} changed from {lower(d.get('from_role'))} "
              f"to {lower(d.get('to_role'))}")


@wording("TokenIssued")
def _token_issued(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    return _s(f"API token issued to {n.person(d.get('name'))}")


@wording("TokenRevoked")
def _token_revoked(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    count = int(d.get("tokens_revoked") or 0)
    return _s(f"Revoked {count} API token{'s' if count != 1 else ''} of {n.person(d.get('name'))}")


@wording("PersonErased")
def _erased(e: Entry, d: dict[str, Any], n: Names) -> Sentence:
    grounds = f" Grounds: {label(d['grounds'])}." if d.get("grounds") else ""
    return _s(f"A person's restricted data was erased: their name shows as {ERASED}.{grounds}")


def describe(entry: Entry, names: Names | None = None) -> Sentence:
    """The entry as a sentence (pure): ``names`` resolves people, providers and records."""
    n = names or Names()
    wording_of = _WORDINGS.get(entry.type)
    if wording_of is None:
        return _s(event_label(entry.type))
    return wording_of(entry, entry.data or {}, n)


def score_words(frameworks: Any) -> ScoreWords:
    """``Names.score`` from a ``FrameworkRegistry``: a visit's scores rolled up by the framework
    they were given under (``Framework.outcome``: the one rule), e.g. ``QAF score 82%``."""

    def words(framework_id: str | None, version: int | None, scores: Mapping[str, Any]) -> str | None:
        try:
            framework = frameworks.get(framework_id, version)
            percent = framework.outcome(scores).percent
        except Exception:  # an unknown framework or a score off its scale: say less, not wrong
            return None
        short = str(framework.id).rsplit("-", 1)[-1]
        called = short.upper() if len(short) <= 4 else framework.name
        return f"{called} score {percent:g}%"

    return words


def described_types() -> frozenset[str]:
    return frozenset(_WORDINGS)


# ----------------------------------------------------------------------------- names from a history
def names_for(
    entries: Iterable[Entry],
    *,
    people: Mapping[str, str] | None = None,
    providers: Mapping[str, str] | None = None,
    revealed: Mapping[str, str | None] | None = None,
    erased: Iterable[str] = (),
    score: ScoreWords | None = None,
) -> Names:
    """``Names`` whose record words come from the records' own events in ``entries`` (a record
    logged, a visit planned, a plan raised...), and whose provider names from its registration
    and detail changes; ``providers`` adds others (a provider another record links to)."""
    records: dict[str, str] = {}
    provider_names: dict[str, str] = dict(providers or {})
    for e in entries:
        d = e.data or {}
        kind = e.type
        if kind in ("ProviderRegistered", "ProviderDetailsChanged") and d.get("name"):
            provider_names[str(d["provider_id"])] = str(d["name"])
        elif kind == "IntelligenceLogged":
            records[e.stream] = (f"intelligence record {_quoted(d.get('summary'))} "
                                 f"({lower(d.get('source'))}, received {day(d.get('received_at'))})")
        elif kind == "SafeguardingConcernRaised":
            records[e.stream] = (f"safeguarding concern {_quoted(d.get('summary'))} "
                                 f"({lower(d.get('category'))})")
        elif kind == "VisitPlanned":
            records[e.stream] = f"{lower(d.get('reason'))} visit of {day(d.get('planned_for'))}"
        elif kind == "VisitRescheduled" and e.stream in records:
            records[e.stream] = re.sub(r" of .*$", f" of {day(d.get('planned_for'))}", records[e.stream])
        elif kind == "AssessmentOpened":
            framework = str(d.get("framework_id") or "")
            what = "QAF assessment" if "qaf" in framework.lower() else "quality assessment"
            records[e.stream] = f"{what} opened {day(getattr(e, 'occurred_at', None))}"
        elif kind == "ActionPlanRaised":
            title = d.get("title")
            records[e.stream] = f"action plan {_quoted(title)}" if title else (
                f"action plan of {day(getattr(e, 'occurred_at', None))}")
            for item in d.get("items") or []:
                records[f"{e.stream}/{item.get('item_id')}"] = str(item.get("description"))
        elif kind == "ActionItemAdded":
            item = d.get("item") or {}
            records[f"{e.stream}/{item.get('item_id')}"] = str(item.get("description"))
        elif kind == "RemedyNoticeIssued":
            records[e.stream] = f"notice to remedy breach {_quoted(d.get('breach'))}"
        elif kind == "ProviderFailureConcernIdentified":
            records[e.stream] = f"provider failure procedure ({lower(d.get('kind'))})"
    for pid, name in provider_names.items():
        records.setdefault(f"escalation-{pid}", f"the contract escalation of {name}")
    return Names(people=dict(people or {}), providers=provider_names, records=records,
                 revealed=revealed, erased=frozenset(erased), score=score)


__all__ = [
    "ERASED",
    "LABELS",
    "RESTRICTED",
    "Link",
    "Names",
    "Sentence",
    "day",
    "describe",
    "described_types",
    "event_label",
    "label",
    "lower",
    "moment",
    "names_for",
    "score_words",
]
