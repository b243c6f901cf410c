"""SQL runs in one place (SQL 只在数据仓库执行): no installed module outside the warehouse
package calls `execute(`; the case store (`pensionlink/cases/store.py`, its own
transactional store) is the one other module allowed to."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAREHOUSE = ROOT / "pensionlink" / "warehouse"
SECOND_STORE = ROOT / "pensionlink" / "cases" / "store.py"
CALLS = ("execute(", "executemany(")


def _installed_sources() -> list[Path]:
    """Every .py file of the installed package: pensionlink/ and each mapped folder."""
    tools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    folders = [
        ROOT / "pensionlink",
        *(ROOT / f for f in tools["setuptools"]["package-dir"].values()),
    ]
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def test_only_the_warehouse_executes_sql():
    sources = _installed_sources()
    assert len(sources) > 50  # the walk found the package
    offending = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sources
        if WAREHOUSE not in path.parents and path != SECOND_STORE
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(call in line for call in CALLS)
    ]
    assert offending == []
