"""CSRF protection: every form post carries the session's token in a hidden field
(``csrf_token``); script posts send it in the ``X-CSRF-Token`` header. Both are compared in
constant time with the token inside the signed session cookie, which another site can neither
read nor forge."""

from __future__ import annotations

import hmac

from casework.web.session import WebSession

FIELD = "csrf_token"
HEADER = "x-csrf-token"


class CsrfRefused(Exception):
    """The post did not carry this session's CSRF token: nothing was done."""


def check(session: WebSession | None, submitted: str | None) -> None:
    """Raise ``CsrfRefused`` unless ``submitted`` is the session's token."""
    if session is None or not submitted or not hmac.compare_digest(
        submitted.encode(), session.csrf_token.encode()
    ):
        raise CsrfRefused("the form was missing its security token or it had expired")
