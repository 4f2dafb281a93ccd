"""Paging for every API list route. The body stays a JSON array (as spec/interfaces.md has it);
the headers say the rest:

- ``X-Total-Count``: how many items the whole list holds, with the route's filters;
- ``Link``: ``<...>; rel="next"`` when more remain, ``<...>; rel="prev"`` after the first page
  (RFC 8288), each the same request with ``offset`` moved.

A route takes ``window: Window = Depends(window)`` (``limit`` and ``offset`` in the query) and
answers ``paged(request, page, adapter)``."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request, Response
from pydantic import TypeAdapter

from casework.api.problems import READ_ERRORS, ErrorResponses
from casework.projections.paging import MAX_OFFSET, MAX_PAGE_SIZE, PAGE_SIZE, PageOf, Window

PAGING_HEADERS = {
    "X-Total-Count": {"description": "How many items the whole list holds (with these filters).",
                      "schema": {"type": "integer"}},
    "Link": {"description": 'The next and previous pages: `<URL>; rel="next"`, `<URL>; rel="prev"`.',
             "schema": {"type": "string"}},
}
# A list route's documented answers: the read errors, and a 200 with the paging headers.
LIST_RESPONSES: ErrorResponses = {**READ_ERRORS, 200: {"headers": PAGING_HEADERS}}
PAGING = (f"{PAGE_SIZE} items a page unless `limit` says otherwise (at most {MAX_PAGE_SIZE}); "
          "`X-Total-Count` says how many there are in all and, when more remain, a "
          '`Link: <...>; rel="next"` header gives the next page.')


def window(
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items a page."),
    offset: int = Query(0, ge=0, le=MAX_OFFSET, description="Items to skip (0: the first page)."),
) -> Window:
    """Dependency: the page a list request asks for."""
    return Window(offset=offset, size=limit)


def paged(request: Request, page: PageOf[Any], adapter: TypeAdapter[Any]) -> Response:
    """The page's items as a JSON array, with ``X-Total-Count`` and ``Link`` headers."""
    headers = {"X-Total-Count": str(page.total)}
    links = []
    if page.next_offset is not None and page.next_offset <= MAX_OFFSET:
        links.append(f'<{_at(request, page, page.next_offset)}>; rel="next"')
    if page.previous_offset is not None:
        links.append(f'<{_at(request, page, page.previous_offset)}>; rel="prev"')
    if links:
        headers["Link"] = ", ".join(links)
    # Validated once and written to JSON in one call (pydantic's core), instead of a model per
    # item that FastAPI would validate again and encode field by field.
    body = adapter.dump_json(adapter.validate_python(page.items, from_attributes=True))
    return Response(body, media_type="application/json", headers=headers)


def _at(request: Request, page: PageOf[Any], offset: int) -> str:
    url = request.url.include_query_params(limit=page.size, offset=offset)
    return f"{url.path}?{url.query}"


__all__ = ["LIST_RESPONSES", "PAGING", "PAGING_HEADERS", "paged", "window"]
