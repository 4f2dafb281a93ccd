"""Issue 20: the CQC import survives any file. Undecodable bytes, a name over the 200-character
limit, a truncated last line, JSON nested too deeply, a file that is not JSON Lines at all, an
empty file: each bad line is rejected by number with its reason, the good lines import, and the
summary says how many of each. A large file is streamed, its memory flat."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import orjson
import pytest

from casework.bootstrap import Casework
from casework.domain.fields import MAX_NAME
from casework.imports.cqc import BUNDLED_CQC_FILE, CqcLocation, Rejected, read_locations
from casework.imports.cqc_importer import KEPT_REJECTIONS, CqcImporter

GOOD = BUNDLED_CQC_FILE.read_bytes().splitlines()[:6]


def _long_name(line: bytes) -> bytes:
    record = orjson.loads(line)
    record["name"] = "N" * (MAX_NAME + 50)
    return orjson.dumps(record)


def mixed_file(tmp_path: Path) -> Path:
    """Good lines 1, 4 and 6; bad bytes on 2, an over-long name on 3, not JSON on 5, and a last
    line (7) cut short."""
    path = tmp_path / "mixed.jsonl"
    undecodable = GOOD[1].replace(b'"name": "', b'"name": "\xff\xfe', 1)
    path.write_bytes(b"\n".join([
        GOOD[0], undecodable, _long_name(GOOD[2]), GOOD[3], b"locationId,name", GOOD[4], GOOD[5][:120],
    ]))
    return path


def test_each_bad_line_is_read_as_rejected_with_its_reason(tmp_path):
    read = list(read_locations(mixed_file(tmp_path)))
    assert [r.line for r in read if isinstance(r, CqcLocation)] == [1, 3, 4, 6]  # 3: a long name reads
    reasons = {r.line: r.reason for r in read if isinstance(r, Rejected)}
    assert set(reasons) == {2, 5, 7}
    assert reasons[2].startswith("not UTF-8 text: byte 0xff")
    assert "not valid JSON" in reasons[5] and "one CQC location object" in reasons[5]
    assert "cut short" in reasons[7] and "truncated" in reasons[7]


def test_json_nested_too_deeply_is_called_that(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b"[" * 5000 + b"\n" + GOOD[0] + b"\n")
    first, second = read_locations(path)
    assert isinstance(first, Rejected) and first.reason.startswith("too deeply nested")
    assert "UTF-8" not in first.reason
    assert isinstance(second, CqcLocation)


def test_a_mixed_file_imports_the_good_lines_and_names_the_bad_ones(casework: Casework, tmp_path):
    report = CqcImporter(casework.application).import_file(mixed_file(tmp_path))
    assert report.locations == 3 and report.providers_registered == 3
    rejected = {r.line: r.reason for r in report.rejected}
    assert sorted(rejected) == [2, 3, 5, 7]
    assert rejected[3] == f"name is {MAX_NAME + 50} characters long; at most {MAX_NAME} are allowed"
    names = {e.data["name"] for page in casework.store.iter_all() for e in page
             if e.type == "ProviderRegistered"}
    assert len(names) == 3 and all(len(n) <= MAX_NAME for n in names)


def test_the_reader_streams_a_large_file_in_flat_memory(tmp_path):
    assert inspect.isgenerator(read_locations(BUNDLED_CQC_FILE))
    big = tmp_path / "big.jsonl"
    with big.open("wb") as out:
        for _ in range(60):  # ~ 25 MB: 60 copies of the bundled file
            out.write(BUNDLED_CQC_FILE.read_bytes())
    size = big.stat().st_size
    tracemalloc.start()
    try:
        read = sum(1 for _ in read_locations(big))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == 60 * 421
    assert peak < size / 20, (peak, size)  # one line at a time, not the file


def casework_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")},
           "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'casework.db'}",
           "CASEWORK_SCHEDULER_ENABLED": "false"}
    return subprocess.run([sys.executable, "-m", "casework.cli", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)


def test_casework_import_cqc_of_a_mixed_file_exits_1_naming_each_bad_line_without_a_traceback(tmp_path):
    answer = casework_cli(tmp_path, "import", "cqc", str(mixed_file(tmp_path)))
    assert answer.returncode == 1, answer.stderr
    assert "Traceback" not in answer.stdout + answer.stderr
    assert answer.stdout.startswith("imported 3 locations")
    errors = answer.stderr.splitlines()
    assert [e.split(":")[0].split(" (")[0] for e in errors[:4]] == [
        "rejected line 2", "rejected line 3", "rejected line 5", "rejected line 7"]
    assert "name is 250 characters long" in errors[1]
    assert errors[4] == "4 lines rejected (lines 2, 3, 5, 7); 3 locations imported"
    assert not any(e.startswith("{") for e in errors)  # no log lines among them


@pytest.mark.parametrize(("content", "said"), [
    (b"", "holds no records"),
    (b"\n\n", "holds no records"),
    (b"locationId,name\n1-1,Rose Court\n", "is it JSON Lines"),
])
def test_an_empty_file_or_one_not_json_lines_says_so_in_plain_words(tmp_path, content, said):
    path = tmp_path / "wrong.jsonl"
    path.write_bytes(content)
    answer = casework_cli(tmp_path, "import", "cqc", str(path))
    assert answer.returncode == 1 and "Traceback" not in answer.stderr
    assert said in answer.stderr


def test_a_file_of_nothing_but_bad_lines_is_counted_in_flat_memory(casework: Casework, tmp_path):
    lines = 50_000
    path = tmp_path / "not-jsonl.csv"
    path.write_bytes(b"locationId,name,beds\n" * lines)
    seen = {"count": 0, "last": 0}

    def told(rejected: Rejected) -> None:  # each one, in order, as it is read
        assert rejected.line == seen["last"] + 1
        seen.update(count=seen["count"] + 1, last=rejected.line)

    tracemalloc.start()
    try:
        report = CqcImporter(casework.application).import_file(path, on_rejected=told)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.rejected_lines == lines == seen["count"]
    assert len(report.rejected) == KEPT_REJECTIONS and report.locations == 0
    assert peak < 8 * 1024 * 1024, peak  # 50,000 rejections kept would take several times this
