"""Everything the command line prints goes through here, so that no text from the data (a
reason, a summary, a name, a rejected line of a file) can act on the terminal: escape sequences
that move the cursor, erase lines (a ``chain: BROKEN`` line, say), retitle the window or hide
what follows are shown escaped (``\\x1b``), as are other control characters, line and paragraph
separators and bidirectional overrides. Nothing here interprets rich markup: ``[red]`` in a
summary prints as typed.

``say`` prints one line: a newline inside it (one from the data) shows as ``\\n``. A command
that prints several lines calls it once per line. ``say_document`` prints a document (a report,
a JSON answer) keeping its line breaks and tabs. ``shown`` is the escaping itself, for text that
rich renders (``shown_markup``)."""

from __future__ import annotations

import re
from typing import Any

import typer
from rich.markup import escape as escape_markup

_CONTROL = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]  # C0, DEL, C1 (0x9b is a CSI)
_SEPARATORS_AND_BIDI = [0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(code: int) -> str:
    return _NAMED.get(chr(code)) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


_ONE_LINE = {code: _escape(code) for code in (*_CONTROL, *_SEPARATORS_AND_BIDI)}
_DOCUMENT = {code: text for code, text in _ONE_LINE.items() if chr(code) not in "\n\t\r"}
_LONE_CR = re.compile(r"\r(?!\n)")  # returns to the start of the line: printed over


def shown(value: object) -> str:
    """``str(value)`` on one line with every control character escaped."""
    return str(value).translate(_ONE_LINE)


def shown_markup(value: object) -> str:
    """``shown(value)`` for a rich renderable that reads markup (a progress bar's text)."""
    return escape_markup(shown(value))


def say(line: object = "", *, err: bool = False) -> None:
    """Print one line (to standard error with ``err``), every control character in it escaped."""
    typer.echo(shown(line), err=err)


def say_document(text: str, *, err: bool = False) -> None:
    """Print a document as it is, but for control characters other than its line breaks (LF,
    CRLF) and tabs, which are escaped. Adds no newline."""
    typer.echo(_LONE_CR.sub(r"\\r", text.translate(_DOCUMENT)), err=err, nl=False)


__all__ = ["say", "say_document", "shown", "shown_markup"]


def say_above(console: Any, line: object) -> None:
    """A line printed above a live progress bar (rich's ``console``), escaped as ``say`` does."""
    console.print(shown(line), markup=False, highlight=False, soft_wrap=True)
