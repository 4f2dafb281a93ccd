"""Links between records, from the deciding side: a new record "triggered by" another one, and
the check that the other record exists and concerns the same provider. The Application mirrors
each ``RecordsLinked`` to the other record's stream, so the link is kept both ways."""

from __future__ import annotations

from casework.domain.aggregate import Context
from casework.domain.errors import InvalidInput
from casework.events.links import LinkRelation, RecordKind, RecordRef, RecordsLinked


def check_linkable(ctx: Context, field_name: str, ref: RecordRef, provider_id: str | None) -> None:
    """``InvalidInput`` naming ``field_name`` when ``ref`` is unknown or about another provider."""
    other = ctx.lookup(ref.kind.stream_prefix, ref.id)
    if other is None:
        raise InvalidInput(field_name, f"no {ref.kind.value} with id {ref.id!r}")
    other_provider = getattr(other, "provider_id", None)
    if other_provider is not None and provider_id is not None and other_provider != provider_id:
        raise InvalidInput(field_name, f"that {ref.kind.value} concerns another provider")


def triggered_by(kind: RecordKind, ident: str, source: RecordRef) -> RecordsLinked:
    """The new record ``kind``/``ident`` was triggered by ``source``."""
    return RecordsLinked(
        record=RecordRef(kind=kind, id=ident), linked=source, relation=LinkRelation.triggered_by
    )


def triggered(kind: RecordKind, ident: str, target: RecordRef, note: str | None = None) -> RecordsLinked:
    """The record ``kind``/``ident`` triggered ``target``."""
    return RecordsLinked(
        record=RecordRef(kind=kind, id=ident), linked=target, relation=LinkRelation.triggered, note=note
    )
