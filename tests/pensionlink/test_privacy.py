"""PIPL: the restricted file needs the key, the analysts' file holds no identity, nothing
leaks on the console, into Data Docs or reports, and every run and decision is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest
from pensionlink.expectations.offline_docs import ASSETS_DIR, VENDOR
from pensionlink.flows.nightly import run_night
from typer.testing import CliRunner

from pensionlink.cli import app
from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.analyst_database import (
    AnalystPseudonyms,
    analyst_path,
    deidentify,
    deidentify_case_events,
    mask_name,
)
from pensionlink.warehouse.database_key import KEY_ENV, MissingKey, database_key, pseudonym_key
from pensionlink.warehouse.store import WrongKey, connect_database

AS_OF = dt.date(2026, 11, 28)
WHOLE_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
runner = CliRunner()


def run(extracts: Path, db: Path, day: dt.date = AS_OF) -> dict:
    return run_night(Settings(extracts=extracts, db=db, as_of=day, policy=load_policy(day)))


@pytest.fixture(scope="module")
def two_nights(sample_night: Path, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The sample night published, then the analysts' person_key of each ID; then the
    next night published into the same database."""
    db = tmp_path_factory.mktemp("pipl") / "pensionlink.duckdb"
    run(sample_night, db)
    first = analyst_keys(db)
    run(sample_night, db, AS_OF + dt.timedelta(days=1))
    return db, first


def analyst_keys(db: Path) -> dict[str, str]:
    """citizen_id → person_key, by joining the restricted and the analysts' deaths tables
    on their row order (both sorted the same way)."""
    with connect_database(db) as con:
        ids = con.execute(
            "SELECT citizen_id FROM deaths_to_deregister ORDER BY citizen_id"
        ).fetchall()
    with duckdb.connect(str(analyst_path(db)), read_only=True) as con:
        keys = con.execute(
            "SELECT person_key, citizen_id_masked FROM deaths_to_deregister"
        ).fetchall()
    expected = {
        i: hmac.new(
            pseudonym_key(database_key()), b"citizen_id\x00" + i.encode(), hashlib.sha256
        ).hexdigest()[:16]
        for (i,) in ids
    }
    assert {k for k, _ in keys} == set(expected.values())
    return expected


