"""An advance repaid over generated nights (垫付台账), through the command line.

Night 1 (2021-06-30, in the advance's period): a back-payer is listed with the advance;
staff apply (the command prints the new case id), approve and pay it. Night 2
(2022-03-31, after the period): the person is on the roster receiving, and the bureau's
system has withheld every month's pension from 2021-08 except 2021-12, paid in full
(synth.advance): the ledger counts seven months and flags 2021-12; the same night run
again counts nothing twice. An early repayment; night 3 (2022-06-30): the system went on
withholding by its old schedule, so the advance is repaid and closes, and what was
withheld after it is flagged to refund.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from pensionlink.flows.nightly import run_night
from pensionlink.synth import generate_night
from pensionlink.synth.advance import repay_advance
from typer.testing import CliRunner

from pensionlink.cases_cli import list_cases
from pensionlink.cli import app
from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.store import connect_database

pytestmark = pytest.mark.slow
N1, N2, N3 = dt.date(2021, 6, 30), dt.date(2022, 3, 31), dt.date(2022, 6, 30)
ADVANCE, PENSION = 100000, 10379  # 1000.00; 93.00 + 1500.00 / 139 = 103.79 (2021)


def run(night: Path, db: Path, as_of: dt.date) -> None:
    run_night(Settings(extracts=night, db=db, as_of=as_of, policy=load_policy(as_of)))


def act(db: Path, *args: str, ok: bool = True):
    result = CliRunner().invoke(app, ["cases", "act", *args, "--db", str(db)])
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def query(db: Path, sql: str) -> list[tuple]:
    with connect_database(db) as con:
        return con.execute(sql).fetchall()


def case(db: Path, case_id: str) -> dict:
    return list_cases(db).filter(case_id=case_id).row(0, named=True)


def night_with_repayments(base: Path, out: Path, cid: str, last: dt.date) -> Path:
    shutil.copytree(base, out)
    repay_advance(
        out,
        cid,
        "2205999001",
        ADVANCE,
        PENSION,
        dt.date(2021, 8, 1),
        last,
        paid_in_full=(dt.date(2021, 12, 1),),
    )
    return out


def test_an_advance_is_repaid_over_nights(tmp_path, monkeypatch):
    monkeypatch.delenv("PENSIONLINK_CASE_STORE", raising=False)
    n1 = tmp_path / "n1"
    generate_night(n1, people=3000, seed=5, as_of=N1)
    db = tmp_path / "pensionlink.duckdb"
    run(n1, db, N1)
    listed = query(
        db,
        "SELECT c.case_id, u.citizen_id, u.category, u.advance_amount FROM cases c "
        "JOIN uninsured_eligible u USING (citizen_id) WHERE c.kind = 'uninsured' "
        "ORDER BY u.category, c.case_id",
    )
    back = [r for r in listed if r[2] == "back_payment"]
    other = [r for r in listed if r[2] != "back_payment"]
    assert back and other
    u_case, cid, _, amount = back[0]
    assert amount * 100 == ADVANCE  # in the period: the advance is listed

    refused = act(
        db, other[0][0], "apply_advance", "--by", "金经办", "--on", "2021-06-30", ok=False
    )
    assert "仅补缴类" in refused
    out = act(db, u_case, "apply_advance", "--by", "金经办", "--on", "2021-06-30")
    a_case = out.strip().splitlines()[-1]
    assert a_case.startswith("A") and "新立案" in out
    again = act(db, u_case, "apply_advance", "--by", "金经办", "--on", "2021-06-30", ok=False)
    assert f"已有垫付案件 {a_case}" in again
    assert "needs supervisor" in act(db, a_case, "approve", "--by", "李", ok=False)
    act(db, a_case, "approve", "--by", "崔科长", "--role", "supervisor", "--on", "2021-07-01")
    act(db, a_case, "advance_paid", "--by", "朴会计", "--role", "finance", "--on", "2021-07-05")
    assert case(db, a_case)["state"] == "repaying"

    # night 2: seven months withheld (2021-08 … 2022-03 but 2021-12, paid in full)
    n2 = night_with_repayments(n1, tmp_path / "n2", cid, dt.date(2022, 3, 1))
    run(n2, db, N2)
    run(n2, db, N2)  # the same night again: no month counted twice
    row = query(
        db,
        f"SELECT state, amount_due, amount_recovered, balance, months_repaid, months_left, "
        f"months_flagged, flagged_months FROM cases WHERE case_id = '{a_case}'",
    )[0]
    assert row[0] == "repaying"
    assert int(row[2] * 100) == 7 * PENSION == 72653
    assert int(row[3] * 100) == ADVANCE - 72653
    assert row[4:] == (7, 3, 1, "2021-12")  # ⌈273.47 / 103.79⌉ = 3 months left
    assert query(db, f"SELECT state, close_reason FROM cases WHERE case_id = '{u_case}'")[0] == (
        "closed",
        "enrolled",
    )
    # after the period, back-payers are listed without an advance, with the reason
    notes = query(
        db, "SELECT DISTINCT advance_note FROM uninsured_eligible WHERE category = 'back_payment'"
    )
    assert notes == [("垫付政策不在执行期",)]
    truth = (n2 / "truth" / "advance_repayments.csv").read_text().splitlines()
    assert len(truth) == 1 + 8

    # early repayment of 100.00, then night 3 (the system withheld by its old schedule)
    act(db, a_case, "repay", "--amount", "100.00", "--by", "朴会计", "--role", "finance")
    assert case(db, a_case)["amount_recovered_fen"] == 82653
    shown = CliRunner().invoke(app, ["cases", "show", a_case, "--db", str(db)]).output
    assert "垫付 advance 1000.00  已扣回及还款 repaid 826.53  余额 balance 173.47" in shown
    assert "month_paid_in_full" in shown and "2021-12" in shown
    n3 = night_with_repayments(n1, tmp_path / "n3", cid, dt.date(2022, 6, 1))
    run(n3, db, N3)
    row = query(
        db,
        f"SELECT state, close_reason, balance, months_repaid, months_left, flagged_months "
        f"FROM cases WHERE case_id = '{a_case}'",
    )[0]
    # 2022-04 withheld 103.79 (balance 69.68), 2022-05 withheld 103.79: 69.68 repays it,
    # 34.11 too much; 2022-06 withheld 65.89 after it was repaid
    assert row == ("closed", "repaid", 0, 9, 0, "2021-12,2022-05,2022-06")
    over = query(
        db,
        f"SELECT outcome, amount FROM case_events WHERE case_id = '{a_case}' "
        f"AND action = 'withheld_after_repaid' ORDER BY outcome",
    )
    assert [(m, int(a * 100)) for m, a in over] == [("2022-05", 3411), ("2022-06", 6589)]
