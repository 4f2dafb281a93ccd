"""What the package ships exists: every package-data pattern in pyproject.toml matches a file."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_data_pattern_names_files_that_exist() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["casework"]
    package = ROOT / "src" / "casework"
    empty = [p for p in patterns if not any(f.is_file() for f in package.glob(p))]
    assert empty == [], f"package-data patterns that match no file: {empty}"
