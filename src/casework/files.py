"""Reading the files Casework is given, within bounds: a file read whole has a maximum size, a
file read line by line a maximum line length, and neither is ever read past its limit. So a
wrong path (``/dev/zero``, a disk image, a log of one endless line) is refused at once, in the
memory of one limit, naming the file and the limit, instead of filling the machine's memory.

Each caller states its own limits, next to what it reads (``casework.imports.cqc``,
``casework.domain.policy``, ...); docs/reliability.md lists them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

KIB = 1024
MIB = 1024 * KIB


class FileTooLarge(ValueError):
    """A file, or one of its lines, is past the limit its reader sets; nothing past it was read."""


def size_text(limit: int) -> str:
    """``1 MiB``, ``128 MiB``, ``4 KiB`` or ``300 bytes``: a limit as an operator reads it."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if limit >= unit and limit % unit == 0:
            return f"{limit // unit} {name}"
    return f"{limit:,} bytes"


def read_text_within(path: str | Path, *, limit: int, what: str) -> str:
    """The whole of a UTF-8 text file of at most ``limit`` bytes; ``FileTooLarge`` naming
    ``what`` and ``path`` when it is larger (reading ``limit + 1`` bytes at most). OSError and
    UnicodeDecodeError pass through."""
    with open(path, "rb") as source:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"{what} {path} is larger than the limit of {size_text(limit)}: "
                           "is it the right file?")
    return data.decode("utf-8")


def lines_within(path: str | Path, *, max_line: int, what: str) -> Iterator[bytes]:
    """The lines of a file, as bytes with their line ends, streamed; ``FileTooLarge`` naming
    ``what``, ``path``, the line's number and the limit at the first line longer than
    ``max_line`` bytes (having read ``max_line + 1`` bytes of it)."""
    with open(path, "rb") as source:
        number = 0
        while line := source.readline(max_line + 1):
            number += 1
            if len(line) > max_line and not (len(line) == max_line + 1 and line.endswith(b"\n")):
                raise FileTooLarge(
                    f"{what} {path}: line {number} is longer than the limit of "
                    f"{size_text(max_line)}: is it the right file?"
                )
            yield line


__all__ = ["KIB", "MIB", "FileTooLarge", "lines_within", "read_text_within", "size_text"]
