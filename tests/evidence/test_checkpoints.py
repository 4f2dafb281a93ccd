"""Issue 19, signed checkpoints of the whole log: each signs the log's digest at a position and
chains the previous checkpoint's signature; `casework verify --against CHECKPOINT` proves the
log was not rewritten up to it, even by someone who recomputed every hash chain."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, event, select, update

from casework.bootstrap import Casework
from casework.domain.intelligence import AllocateIntelligence
from casework.domain.providers import RegisterProvider
from casework.events.hashing import GENESIS, event_hash
from casework.events.schema import events as T
from casework.events.store.seals import (
    StoredCheckpoint,
    log_checkpoints,
    log_digest,
    log_digests,
    record_checkpoint,
)
from casework.evidence.checkpoints import (
    BrokenLog,
    Checkpoint,
    CheckpointSchedule,
    against_log,
    chain_problem,
    make_checkpoint,
    public_keys_of,
    stored_chain,
)
from casework.evidence.signing import SigningKeys
from casework.evidence.verifier import CHECKPOINT_FORMATS, verify_bundle

from .conftest import MANNY, History, bundle_of, invoke, members


def register(cw: Casework, name: str) -> str:
    return cw.application.execute(RegisterProvider(name=name, service_type="home_care"), MANNY).aggregate_id


def test_checkpoints_chain_each_to_the_previous_signature(
    casework: Casework, history: History, signing_key_file: Path, clock
) -> None:
    keys = SigningKeys.load(signing_key_file)
    made = []
    for name in ("Oak House", "Birch Lodge", "Yew Court"):
        made.append(make_checkpoint(casework.store, keys, clock, "Test council"))
        register(casework, name)
        clock.advance(timedelta(days=1))
    fields = [c.fields for c in made]
    assert [f["sequence"] for f in fields] == [1, 2, 3]
    assert fields[0]["previous_signature"] is None
    assert fields[1]["previous_signature"] == made[0].signature
    assert fields[2]["previous_signature"] == made[1].signature
    assert fields[0]["position"] < fields[1]["position"] < fields[2]["position"]
    assert stored_chain(casework.store) == made
    public = public_keys_of(keys)
    assert chain_problem(made, public) is None
    assert "checkpoint 3 follows checkpoint 1: a checkpoint is missing" in str(
        chain_problem([made[0], made[2]], public))
    forged = Checkpoint(made[1].payload.replace('"sequence":2', '"sequence":2 '), made[1].signature)
    assert "checkpoint 2: the signature does not verify" in str(chain_problem(
        [made[0], forged, made[2]], public))


def rewrite_first_event(cw: Casework, new_name: str) -> None:
    """Edit the first event of the log and recompute its stream's chain, as a forger with the
    database would: `casework verify` alone can no longer tell."""
    with cw.engine.connect() as conn:
        first = conn.execute(select(T.c.position).order_by(T.c.position).limit(1)).scalar_one()
    rewrite_event(cw, first, ("Elm Court", new_name))


def test_verify_against_a_checkpoint_finds_a_rewritten_log(
    casework: Casework, history: History, signing_key_file: Path, tmp_path: Path, settings, clock
) -> None:
    made = make_checkpoint(casework.store, SigningKeys.load(signing_key_file), clock, "Test council")
    held = tmp_path / "checkpoint.json"
    held.write_text(json.dumps(made.document()))
    register(casework, "After the checkpoint")  # appending later is not rewriting
    good = invoke(["verify", "--against", str(held)], settings)
    assert good.exit_code == 0, good.output
    assert "matches checkpoint 1" in good.output
    assert "checkpoints: 1 recorded, chained and signed" in good.output

    rewrite_first_event(casework, "Elm Courtyard")
    assert casework.store.verify().ok  # every chain recomputes: only the checkpoint can tell
    public = public_keys_of(SigningKeys.load(signing_key_file))
    assert "was rewritten at or before position" in str(against_log(casework.store, made, public))
    bad = invoke(["verify", "--against", str(held)], settings)
    assert bad.exit_code == 1 and "BROKEN" in bad.output and "rewritten" in bad.output
    # the checkpoints the council recorded find it too
    plain = invoke(["verify"], settings)
    assert plain.exit_code == 1 and "checkpoint 1 signed: the log was rewritten" in plain.output

    # The next checkpoint reads only what came after checkpoint 1, so it does not look for the
    # rewrite, but it folds on from the digest checkpoint 1 signed: it seals the log as it was,
    # and the rewrite is found against it too, by `verify --against` and by `verify`.
    register(casework, "After the rewrite")
    later = make_checkpoint(casework.store, SigningKeys.load(signing_key_file), clock, "Test council")
    assert "was rewritten at or before position" in str(against_log(casework.store, later, public))
    held.write_text(json.dumps(later.document()))
    bad = invoke(["verify", "--against", str(held)], settings)
    assert bad.exit_code == 1 and "matches checkpoint 2" not in bad.output
    assert invoke(["verify"], settings).exit_code == 1


def test_the_log_digest_at_several_positions_is_each_ones_digest(
    casework: Casework, history: History
) -> None:
    head = casework.store.head_position()
    together = log_digests(casework.store, [1, 3, head, head + 5], page=2)
    for position in (1, 3, head):
        assert together[position] == log_digest(casework.store, position)
    assert together[1][0] == 1 and together[head][0] == head
    assert together[head + 5] == together[head]


def test_a_checkpoint_file_edited_or_signed_by_another_key_is_refused(
    casework: Casework, history: History, signing_key_file: Path, tmp_path: Path, settings, clock
) -> None:
    made = make_checkpoint(casework.store, SigningKeys.load(signing_key_file), clock, "Test council")
    edited = made.document() | {"position": 1}
    held = tmp_path / "edited.json"
    held.write_text(json.dumps(edited))
    answer = invoke(["verify", "--against", str(held)], settings)
    assert answer.exit_code == 2 and "position differs from the signed payload" in answer.output
    other = SigningKeys.create(tmp_path / "other.json", clock.now())
    payload = made.payload.replace(made.fields["key_id"], other.key_id)
    foreign = Checkpoint(payload, other.sign(payload.encode()))
    held.write_text(json.dumps(foreign.document()))
    answer = invoke(["verify", "--against", str(held)], settings)
    assert answer.exit_code == 1 and f"signed with key {other.key_id}" in answer.output


def test_no_checkpoint_is_signed_over_a_broken_log(
    casework: Casework, history: History, signing_key_file: Path, clock
) -> None:
    with casework.engine.begin() as conn:
        conn.execute(update(T).where(T.c.position == 1).values(data='{"name":"forged"}'))
    with pytest.raises(BrokenLog):
        make_checkpoint(casework.store, SigningKeys.load(signing_key_file), clock, "Test council")
    with casework.engine.connect() as conn:
        assert conn.execute(select(log_checkpoints)).all() == []


def test_the_checkpoint_command_prints_what_a_third_party_keeps(
    casework: Casework, history: History, settings, signing_key_file: Path
) -> None:
    answer = invoke(["checkpoint"], settings)
    assert answer.exit_code == 0, answer.output
    document = json.loads(answer.output)
    assert document["position"] == casework.store.head_position()
    assert document["key_id"] == SigningKeys.load(signing_key_file).key_id
    assert json.loads(document["payload"])["log_digest"] == document["log_digest"]


def test_serve_schedules_a_checkpoint_daily_by_default(
    casework: Casework, history: History, signing_key_file: Path, clock
) -> None:
    schedule = CheckpointSchedule(casework.store, clock, signing_key_file, "Test council",
                                  casework.settings.checkpoint_interval_hours)
    try:
        assert schedule.start()
        assert schedule.job.trigger.interval == timedelta(hours=24)
        made = schedule.run()  # what the job runs when it fires
        assert made is not None and stored_chain(casework.store) == [made]
    finally:
        schedule.shutdown()
    assert not CheckpointSchedule(casework.store, clock, signing_key_file, "x", 0).start()
    assert not CheckpointSchedule(casework.store, clock, None, "x", 24).start()
    missing = signing_key_file.with_name("missing.json")
    assert not CheckpointSchedule(casework.store, clock, missing, "x", 24).start()


def test_a_bundle_carries_the_latest_checkpoint(
    casework: Casework, history: History, signing_key_file: Path, clock
) -> None:
    made = make_checkpoint(casework.store, SigningKeys.load(signing_key_file), clock, "Test council")
    files = members(bundle_of(casework, history.provider_id, signing_key_file))
    carried = json.loads(files["checkpoint.json"])
    assert carried["signature"] == made.signature
    manifest = json.loads(files["manifest.json"])
    assert manifest["files"]["checkpoint.json"]["sha256"] == hashlib.sha256(
        files["checkpoint.json"]).hexdigest()


@contextmanager
def events_read(engine: Engine) -> Iterator[list[int]]:
    """Counts the rows of the events table that each query this thread runs meanwhile returns:
    each SELECT from it is recorded as it runs, and counted at the end (the events table does
    not change meanwhile) by running it again inside a count(*)."""
    seen: list[tuple[str, object]] = []
    thread = threading.get_ident()

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if threading.get_ident() == thread and re.search(r"\bFROM events\b", statement):
            seen.append((statement, parameters))

    counts: list[int] = []
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", record)
    with engine.connect() as conn:
        for statement, parameters in seen:
            counts.append(conn.exec_driver_sql(
                f"SELECT count(*) FROM ({statement}) AS q", parameters).scalar_one())


def test_a_checkpoint_reads_only_the_events_since_the_previous_one(
    casework: Casework, history: History, signing_key_file: Path, clock
) -> None:
    keys = SigningKeys.load(signing_key_file)
    public = public_keys_of(keys)

    def append_five() -> None:  # three new streams, two events on one begun before
        for name in ("Oak House", "Birch Lodge", "Yew Court"):
            register(casework, name)
        for officer in ("amy", "grace"):
            casework.application.execute(
                AllocateIntelligence(record_id=history.record_id, officer=officer), MANNY)

    def read_by_next_checkpoint() -> int:
        with events_read(casework.engine) as counts:
            made = make_checkpoint(casework.store, keys, clock, "Test council")
        assert made.fields["log_digest"] == log_digest(casework.store, made.fields["position"])[1]
        return sum(counts)

    make_checkpoint(casework.store, keys, clock, "Test council")
    append_five()
    small = read_by_next_checkpoint()
    for number in range(150):
        register(casework, f"Provider {number}")
    make_checkpoint(casework.store, keys, clock, "Test council")  # over the 150
    append_five()
    large = read_by_next_checkpoint()
    # the five new events, the event before the first new one of the stream begun before, the
    # previous checkpoint's last event (its spot check) and the head: whatever came before
    assert small == large == 5 + 1 + 1 + 1
    with events_read(casework.engine) as counts:  # the counting sees what a full read reads
        assert against_log(casework.store, stored_chain(casework.store)[-1], public) is None
    assert sum(counts) > casework.store.count()


def rewrite_event(cw: Casework, position: int, edit: tuple[str, str]) -> None:
    """Edit the event at ``position`` and recompute its stream's chain from it."""
    with cw.engine.begin() as conn:
        target = conn.execute(select(T).where(T.c.position == position)).one()
        rows = conn.execute(select(T).where(T.c.stream == target.stream).order_by(T.c.version)).all()
        previous = GENESIS
        for row in rows:
            data = row.data.replace(*edit) if row.position == position else row.data
            digest = event_hash(previous, event_id=row.event_id, stream=row.stream,
                                version=row.version, type=row.type,
                                schema_version=row.schema_version, data=data,
                                metadata=row.metadata, occurred_at=row.occurred_at,
                                recorded_at=row.recorded_at)
            conn.execute(update(T).where(T.c.position == row.position).values(data=data, hash=digest))
            previous = digest