def text_cells(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every text value of every table (lists flattened), for scanning."""
    out = []
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE table_name IN (SELECT table_name FROM duckdb_tables()) "
        "AND (data_type LIKE 'VARCHAR%' OR data_type LIKE '%STRUCT%')"
    ).fetchall():
        for (value,) in con.execute(f'SELECT DISTINCT "{column}"::VARCHAR FROM {table}').fetchall():
            if value is not None:
                out.append(value)
    return out


def test_restricted_file_needs_the_right_key(two_nights, monkeypatch):
    db, _ = two_nights
    with pytest.raises(duckdb.Error, match="encrypted"):
        duckdb.connect(str(db), read_only=True)
    with pytest.raises(WrongKey):
        connect_database(db, key="a-wrong-key-of-enough-length")
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(MissingKey, match="PENSIONLINK_DB_KEY_FILE"):
        connect_database(db)


def test_the_key_appears_nowhere_readable(two_nights):
    db, _ = two_nights
    key = database_key()
    with connect_database(db) as con:
        readable = [
            str(row)
            for view in ("duckdb_databases()", "duckdb_settings()", "duckdb_variables()")
            for row in con.execute(f"SELECT * FROM {view}").fetchall()
        ]
    assert not any(key in text for text in readable)
    for path in (db, analyst_path(db)):
        assert key.encode() not in path.read_bytes()


def test_analysts_database_has_no_whole_id_and_no_full_name(two_nights):
    db, _ = two_nights
    with connect_database(db) as con:
        names = {n for (n,) in con.execute("SELECT name FROM uninsured_eligible").fetchall()}
        ids = {i for (i,) in con.execute("SELECT citizen_id FROM uninsured_eligible").fetchall()}
    with duckdb.connect(str(analyst_path(db)), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        cells = text_cells(con)
        columns = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns()").fetchall()}
        uncommented = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE comment IS NULL "
            "AND table_name IN (SELECT table_name FROM duckdb_tables())"
        ).fetchall()
        table_notes = dict(
            con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall()
        )
    assert {"deaths_to_deregister", "uninsured_eligible", "coverage_by_area", "runs"} <= tables
    assert not tables & {"person_links", "review_queue", "rejected_rows", "review_decisions"}
    assert not columns & {"citizen_id", "pension_no", "birth_date"}
    assert not uncommented  # every column explained in Chinese, as in the restricted file
    assert table_notes["deaths_to_deregister"].endswith("（分析库：已去标识化）")
    assert not [c for c in cells if WHOLE_ID.search(c)]
    long_names = {n for n in names if len(n) >= 2}
    assert long_names and not long_names & set(cells)
    assert not ids & set(cells)


def test_pseudonyms_are_the_same_on_the_next_night(two_nights):
    db, first = two_nights
    second = analyst_keys(db)
    shared = first.keys() & second.keys()
    assert shared and all(first[i] == second[i] for i in shared)


def test_mask_name_and_deidentify():
    names = pl.Series(["金顺花", "金花", "南宫明月", "金", None])
    masked = pl.select(mask_name(pl.lit(names))).to_series().to_list()
    assert masked == ["金*花", "金*", "南**月", "金", None]
    frame = pl.DataFrame(
        {
            "citizen_id": ["222405194708204151"],
            "pension_no": ["P1"],
            "name": ["金顺花"],
            "age": [79],
        }
    )
    out = deidentify(frame, b"k" * 32)
    assert out.columns == ["person_key", "citizen_id_masked", "pension_key", "name", "age"]
    assert out.row(0)[1:] == ("222405********4151", out["pension_key"][0], "金*花", 79)
    assert len(out["person_key"][0]) == 16


def _hmac16(key: bytes, domain: bytes, value: str) -> str:
    return hmac.new(key, domain + value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def test_the_copy_s_pseudonyms_are_hmac_of_each_kind_of_value():
    """person_key, pension_key and the staff's `by` stay what analysts have followed
    across nights: HMAC-SHA256 under the pseudonym key, a domain per kind of value."""
    key = b"k" * 32
    frame = pl.DataFrame({"citizen_id": ["222405194708204151", None], "pension_no": ["P1", "P1"]})
    out = deidentify(frame, key)
    assert out["person_key"].to_list() == [
        _hmac16(key, b"citizen_id\x00", "222405194708204151"),
        None,
    ]
    assert out["pension_key"].to_list() == [_hmac16(key, b"pension_no\x00", "P1")] * 2
    events = deidentify_case_events(pl.DataFrame({"by": ["clerk01"], "note": ["电话"]}), key)
    assert events.to_dicts() == [{"by": _hmac16(key, b"staff\x00", "clerk01")}]


def test_the_copy_hashes_a_value_once_however_many_tables_carry_it(monkeypatch):
    from pensionlink.cases import keys

    hashed: list[int] = []
    real = keys._keys
    monkeypatch.setattr(
        keys, "_keys", lambda ids, key, domain: hashed.append(ids.len()) or real(ids, key, domain)
    )
    copy = AnalystPseudonyms.keyed(b"k" * 32)
    finding = pl.DataFrame({"citizen_id": ["222405194708204151", "222405194408239619"]})
    history = pl.concat([finding, pl.DataFrame({"citizen_id": ["222405199001011234"]})])
    first, again = deidentify(finding, copy), deidentify(history, copy)
    assert hashed == [2, 1]  # the history's rows of tonight's finding were not hashed again
    assert again["person_key"].head(2).equals(first["person_key"])


def _shipped_unchanged(path: Path, vendor: Path) -> bool:
    """Whether ``path`` is byte for byte the Data Docs asset shipped with the project."""
    shipped = ASSETS_DIR / path.relative_to(vendor)
    return path.is_file() and shipped.is_file() and path.read_bytes() == shipped.read_bytes()


def test_console_data_docs_and_reports_hold_no_whole_id(
    sample_night: Path, tmp_path: Path, prefect_api
):
    db = tmp_path / "pensionlink.duckdb"
    result = runner.invoke(
        app,
        ["run", "--extracts", str(sample_night), "--db", str(db), "--as-of", "2026-11-28", "-v"],
    )
    assert result.exit_code == 0, result.output
    texts = {"console": result.output}
    vendor = tmp_path / "data-docs" / VENDOR
    for path in (tmp_path / "data-docs").rglob("*"):
        if path.is_relative_to(vendor) and _shipped_unchanged(path, vendor):
            continue  # a library shipped as is (vega.min.js holds 18-digit constants)
        if path.is_file() and path.suffix in (".html", ".json", ".js"):
            texts[str(path)] = path.read_text("utf-8", errors="replace")
    reports = list((tmp_path / "reports").rglob("*.*"))
    assert any(p.suffix == ".xlsx" for p in reports)
    for path in reports:
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                texts[str(path)] = " ".join(book.read(n).decode("utf-8") for n in book.namelist())
        else:
            texts[str(path)] = path.read_text("utf-8")
    leaks = {
        name: WHOLE_ID.findall(text)[:3] for name, text in texts.items() if WHOLE_ID.search(text)
    }
    assert not leaks


def test_run_without_a_key_stops_with_one_line(sample_night: Path, tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    result = runner.invoke(
        app, ["run", "--extracts", str(sample_night), "--db", str(tmp_path / "x.duckdb")]
    )
    assert result.exit_code == 2
    assert "PENSIONLINK_DB_KEY_FILE" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "x.duckdb").exists()


def test_audit_lists_runs_and_decisions_with_who_and_when(two_nights):
    db, _ = two_nights
    result = runner.invoke(app, ["audit", "--db", str(db)])
    assert result.exit_code == 0, result.output
    runs = [ln for ln in result.output.splitlines() if "  run  " in ln]
    assert len(runs) >= 2 and all("@" in ln and "published" in ln for ln in runs)
    assert not WHOLE_ID.search(result.output)


def test_new_key_is_private_and_never_overwritten(tmp_path: Path, monkeypatch):
    key_file = tmp_path / "db.key"
    made = runner.invoke(app, ["new-key", "--out", str(key_file)])
    assert made.exit_code == 0 and (key_file.stat().st_mode & 0o777) == 0o600
    first = key_file.read_text()
    again = runner.invoke(app, ["new-key", "--out", str(key_file)])
    assert again.exit_code == 2 and key_file.read_text() == first
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv("PENSIONLINK_DB_KEY_FILE", str(key_file))
    assert database_key() == first.strip() and len(first.strip()) >= 32
