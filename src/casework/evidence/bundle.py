"""A provider's evidence bundle: one zip an auditor outside the council verifies without Casework.

Members (docs/evidence-bundle.md gives every field and each verification step):

- ``events.jsonl``: every event of every stream the provider's history touches, each stream
  whole from version 1, in log (position) order, one JSON object a line, with the stored text of
  ``data`` and ``metadata`` exactly as hashed, its ``previous_hash`` and ``hash``. The log's
  hashes chain per stream (``casework.events.hashing``), so whole streams are what an offline
  verifier needs to recompute every link from the genesis ("").
- ``heads.json``: each stream's last version and hash.
- ``timeline.html``: the history in sentences (``render_timeline``), ordered by when things
  happened; sealed personal data is never opened, only said to be there.
- ``signing-keys.json``: the council's public keys (every key it has had), for convenience: an
  auditor checks the key id against the published one or passes ``--public-key``.
- ``checkpoint.json``: the latest signed checkpoint of the whole log, if one was recorded.
- ``manifest.json``: format, provider, council, export time, who exported it, Casework's version,
  the signing key's id, the counts, the sha256 and size of every other file, and ``digest``
  (``verifier.files_digest``) over them.
- ``manifest.sig``: ``{"key_id", "algorithm": "Ed25519", "signature"}``, the signature (base64)
  of manifest.json's bytes with the council's current key.

Restricted personal data stays as stored: sealed (AES-GCM ciphertext under the person's key), so
a bundle never carries a name in clear, and after an erasure the ciphertext can never be opened
while every hash still recomputes.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from casework import __version__
from casework.events.hashing import GENESIS, iso
from casework.events.schema import events as T
from casework.events.store import EventStore
from casework.events.store.rows import COLUMNS, aware
from casework.events.store.seals import latest_checkpoint
from casework.evidence.checkpoints import Checkpoint
from casework.evidence.signing import ALGORITHM, SigningKeys
from casework.evidence.verifier import BUNDLE_FORMAT, files_digest
from casework.projections import narrative
from casework.projections.history import SEALED, HistoryEntry, history
from casework.projections.sources import COUNCIL_ZONE, connect

Describe = Callable[[HistoryEntry], str]
# A fixed time for every member, so the same content gives the same zip bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class BrokenHistory(Exception):
    """The provider's history does not verify in the log: no bundle is signed over it."""


def export_bundle(
    store: EventStore, signer: Callable[[], SigningKeys], provider_id: str, *, now: datetime,
    exported_by: dict[str, Any], council: str,
) -> bytes | None:
    """The signed bundle of ``provider_id``'s history; None when nothing is recorded about it;
    ``BrokenHistory`` when its streams do not verify (``casework verify`` says more).
    ``signer()`` gives the signing keys once the provider is known to exist (it may raise
    ``SigningKeyError``)."""
    found = history(store, provider_id)
    if found is None:
        return None
    keys = signer()
    if not found.verified:
        raise BrokenHistory(f"the provider's history does not verify, so no bundle was signed: "
                            f"{found.broken}")
    events, heads = _stream_events(store, found.streams)
    checkpoint = latest_checkpoint(store)
    files: dict[str, bytes] = {
        "events.jsonl": b"".join(
            json.dumps(e, sort_keys=True, separators=(",", ":")).encode() + b"\n" for e in events),
        "heads.json": _json_bytes({"streams": {s: {"version": v, "hash": h}
                                               for s, (v, h) in sorted(heads.items())}}),
        "timeline.html": render_timeline(
            found.events, describe_for(found.events), title=_title(found.events, provider_id),
            council=council, exported_at=now,
        ).encode(),
        "signing-keys.json": _json_bytes(keys.published()),
    }
    if checkpoint is not None:
        files["checkpoint.json"] = _json_bytes(Checkpoint.of(checkpoint).document())
    listed = {name: {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
              for name, body in files.items()}
    manifest = _json_bytes({
        "format": BUNDLE_FORMAT,
        "provider_id": provider_id,
        "council": council,
        "exported_at": iso(now),
        "exported_by": exported_by,
        "casework_version": __version__,
        "key_id": keys.key_id,
        "events": len(events),
        "streams": len(heads),
        "files": listed,
        "digest": files_digest(listed),
    })
    signature = _json_bytes({"key_id": keys.key_id, "algorithm": ALGORITHM,
                             "signature": keys.sign(manifest)})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in [("manifest.json", manifest), ("manifest.sig", signature), *files.items()]:
            archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2) + "\n").encode()


def _stream_events(
    store: EventStore, streams: Sequence[str]
) -> tuple[list[dict[str, Any]], dict[str, tuple[int, str]]]:
    """Every event of ``streams``, whole, in position order, as bundle lines; and their heads."""
    rows: list[Any] = []
    with connect(store.engine) as conn:
        for i in range(0, len(streams), 500):
            rows += conn.execute(select(*COLUMNS).where(T.c.stream.in_(streams[i: i + 500]))).all()
    rows.sort(key=lambda row: row[0])
    heads: dict[str, tuple[int, str]] = {}
    lines = []
    for row in rows:
        stream = row[2]
        previous = heads.get(stream, (0, GENESIS))[1]
        lines.append({
            "position": row[0], "event_id": row[1], "stream": stream, "version": row[3],
            "type": row[4], "schema_version": row[5], "data": row[6], "metadata": row[7],
            "provider_id": row[8], "occurred_at": iso(aware(row[9])),
            "recorded_at": iso(aware(row[10])), "previous_hash": previous, "hash": row[11],
        })
        heads[stream] = (row[3], row[11])
    return lines, heads