def test_the_next_checkpoint_refuses_when_the_previous_ones_last_event_changed(
    casework: Casework, history: History, signing_key_file: Path, clock
) -> None:
    keys = SigningKeys.load(signing_key_file)
    made = make_checkpoint(casework.store, keys, clock, "Test council")
    position = made.fields["position"]
    with casework.engine.connect() as conn:
        last = conn.execute(select(T.c.hash).where(T.c.position == position)).scalar_one()
    assert made.fields["last_hash"] == last
    register(casework, "Oak House")
    rewrite_event(casework, position, ("Rotas", "Notes"))
    assert casework.store.verify().ok
    with pytest.raises(BrokenLog, match=f"its last event \\(position {position}\\) was rewritten"):
        make_checkpoint(casework.store, keys, clock, "Test council")
    with casework.engine.begin() as conn:
        conn.execute(delete(T).where(T.c.position == position))
    with pytest.raises(BrokenLog, match=f"position {position}\\) is gone"):
        make_checkpoint(casework.store, keys, clock, "Test council")
    assert len(stored_chain(casework.store)) == 1


def test_the_next_checkpoint_verifies_the_new_events_links(
    casework: Casework, history: History, signing_key_file: Path, clock
) -> None:
    keys = SigningKeys.load(signing_key_file)
    make_checkpoint(casework.store, keys, clock, "Test council")
    casework.application.execute(AllocateIntelligence(record_id=history.record_id, officer="grace"),
                                 MANNY)
    head = casework.store.head_position()
    with casework.engine.begin() as conn:
        conn.execute(update(T).where(T.c.position == head).values(data='{"officer":"forged"}'))
    with pytest.raises(BrokenLog, match="hash does not match"):
        make_checkpoint(casework.store, keys, clock, "Test council")
    # its predecessor, before the checkpoint, deleted: the new event's link is checked to it
    with casework.engine.begin() as conn:
        new = conn.execute(select(T.c.stream, T.c.version).where(T.c.position == head)).one()
        conn.execute(delete(T).where(T.c.stream == new.stream, T.c.version == new.version - 1))
    with pytest.raises(BrokenLog, match="were deleted"):
        make_checkpoint(casework.store, keys, clock, "Test council")
    assert len(stored_chain(casework.store)) == 1


