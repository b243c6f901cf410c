"""One way through the house (分层): the import-linter contracts in pyproject.toml hold.

The repository keeps its top-level folders while the installed package maps each one to
`pensionlink.<folder>` (setuptools `package-dir`). import-linter reads the package from
disk, so the test assembles that installed layout as a tree of links first and runs
`lint-imports` on it: a backwards import anywhere fails here with the offending line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _installed_layout(into: Path) -> Path:
    """`pensionlink/` with each mapped folder linked in where the install puts it."""
    tools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    package = into / "pensionlink"
    package.mkdir()
    for entry in (ROOT / "pensionlink").iterdir():
        (package / entry.name).symlink_to(entry)
    for name, folder in tools["setuptools"]["package-dir"].items():
        (into / name.replace(".", "/")).symlink_to(ROOT / folder)
    return into


def test_imports_run_one_way(tmp_path):
    tree = _installed_layout(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command as c; c()",
            str(ROOT / "pyproject.toml"),
            "--no-cache",
        ],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
