"""Path parameters that name a record which must exist: 404 when it does not, as a read says,
rather than the 422 the command would give for an unknown ``provider_id`` in a body."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from casework.domain.errors import NotFound


def known_provider(request: Request, provider_id: str) -> str:
    """The ``provider_id`` of the path, or 404 when no such provider was registered."""
    if not request.app.state.casework.store.streams_exist([f"provider-{provider_id}"]):
        raise NotFound("provider", provider_id)
    return provider_id


KnownProvider = Annotated[str, Depends(known_provider)]
