"""Property: whatever is delivered — rows dropped, lines cut, unknown values — the
published findings are those of a delivery that passed every guard: the previous night's
files where a source was held or rejected, tonight's elsewhere (issue 14, the Show).

Each example publishes a night on a copy of a published database and compares it with
the same pipeline run directly, on a fresh database, on that composite delivery. The
expectation suites, the analysts' copy and the reports are stubbed out here (they are not
what is judged, and cost ~8 s a night); read, guards, link, findings and publish are real.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pensionlink.flows.nightly as nightly
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pensionlink.connectors import load_specs
from pensionlink.connectors.encoding import decode_to_utf8
from pensionlink.synth import generate_night

from pensionlink.reports import ReportFiles
from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.store import connect_database
from tests.flows.published import published

AS_OF = dt.date(2026, 11, 28)
STATUS_COLUMN = {"resident_roster": "参保状态", "hukou": "人员状态"}
UNKNOWN_WORDS = ("正常", "待遇 领取", "已故")


class NoCheck:
    """No expectations (they are not what this file tests): no results, no Data Docs."""

    def validate(self, *args) -> None:
        return None

    def docs_written(self) -> None:
        return None


@pytest.fixture(scope="module")
def fast_pipeline():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nightly, "CheckHere", NoCheck)
        mp.setattr(nightly, "publish_analyst_database", lambda *args: None)
        mp.setattr(nightly, "write_night_reports", lambda *args: ReportFiles([], None))
        yield


def run(extracts: Path, db: Path) -> dict:
    policy = load_policy(AS_OF)
    return nightly.run_night(Settings(extracts=extracts, db=db, as_of=AS_OF, policy=policy))


def stale_sources(db: Path) -> set[str]:
    with connect_database(db) as con:
        (sources,) = con.execute(
            "SELECT sources FROM runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    return {s["source"] for s in sources if s["stale"]}


@pytest.fixture(scope="module")
def base(fast_pipeline, tmp_path_factory) -> tuple[Path, Path, dict]:
    root = tmp_path_factory.mktemp("guard-property")
    night = root / "base"
    generate_night(night, people=200, seed=3, as_of=AS_OF)
    shutil.rmtree(night / "truth")
    db = root / "base.duckdb"
    run(night, db)
    findings = published(db)
    assert findings["deaths_to_deregister"] and findings["uninsured_eligible"]
    return night, db, findings


def change_file(path: Path, source: str, change: dict) -> dict:
    """Apply one generated change; return what the guards must make of it."""
    data = path.read_bytes()
    encoding = decode_to_utf8(data).encoding
    lines = data.decode(encoding).splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    status = header.rstrip("\r\n").split(",").index(STATUS_COLUMN[source])
    for i in change["unknown"]:
        cells = rows[i % len(rows)].split(",")
        cells[status] = UNKNOWN_WORDS[i % len(UNKNOWN_WORDS)]
        rows[i % len(rows)] = ",".join(cells)
    dropped = {i % len(rows) for i in change["drop"]}
    rows = [r for j, r in enumerate(rows) if j not in dropped]
    out = (header + "".join(rows)).encode(encoding)
    line_break = len(out) - len(out.rstrip(b"\r\n"))
    cut = change["cut"] or 0
    if cut:
        out = out[:-cut]
    path.write_bytes(out)
    cut_into_last_row = cut > line_break
    # a cut that leaves the last field empty, in a column often empty, looks whole
    undetectable = cut_into_last_row and out.endswith(b",")
    return {"must_hold": bool(dropped) or (cut_into_last_row and not undetectable)}


def checksum_of(night: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(night.rglob("*.csv")):
        digest.update(path.relative_to(night).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


_DIRECT: dict[str, dict] = {}


def direct_findings(night: Path, root: Path) -> dict:
    """The pipeline on a delivery directly, on a fresh database (cached by content)."""
    key = checksum_of(night)
    if key not in _DIRECT:
        db = root / f"direct-{key[:12]}.duckdb"
        run(night, db)
        assert stale_sources(db) == set()  # every file of it passed every guard
        _DIRECT[key] = published(db)
    return _DIRECT[key]


CHANGE = st.fixed_dictionaries(
    {
        "source": st.sampled_from(sorted(STATUS_COLUMN)),
        "drop": st.lists(st.integers(0, 10_000), max_size=3),
        "cut": st.one_of(st.none(), st.integers(1, 14)),
        "unknown": st.lists(st.integers(0, 10_000), max_size=2),
    }
)


@settings(
    max_examples=7,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.lists(CHANGE, min_size=1, max_size=2, unique_by=lambda c: c["source"]))
def test_published_findings_are_those_of_a_delivery_that_passed_every_guard(
    changes, base, tmp_path_factory
):
    base_night, base_db, base_findings = base
    root = tmp_path_factory.mktemp("example")
    night = root / "night"
    shutil.copytree(base_night, night, copy_function=shutil.copyfile)
    specs = load_specs()
    verdicts = {
        c["source"]: change_file(night / f"{specs[c['source']].path}.csv", c["source"], c)
        for c in changes
    }
    db = root / "pensionlink.duckdb"
    shutil.copyfile(base_db, db)

    run(night, db)

    stale = stale_sources(db)
    for source, verdict in verdicts.items():
        if verdict["must_hold"]:
            assert source in stale, (source, changes)
    assert stale <= set(verdicts), "an unchanged source was not taken"
    # the composite: last night's file wherever tonight's was held or rejected
    composite = root / "composite"
    shutil.copytree(night, composite, copy_function=shutil.copyfile)
    for source in stale:
        file = f"{specs[source].path}.csv"
        shutil.copyfile(base_night / file, composite / file)
    assert published(db) == direct_findings(composite, root)
    if stale == set(verdicts):
        assert published(db) == base_findings  # the previous night, unchanged
