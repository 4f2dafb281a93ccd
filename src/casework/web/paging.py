"""Pages of a long list in the web interface: which page the address asks for, and the words
above a table ("1–100 of 2,189 records"). The links themselves are the ``pager`` macro."""

from __future__ import annotations

from typing import Any

from casework.projections.paging import MAX_OFFSET, PAGE_SIZE, PageOf, Window
from casework.wording import counted


def window_at(offset: str) -> Window:
    """The page starting at ``?offset=``: the first page for anything but a whole number."""
    start = int(offset) if offset.strip().isdigit() else 0
    return Window(offset=min(start, MAX_OFFSET), size=PAGE_SIZE)


def showing(page: PageOf[Any], singular: str, plural: str | None = None) -> str:
    """"24 records" when the whole list is shown; "101–200 of 2,189 records" when it is not."""
    whole = counted(page.total, singular, plural, grouped=True)
    if page.offset == 0 and page.total <= len(page.items):
        return whole
    if not page.items:
        return f"none past {page.offset:,} of {whole}"
    return f"{page.first:,}–{page.last:,} of {whole}"


__all__ = ["showing", "window_at"]
