"""Three generated nights with staff decisions in between, on each case store backend.

Night 1 opens the cases; staff act through the command line (verify a review death
alive, notify a family long enough ago that the window has passed, find one uninsured
person insured elsewhere and another willing to enrol, record a partial recovery).
Night 2 (the deliveries changed: the willing person now on the roster, the only report of
a review death withdrawn) moves the cases, and run again adds nothing. Night 3: the
suspended pensioner's roster record is 终止.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from pensionlink.flows.nightly import run_night
from pensionlink.synth import generate_night
from typer.testing import CliRunner

from pensionlink.cases.store import CASE_STORE_ENV, case_store_location, open_case_store
from pensionlink.cases_cli import list_cases
from pensionlink.cli import app
from pensionlink.settings import BUNDLED_POLICY, Settings, load_policy
from pensionlink.warehouse.store import connect_database

pytestmark = pytest.mark.slow
N1, N2, N3 = dt.date(2026, 11, 28), dt.date(2026, 11, 29), dt.date(2026, 11, 30)


def run(night: Path, db: Path, as_of: dt.date) -> None:
    run_night(Settings(extracts=night, db=db, as_of=as_of, policy=load_policy(as_of)))


def short_window(folder: Path) -> Path:
    """The bundled policy with an objection window of 0 days from 2026-01-01."""
    text = BUNDLED_POLICY.read_text(encoding="utf-8")
    line = "values = [{ from = 2021-01-01, value = 15 }]"
    at = text.index(line, text.index("[objection_window_days]"))
    edited = "values = [{ from = 2021-01-01, value = 15 }, { from = 2026-01-01, value = 0 }]"
    path = folder / "short-window.toml"
    path.write_text(text[:at] + edited + text[at + len(line) :], encoding="utf-8")
    return path


def act(db: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["cases", "act", *args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.output


def edit_lines(path: Path, edit) -> None:
    raw = path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        encoding, text = "gb18030", raw.decode("gb18030")
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(eol)
    path.write_text(eol.join(edit(lines)), encoding=encoding)


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connect_database(db) as con:
        return con.execute(sql, params or []).fetchall()


def cases_by(db: Path) -> dict[str, dict]:
    return {r["case_id"]: r for r in list_cases(db).to_dicts()}


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, monkeypatch) -> str:
    if request.param == "postgresql":
        monkeypatch.setenv(CASE_STORE_ENV, request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv(CASE_STORE_ENV, raising=False)
    return request.param


def test_three_nights(tmp_path: Path, backend: str):
    night, db = tmp_path / "night", tmp_path / "pensionlink.duckdb"
    generate_night(night, people=3000, seed=11, as_of=N1)
    run(night, db, N1)
    if backend == "sqlite":
        assert Path(case_store_location(db)).exists()
    first = cases_by(db)
    deaths = query(
        db,
        "SELECT c.case_id, c.citizen_id, c.state, d.evidence, d.to_recover "
        "FROM cases c "
        "JOIN deaths_to_deregister d USING (citizen_id) WHERE c.kind = 'death' "
        "ORDER BY c.case_id",
    )
    review = [d for d in deaths if d[2] == "to_verify"]
    alive = next(d for d in review if "hukou" in d[3])
    withdrawn = next(d for d in review if d[3] == ["medical_enrollment"])
    notified = next(d for d in deaths if d[2] == "confirmed" and d[4] > 0)
    uninsured = query(
        db,
        "SELECT case_id, citizen_id, name, township, village FROM cases "
        "WHERE kind = 'uninsured' ORDER BY case_id LIMIT 2",
    )
    elsewhere, enrols = uninsured
    recovery = next(c for c in first.values() if c["kind"] == "recovery")
    assert all(c["new_tonight"] and c["opened_run"] == c["last_seen_run"] for c in first.values())
    assert query(db, "SELECT count(*) FROM case_events")[0][0] == len(first)

    listed = CliRunner().invoke(
        app, ["cases", "list", "--kind", "death", "--json", "--db", str(db)]
    )
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert {r["case_id"] for r in rows} == {d[0] for d in deaths}
    # the contract's fields (OUTPUTS.md, Cases)
    contract = "case_id kind state citizen_id_masked township village opened_run last_seen_run"
    fields = {*contract.split(), "new_tonight"}
    assert all(fields <= set(r) and "*" in r["citizen_id_masked"] for r in rows)
    assert alive[1] not in listed.output

    act(db, alive[0], "verify_alive", "--by", "王经办", "--note", "本人到村委会")
    # The notice is dated the night the case opened (an earlier date is refused: it would
    # shorten the family's window); a policy with a 0-day window lets night 2 pass it.
    early = ["cases", "act", notified[0], "notify", "--by", "王经办", "--on", "2026-11-01"]
    backdated = CliRunner().invoke(app, [*early, "--db", str(db)])
    assert backdated.exit_code != 0 and "早于案件立案之日" in backdated.output
    window = str(short_window(db.parent))
    act(db, notified[0], "notify", "--by", "王经办", "--on", N1.isoformat(), "--policy", window)
    act(
        db,
        elsewhere[0],
        "contacted",
        "--by",
        "金专干",
        "--role",
        "township",
        "--outcome",
        "已在外地参保",
    )
    act(db, enrols[0], "contacted", "--by", "金专干", "--role", "township", "--outcome", "同意参保")
    half = recovery["amount_due_fen"] // 2
    act(
        db,
        recovery["case_id"],
        "record_recovery",
        "--by",
        "财务李",
        "--role",
        "finance",
        "--amount",
        f"{half / 100:.2f}",
    )
    refused = CliRunner().invoke(
        app, ["cases", "act", notified[0], "suspend", "--by", "王经办", "--db", str(db)]
    )
    assert refused.exit_code != 0 and "异议期" in refused.output
    assert len(refused.output.strip().splitlines()) == 1

    # Night 2: the willing person is enrolled, the only report of a review death withdrawn.
    roster = next(night.rglob("resident_roster.csv"))
    cid, name, township, village = enrols[1:]
    sex = "男" if int(cid[16]) % 2 else "女"
    born = f"{cid[6:10]}-{cid[10:12]}-{cid[12:14]}"
    new_row = f"2205999999,{cid},{name},{sex},{born},{township},{village},参保缴费,2026-11-29,,0.00"
    edit_lines(roster, lambda lines: [*[x for x in lines if x], new_row, ""])
    medical = next(night.rglob("medical_insurance/enrollment.csv"))
    edit_lines(medical, lambda lines: [x for x in lines if withdrawn[1] not in x])
    run(night, db, N2)
    second = cases_by(db)
    assert second[alive[0]]["state"] == "closed" and second[alive[0]]["close_reason"] == "alive"
    assert second[notified[0]]["state"] == "objection_passed"
    assert second[withdrawn[0]]["close_reason"] == "evidence_gone"
    assert second[elsewhere[0]]["close_reason"] == "covered_elsewhere"
    assert second[enrols[0]]["close_reason"] == "enrolled"
    assert second[recovery["case_id"]]["state"] == "partly_recovered"
    # the window passed: the overpaid pension is asked back (the only new case tonight)
    (owed,) = [c for c in second.values() if c["new_tonight"]]
    assert (owed["kind"], owed["state"]) == ("recovery", "outstanding")
    assert owed["amount_due_fen"] == int(notified[4] * 100)
    assert owed["citizen_id_masked"] == second[notified[0]]["citizen_id_masked"]
    assert set(second) == {*first, owed["case_id"]}
    # the decisions fed the findings
    assert (
        query(db, "SELECT count(*) FROM deaths_to_deregister WHERE citizen_id = ?", [alive[1]])[0][
            0
        ]
        == 0
    )
    assert query(
        db,
        "SELECT kind FROM agency_disagreements WHERE citizen_id = ? AND kind = ?",
        [alive[1], "death_reported_verified_alive"],
    )
    assert (
        query(db, "SELECT count(*) FROM uninsured_eligible WHERE citizen_id = ?", [elsewhere[1]])[
            0
        ][0]
        == 0
    )
    assert query(db, "SELECT sum(covered_elsewhere) FROM coverage_by_area")[0][0] == 1
    balance = query(
        db,
        "SELECT amount_due, amount_recovered, balance FROM cases WHERE case_id = ?",
        [recovery["case_id"]],
    )[0]
    assert balance[0] - balance[1] == balance[2] and balance[1] * 100 == half

    with open_case_store(case_store_location(db)) as store:
        events_before = store.events()
    run(night, db, N2)  # the same night again: no event, no id
    with open_case_store(case_store_location(db)) as store:
        assert store.events().height == events_before.height
    assert set(cases_by(db)) == set(second)

    act(db, notified[0], "suspend", "--by", "王经办")
    # Night 3: the suspended pensioner's roster record is 终止.
    edit_lines(
        roster,
        lambda lines: [x.replace(",待遇领取,", ",终止,") if notified[1] in x else x for x in lines],
    )
    run(night, db, N3)
    third = cases_by(db)
    assert third[notified[0]]["state"] == "closed"
    assert third[notified[0]]["close_reason"] == "deregistered"
    assert third[alive[0]]["close_reason"] == "alive"  # still held: the same evidence
    assert not [c for c in third if c not in second]
    shown = CliRunner().invoke(app, ["cases", "show", notified[0], "--db", str(db)])
    assert shown.exit_code == 0 and "suspend" in shown.output and notified[1] not in shown.output
    with open_case_store(case_store_location(db)) as store:
        trail = store.events(notified[0])
    assert trail.select("by_name", "action").rows() == [
        ("system", "opened"),
        ("王经办", "notify"),
        ("system", "objection_passed"),
        ("王经办", "suspend"),
        ("system", "closed_deregistered"),
    ]
    # the analysts' copy has the cases, pseudonymous
    analyst = db.with_name("pensionlink-analyst.duckdb")
    import duckdb

    with duckdb.connect(str(analyst), read_only=True) as con:
        columns = [c[0] for c in con.execute("DESCRIBE cases").fetchall()]
        assert "person_key" in columns and "citizen_id" not in columns and "name" in columns
        assert con.execute("SELECT count(*) FROM case_events").fetchone()[0] > 0
        events = [c[0] for c in con.execute("DESCRIBE case_events").fetchall()]
        assert "note" not in events  # a clerk's free text may name a relative
        staff = {r[0] for r in con.execute('SELECT DISTINCT "by" FROM case_events').fetchall()}
        assert "王经办" not in staff and all(len(b) == 16 for b in staff)
    shutil.rmtree(night)