# ----------------------------------------------------------------------------- the timeline
def describe_for(entries: Sequence[HistoryEntry]) -> Describe:
    """How the bundle's timeline puts each entry into words: the same sentences as the web
    timeline and ``casework history`` (projections/narrative.py), with the records' and
    providers' names taken from the history itself. Sealed personal data is never revealed
    here: a bundle names no whistleblower or adult at risk."""
    names = narrative.names_for(entries)
    return lambda entry: narrative.describe(entry, names).text


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def plain_description(entry: HistoryEntry) -> str:
    """A plain sentence from an entry's own fields: "Risk assessed: risk high; action required
    yes; rationale pattern". Booleans read yes/no, empty values are left out, a link reads
    "intelligence record 9453ce50", sealed personal data "sealed personal data (not shown)";
    never raw JSON."""
    what = _CAMEL.sub(" ", entry.type).capitalize()
    details = [f"{_label(key)} {_words(value)}" for key, value in entry.data.items()
               if not _empty(value) and not key.endswith("provider_id")]
    if entry.reason:
        details.append(f"reason {entry.reason}")
    return f"{what}: {'; '.join(details)}" if details else what


def _label(key: str) -> str:
    return key.replace("_", " ")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _words(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if value == SEALED:
            return "sealed personal data (not shown)"
        if set(value) == {"kind", "id"}:
            return f"{_label(str(value['kind']))} record {_words(value['id'])}"
        parts = [f"{_label(k)} {_words(v)}" for k, v in value.items() if not _empty(v)]
        return f"({', '.join(parts)})"
    if isinstance(value, list):
        return ", ".join(_words(v) for v in value if not _empty(v))
    if isinstance(value, str):
        if _UUID.match(value):
            return value[:8]
        if _DATE.match(value):
            return _when(value)
        return value.replace("_", " ") if re.fullmatch(r"[a-z0-9_]+", value) else value
    return str(value)


def _when(text: str) -> str:
    """An ISO date as "9 Apr 2018"; an ISO instant as UK local time, "9 Apr 2018 10:00"."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text).strftime("%-d %b %Y")
        instant = datetime.fromisoformat(text)
    except ValueError:
        return text
    return _local(instant) if instant.tzinfo else instant.strftime("%-d %b %Y %H:%M")


def _title(entries: Sequence[HistoryEntry], provider_id: str) -> str:
    for entry in entries:
        name = entry.data.get("name")
        if entry.type == "ProviderRegistered" and isinstance(name, str):
            return name
    return f"provider {provider_id}"


def _local(instant: datetime) -> str:
    return instant.astimezone(COUNCIL_ZONE).strftime("%-d %b %Y %H:%M")


def render_timeline(
    entries: Sequence[HistoryEntry], describe: Describe = plain_description, *, title: str,
    council: str, exported_at: datetime,
) -> str:
    """The bundle's readable timeline: one row per entry, ordered by when it happened, its
    recording time beside it where that was later (a late entry is marked), who did it, the
    sentence ``describe`` gives, and the stream, version and hash that tie it to events.jsonl.
    Every text is HTML-escaped; the page runs no script and loads nothing."""
    e = html.escape
    rows = []
    for entry in sorted(entries, key=lambda x: (x.occurred_at, x.position)):
        late = (entry.recorded_at - entry.occurred_at).total_seconds() > 60
        recorded = (f'<span class="late">recorded late: {e(_local(entry.recorded_at))}</span>'
                    if late else "")
        rows.append(
            "<tr>"
            f"<td>{e(_local(entry.occurred_at))}{'<br>' + recorded if recorded else ''}</td>"
            f"<td>{e(entry.actor or 'system')}</td>"
            f"<td>{e(describe(entry))}</td>"
            f'<td class="ref">{e(entry.stream)} v{entry.version}<br>#{entry.position} '
            f"{e(entry.hash[:16])}…</td>"
            "</tr>"
        )
    return f"""<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>{e(title)}: evidence bundle</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #111; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; vertical-align: top; padding: .4em .6em; border-bottom: 1px solid #ccc; }}
.late {{ color: #8a4b00; font-size: .9em; }}
.ref {{ font-family: monospace; font-size: .8em; color: #555; }}
</style></head><body>
<h1>{e(title)}</h1>
<p>{e(council)}: the history of this provider as recorded in Casework, exported
{e(_local(exported_at))} (UK time), {len(entries)} entries, in the order things happened.
Times are UK local times. Sealed personal data is not shown.</p>
<p>This page is for reading. The evidence is events.jsonl: verify the bundle with
<code>casework verify-bundle</code> or <code>verify_bundle.py</code> (see docs/evidence-bundle.md).</p>
<table><thead><tr><th>When it happened</th><th>By</th><th>What</th><th>Event</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""


__all__ = [
    "BrokenHistory", "Describe", "describe_for", "export_bundle", "plain_description",
    "render_timeline",
]
