"""Stream heads: the query for one stream's head, and the heads this process last saw.

PostgreSQL appends to one stream chain their hashes to a remembered head instead of reading it
first (``PostgresWriter``); the database re-checks that head under the append lock, so a stale
one costs a retry, never a wrong link.
"""

from __future__ import annotations

# Stream heads remembered from this process's own reads and appends (a hint: the function checks
# it under the lock); forgotten wholesale past this many streams.
_HEAD_HINTS = 50_000

Head = tuple[int, str]  # (version, hash)


def head_sql(marker: str) -> str:
    """One stream's last version and hash; ``marker`` is the driver's placeholder for it."""
    return f"SELECT version, hash FROM events WHERE stream = {marker} ORDER BY version DESC LIMIT 1"


class HeadHints:
    """The last (version, hash) this process saw of each stream."""

    def __init__(self) -> None:
        self._heads: dict[str, Head] = {}

    def get(self, stream: str) -> Head | None:
        return self._heads.get(stream)

    def remember(self, stream: str, version: int, digest: str) -> None:
        if len(self._heads) >= _HEAD_HINTS:
            self._heads.clear()
        self._heads[stream] = (version, digest)