def test_a_checkpoint_of_the_first_format_still_verifies_and_is_built_on(
    casework: Casework, history: History, signing_key_file: Path, tmp_path: Path, settings, clock
) -> None:
    """A council's checkpoints made before last_hash (format /1) sign the same digest."""
    keys = SigningKeys.load(signing_key_file)
    head = casework.store.head_position()
    events, digest = log_digest(casework.store, head)
    fields = {"format": CHECKPOINT_FORMATS[0], "council": "Test council", "sequence": 1,
              "position": head, "events": events, "log_digest": digest,
              "made_at": "2026-01-01T00:00:00.000000+00:00", "key_id": keys.key_id,
              "previous_signature": None}
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    old = StoredCheckpoint(1, head, digest, clock.now(), keys.key_id, payload,
                           keys.sign(payload.encode()))
    record_checkpoint(casework.store, lambda previous: old)
    held = tmp_path / "old.json"
    held.write_text(json.dumps(Checkpoint.of(old).document()))
    assert invoke(["verify", "--against", str(held)], settings).exit_code == 0
    carried = tmp_path / "bundle.zip"  # a bundle carrying it passes the standalone verifier
    carried.write_bytes(bundle_of(casework, history.provider_id, signing_key_file))
    outcome = verify_bundle(str(carried), signing_key_file.read_text())
    assert outcome.ok and "checkpoint 1: valid" in "\n".join(outcome.summary), outcome.problem

    register(casework, "Oak House")
    made = make_checkpoint(casework.store, keys, clock, "Test council")
    assert made.fields["format"] == CHECKPOINT_FORMATS[-1] != CHECKPOINT_FORMATS[0]
    assert made.fields["previous_signature"] == old.signature
    assert made.fields["events"] == events + 1
    answer = invoke(["verify"], settings)
    assert answer.exit_code == 0 and "checkpoints: 2 recorded" in answer.output
    bundle = members(bundle_of(casework, history.provider_id, signing_key_file))
    assert json.loads(bundle["checkpoint.json"])["sequence"] == 2
