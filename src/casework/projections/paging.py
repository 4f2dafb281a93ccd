"""A page of a list: the items shown, where they start, and how many there are in all, so that
no list (web or API) stops without saying so. Every list query that can grow without bound
answers a ``PageOf`` for a ``Window`` (offset and size), and its caller says "1–100 of 2,189"
and links to the next and previous pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

PAGE_SIZE = 100  # rows a page unless asked otherwise: a screenful a person reads
MAX_PAGE_SIZE = 5000  # the most one request may ask for
MAX_OFFSET = 1_000_000  # past this a client should narrow its filters instead


@dataclass(frozen=True, slots=True)
class Window:
    """Which part of a list to show: ``size`` items from the ``offset``-th (0-based)."""

    offset: int = 0
    size: int = PAGE_SIZE


@dataclass(frozen=True, slots=True)
class PageOf(Generic[T]):
    """``items``: the list's items from ``offset`` (0-based), at most ``size`` of them, out of
    ``total`` in the whole list."""

    items: list[T]
    total: int
    offset: int
    size: int

    @property
    def first(self) -> int:
        """The 1-based number of the first item shown (0 when none is)."""
        return self.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The 1-based number of the last item shown."""
        return self.offset + len(self.items)

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, or None on the last page."""
        return self.last if self.items and self.last < self.total else None

    @property
    def previous_offset(self) -> int | None:
        """Where the previous page starts, or None on the first page."""
        return max(0, self.offset - self.size) if self.offset > 0 else None


def page_of(items: Sequence[T], window: Window) -> PageOf[T]:
    """The page ``window`` of a list already in memory (one a query had to sort in Python)."""
    return PageOf(list(items[window.offset:window.offset + window.size]), len(items),
                  window.offset, window.size)


__all__ = ["MAX_OFFSET", "MAX_PAGE_SIZE", "PAGE_SIZE", "PageOf", "Window", "page_of"]
