"""Links between records ("this concern triggered that visit"), kept both ways.

A ``RecordsLinked`` event is appended to the stream of the record that links (``record``) and
its mirror (``record`` and ``linked`` swapped, ``relation`` inverted) to the other record's
stream in the same transaction, by the Application. Either record's history shows the link.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from casework.events.base import DomainEvent


class RecordKind(StrEnum):
    """Kinds of record that can be linked. ``stream_prefix`` gives the stream's name."""

    provider = "provider"
    intelligence = "intelligence"
    safeguarding = "safeguarding"
    visit = "visit"
    assessment = "assessment"
    action_plan = "action_plan"
    escalation = "escalation"
    notice = "notice"
    provider_failure = "provider_failure"

    @property
    def stream_prefix(self) -> str:
        return self.value.replace("_", "-")


class RecordRef(BaseModel):
    """A pointer to another record: its kind and id (for ``escalation`` the provider id)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: RecordKind
    id: str

    @property
    def stream(self) -> str:
        return f"{self.kind.stream_prefix}-{self.id}"


class LinkRelation(StrEnum):
    triggered = "triggered"  # record triggered linked (a concern triggered a visit)
    triggered_by = "triggered_by"  # the mirror of triggered
    related = "related"  # no direction

    @property
    def inverse(self) -> LinkRelation:
        return {
            LinkRelation.triggered: LinkRelation.triggered_by,
            LinkRelation.triggered_by: LinkRelation.triggered,
        }.get(self, self)


class RecordsLinked(DomainEvent, type_name="RecordsLinked"):
    record: RecordRef
    linked: RecordRef
    relation: LinkRelation = LinkRelation.related
    note: str | None = None

    def mirror(self) -> RecordsLinked:
        """The same link seen from the other record."""
        return RecordsLinked(
            record=self.linked, linked=self.record, relation=self.relation.inverse, note=self.note
        )
