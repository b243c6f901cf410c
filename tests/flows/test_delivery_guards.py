"""Hostile deliveries are held, never published, never the snapshot; an operator can
take one deliberately (`pensionlink accept`), and the next run does (issue 14, item 1)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from pensionlink.connectors import SourceRejected
from pensionlink.connectors.table import file_checksum
from pensionlink.flows.nightly import run_night
from typer.testing import CliRunner

from pensionlink.cli import app
from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.store import connect_database
from tests.flows.published import published

AS_OF = dt.date(2026, 11, 28)
ROSTER = "social_security/resident_roster.csv"
HUKOU = "public_security/hukou.csv"
runner = CliRunner()


def run(extracts: Path, db: Path) -> dict:
    return run_night(Settings(extracts=extracts, db=db, as_of=AS_OF, policy=load_policy(AS_OF)))


def last_run(db: Path) -> dict:
    with connect_database(db) as con:
        run_id, sources, held = con.execute(
            "SELECT run_id, sources, held FROM runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        quality = dict(con.execute("SELECT source, note FROM source_quality").fetchall())
    return {
        "run_id": run_id,
        "sources": {s["source"]: s for s in sources},
        "held": {h["source"]: h for h in held or []},
        "quality": quality,
    }


def snapshot_checksum(db: Path, source: str) -> str:
    with connect_database(db) as con:
        (checksum,) = con.execute(
            "SELECT checksum FROM snapshots.deliveries WHERE source = ?", [source]
        ).fetchone()
    return checksum


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def header_only(path: Path) -> None:
    path.write_bytes(lines_of(path)[0])


def cut_at_half_on_a_line_end(path: Path) -> None:
    lines = lines_of(path)
    path.write_bytes(b"".join(lines[: len(lines) // 2]))


def cut_inside_the_last_field(path: Path) -> None:
    """…,2003.45\\r\\n → …,20 (the transfer stopped two characters into the amount)."""
    data = path.read_bytes().rstrip(b"\r\n")
    last_field = data.rsplit(b",", 1)[1]
    assert len(last_field) > 3
    path.write_bytes(data[: len(data) - len(last_field) + 2])


def every_row_twice(path: Path) -> None:
    lines = lines_of(path)
    path.write_bytes(b"".join(lines + lines[1:]))


def ids_mangled_by_a_spreadsheet(path: Path) -> None:
    """Every 公民身份号码 as Excel shows an 18-digit number: 2.22405E+17."""
    lines = lines_of(path)
    mangled = []
    for line in lines[1:]:
        cells = line.split(b",")
        cells[1] = b"2.22405E+17"
        mangled.append(b",".join(cells))
    path.write_bytes(b"".join([lines[0], *mangled]))


@pytest.fixture(scope="module")
def first_night(sample_night: Path, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("guards")
    db = root / "pensionlink.duckdb"
    summary = run(sample_night, db)
    assert summary["deaths"] > 0 and summary["uninsured"] > 0  # something to lose
    return root, db


def hostile_night(first_night, sample_night: Path, name: str, file: str, change: Callable):
    """A copy of the published database and of the sample night with one file changed."""
    root, first_db = first_night
    db = root / f"{name}.duckdb"
    shutil.copyfile(first_db, db)
    night = root / f"{name}-night"
    shutil.copytree(sample_night, night, copy_function=shutil.copyfile)
    change(night / file)
    return db, night


CASES = {
    "roster_header_only": (ROSTER, "resident_roster", header_only, "无数据行 no data rows"),
    "hukou_header_only": (HUKOU, "hukou", header_only, "无数据行 no data rows"),
    "roster_cut_at_half": (ROSTER, "resident_roster", cut_at_half_on_a_line_end, "rows 下降 fell"),
    "roster_cut_in_last_field": (
        ROSTER,
        "resident_roster",
        cut_inside_the_last_field,
        "末行截断 last line cut",
    ),
    "roster_rows_doubled": (ROSTER, "resident_roster", every_row_twice, "rows 上升 rose"),
    "roster_ids_collapse": (
        ROSTER,
        "resident_roster",
        ids_mangled_by_a_spreadsheet,
        "distinct IDs 下降 fell",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_delivery_is_held_and_the_published_night_is_unchanged(
    case, first_night, sample_night: Path
):
    file, source, change, why = CASES[case]
    _root, first_db = first_night
    db, night = hostile_night(first_night, sample_night, case, file, change)
    before = published(db)

    summary = run(night, db)

    after = last_run(db)
    assert published(db) == before  # the same people, decided the same way
    assert set(after["held"]) == {source}
    held = after["held"][source]
    assert why in held["reason"]
    assert held["checksum"] == file_checksum(night / file)
    entry = after["sources"][source]
    assert entry["stale"] and why in entry["note"]
    assert f"pensionlink accept {source} --run" in entry["note"]
    assert why in after["quality"][source]
    assert [s["source"] for s in summary["not_read"]] == [source]
    # the held file never becomes the snapshot: last night's delivery still is
    assert snapshot_checksum(db, source) == snapshot_checksum(first_db, source)
    assert snapshot_checksum(db, source) != held["checksum"]


def test_a_healthy_file_without_a_final_line_break_is_taken(first_night, sample_night: Path):
    def one_more_row_no_final_break(path: Path) -> None:
        lines = lines_of(path)
        path.write_bytes(b"".join([*lines, lines[1].replace(b"2205", b"2299", 1).rstrip()]))

    db, night = hostile_night(
        first_night, sample_night, "healthy", ROSTER, one_more_row_no_final_break
    )
    run(night, db)
    after = last_run(db)
    assert after["held"] == {}
    assert not any(s["stale"] for s in after["sources"].values())
    assert snapshot_checksum(db, "resident_roster") == file_checksum(night / ROSTER)


def test_an_empty_roster_on_the_first_night_stops_the_night(sample_night: Path, tmp_path):
    night = tmp_path / "night"
    shutil.copytree(sample_night, night, copy_function=shutil.copyfile)
    header_only(night / ROSTER)
    db = tmp_path / "pensionlink.duckdb"
    with pytest.raises(
        SourceRejected, match=r"无数据行 no data rows.*never accepted, night stopped"
    ):
        run(night, db)
    with connect_database(db) as con:  # only the failed run is recorded
        assert con.execute("SELECT status FROM runs").fetchall() == [("failed",)]
    assert all(rows == [] for rows in published(db).values())  # nothing published


def test_accept_takes_the_held_file_on_the_next_run(first_night, sample_night: Path):
    db, night = hostile_night(
        first_night, sample_night, "accept", ROSTER, cut_at_half_on_a_line_end
    )
    before = published(db)
    run(night, db)
    held_run = last_run(db)["run_id"]
    accept = ["accept", "resident_roster", "--run", held_run, "--db", str(db)]
    why = ["--by", "王操作", "--reason", "社保局确认：半数人员已迁入新系统"]

    refusals = {
        "no run 2000": ["accept", "resident_roster", "--run", "2000", "--db", str(db), *why],
        "hukou 在运行": ["accept", "hukou", "--run", held_run, "--db", str(db), *why],
        "--by": [*accept, "--by", "  ", "--reason", "ok"],
        "--reason": [*accept, "--by", "王操作", "--reason", ""],
        "未知来源 unknown source": ["accept", "roster", "--run", held_run, "--db", str(db), *why],
    }
    for expected, args in refusals.items():
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (expected, result.output)
        assert expected in result.output and len(result.output.strip().splitlines()) == 1
        assert "Traceback" not in result.output

    taken = runner.invoke(app, [*accept, *why])
    assert taken.exit_code == 0, taken.output
    assert "已接受 accepted: resident_roster" in taken.output
    again = runner.invoke(app, [*accept, *why])
    assert again.exit_code == 2 and "accepted already by 王操作" in again.output

    run(night, db)
    after = last_run(db)
    assert after["held"] == {} and not after["sources"]["resident_roster"]["stale"]
    assert snapshot_checksum(db, "resident_roster") == file_checksum(night / ROSTER)
    assert published(db) != before  # half the roster is gone: many more uninsured

    audit = runner.invoke(app, ["audit", "--db", str(db)])
    assert audit.exit_code == 0, audit.output
    line = next(ln for ln in audit.output.splitlines() if "delivery_accepted" in ln)
    assert "王操作" in line and "resident_roster" in line and held_run in line
