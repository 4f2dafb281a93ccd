"""Timelines on pages: the narrative's sentences (``casework.projections.narrative``) with the
names a signed-in person may see, and links to the records that have a page."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from casework.events.links import RecordKind
from casework.projections.history import HistoryEntry
from casework.projections.narrative import Link, Names, names_for, score_words
from casework.web.page import Page

# Pages a record a sentence names can be opened on (others are shown as words).
RECORD_PAGES = {
    RecordKind.provider.value: "/providers/{id}",
    RecordKind.intelligence.value: "/intelligence/{id}",
}


def record_href(link: Link) -> str | None:
    page = RECORD_PAGES.get(link.kind)
    return page.format(id=quote(link.id, safe="")) if page else None


def timeline_names(p: Page, entries: Iterable[HistoryEntry]) -> Names:
    """What a timeline calls people and records; sealed people by name only for a role that may
    see them (``Actor.may_see_restricted``), "[erased]" for everyone once erased."""
    cw = p.casework
    listed = list(entries)
    sealed = {person for e in listed for person in e.sealed_people}
    erased = {person for person in sealed if cw.vault.keys.get(person) is None}
    revealed: dict[str, str | None] | None = None
    if p.actor.may_see_restricted:
        revealed = {}
        for person in sorted(sealed - erased):
            details = cw.vault.reveal_for(p.actor, person)
            revealed[person] = details.name if details else None
    return names_for(listed, revealed=revealed, erased=erased, score=score_words(cw.frameworks))


__all__ = ["RECORD_PAGES", "record_href", "timeline_names"]
