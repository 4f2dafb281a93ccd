"""Counts said in words: ``counted(1, "notice")`` is "1 notice", ``counted(3, "notice")`` is
"3 notices". The one rule for every line the command line, the web and the reports print, so
none says "1 notices"."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str | None = None, *, grouped: bool = False) -> str:
    """``n`` and the noun that agrees with it (``plural`` defaults to ``singular + "s"``);
    ``grouped`` writes thousands with commas (2,189)."""
    noun = singular if n == 1 else (plural or f"{singular}s")
    return f"{n:,} {noun}" if grouped else f"{n} {noun}"


__all__ = ["counted"]
