"""tools/verify_bundle.py, the verifier an auditor runs without Casework: it is the command's own
verifier, imports nothing of Casework, and gives the same answer as `casework verify-bundle` on a
good bundle and on each kind of tampered one."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from casework.evidence import verifier

from .conftest import invoke, members, rezip

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "verify_bundle.py"


def test_the_script_is_the_commands_verifier_and_needs_no_casework() -> None:
    assert SCRIPT.read_bytes() == Path(verifier.__file__).read_bytes(), (
        "tools/verify_bundle.py differs from casework/evidence/verifier.py: copy it over")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(SCRIPT.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"cryptography", "__future__"}, imported


def tampered_bundles(bundle: bytes) -> dict[str, bytes]:
    files = members(bundle)
    lines = files["events.jsonl"].splitlines()
    flipped = lines[1].replace(b'"version":', b'"version": ', 1)  # same JSON, other bytes: sha256
    altered = lines[0].replace(b"Elm Court", b"Elm Cour7", 1)
    manifest = json.loads(files["manifest.json"])
    manifest["exported_at"] = "2020-01-01T00:00:00.000000+00:00"

    def events(new: list[bytes]) -> bytes:
        return rezip({**files, "events.jsonl": b"".join(line + b"\n" for line in new)})

    return {
        "good": bundle,
        "an event altered": events([altered, *lines[1:]]),
        "events.jsonl re-encoded": events([lines[0], flipped, *lines[2:]]),
        "an event dropped": events([lines[0], *lines[2:]]),
        "two events reordered": events([lines[1], lines[0], *lines[2:]]),
        "the manifest altered": rezip({**files, "manifest.json": json.dumps(manifest).encode()}),
        "a file replaced": rezip({**files, "timeline.html": b"<p>nothing happened</p>"}),
        "the signature removed": rezip({k: v for k, v in files.items() if k != "manifest.sig"}),
        "a terminal escape in a stream name": events(
            [lines[0].replace(b'"stream":"', b'"stream":"\\u001b[2J', 1), *lines[1:]]),
    }


def test_the_script_agrees_with_the_command(bundle: bytes, signing_key_file: Path, tmp_path: Path,
                                            settings) -> None:
    for case, body in tampered_bundles(bundle).items():
        path = tmp_path / f"{case.replace(' ', '-')}.zip"
        path.write_bytes(body)
        script = subprocess.run(
            [sys.executable, "-I", str(SCRIPT), str(path), "--public-key", str(signing_key_file)],
            capture_output=True, text=True, cwd=tmp_path, check=False, timeout=60)
        command = invoke(["verify-bundle", str(path), "--public-key", str(signing_key_file)], settings)
        assert script.returncode == command.exit_code, (case, script.stderr, command.output)
        assert (script.returncode == 0) == (case == "good"), (case, script.stderr)
        said = (script.stdout + script.stderr).strip()
        assert said == command.output.strip(), case
        assert "\x1b" not in said, case  # printed escaped, never acted on
        if "escape" in case:
            assert "stream \\x1b[2Jprovider-" in said, said
