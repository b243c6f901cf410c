"""The worklists: the 工作台账 rows and the summary's case flow, on tiny hand-made cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from pensionlink.reports.case_flow import flow_section
from pensionlink.reports.labels import CASE_ACTION, CASE_KIND, CASE_STATE, CLOSE_REASON
from pensionlink.reports.worklist_sheet import worklist_rows
from tests.pensionlink.reports.case_rows import case, cases

RUNS = pl.DataFrame(
    {
        "run_id": ["r1", "r2", "r2b", "r3"],
        "as_of": [dt.date(2026, 11, d) for d in (26, 27, 27, 28)],  # r2b re-ran night 27
    }
)


def test_worklist_is_open_cases_by_village_oldest_first_in_staff_words():
    frame = cases(
        case(case_id="D1", village="二村", nights_open=2),
        case(
            case_id="U7",
            kind="uninsured",
            state="to_contact",
            village="一村",
            nights_open=1,
            new_tonight=True,
        ),
        case(case_id="R3", kind="recovery", state="outstanding", village="一村", nights_open=5),
        case(case_id="D9", state="closed", village="一村", nights_open=9, close_reason="alive"),
    )
    rows = worklist_rows(frame)
    assert rows["case_id"].to_list() == ["R3", "U7", "D1"]  # closed D9 left out
    assert rows["kind_text"].to_list() == ["待遇追回", "应保未保走访", "死亡注销"]
    assert rows["state_text"].to_list() == ["待追回", "待走访", "已核实死亡，待告知"]
    assert rows["new_text"].to_list() == ["", "新", ""]


def test_flow_counts_opened_and_closed_per_night_and_the_backlog():
    frame = cases(
        case(case_id="D1", opened_run="r1", closed_run="r3", state="closed"),
        case(case_id="D2", opened_run="r1"),
        case(
            case_id="U1",
            kind="uninsured",
            state="to_contact",
            opened_run="r2b",
            township="安民街道",
            new_tonight=False,
        ),
        case(case_id="U2", kind="uninsured", state="to_contact", opened_run="r3", new_tonight=True),
    )
    flow = flow_section(frame, RUNS)
    nights = [(n["as_of"], n["opened"], n["closed"], n["backlog"]) for n in flow["nights"]]
    assert nights == [
        ("2026-11-26", 2, 0, 2),
        ("2026-11-27", 1, 0, 3),
        ("2026-11-28", 1, 1, 3),
    ]
    assert flow["open_total"] == 3 and flow["new_tonight"] == 1
    backlog = flow["backlog"]
    assert backlog["labels"] == ["死亡注销", "应保未保走访"]
    assert [(r["township"], r["counts"]) for r in backlog["rows"]] == [
        ("安民街道", [0, 1]),
        ("龙门街道", [1, 1]),
    ]
    assert backlog["totals"] == [1, 2] and backlog["total"] == 3
    assert flow["recovery"] is None


def test_recovered_against_outstanding():
    money = {"amount_due": Decimal("1000.00")}
    frame = cases(
        case(
            case_id="R1",
            kind="recovery",
            state="partly_recovered",
            opened_run="r1",
            amount_recovered=Decimal("400.00"),
            balance=Decimal("600.00"),
            **money,
        ),
        case(
            case_id="R2",
            kind="recovery",
            state="closed",
            close_reason="recovered",
            opened_run="r1",
            closed_run="r2",
            amount_recovered=Decimal("1000.00"),
            balance=Decimal("0.00"),
            **money,
        ),
        case(
            case_id="R3",
            kind="recovery",
            state="closed",
            close_reason="written_off",
            opened_run="r1",
            closed_run="r3",
            amount_recovered=Decimal("0.00"),
            balance=Decimal("1000.00"),
            township="安民街道",
            **money,
        ),
    )
    recovery = flow_section(frame, RUNS)["recovery"]
    total = recovery["total"]
    assert (total["due"], total["recovered"], total["outstanding"], total["written_off"]) == (
        "3,000.00",
        "1,400.00",
        "600.00",
        "1,000.00",
    )
    assert total["share"] == "46.7%"  # 1400 / 3000
    assert [r["township"] for r in recovery["rows"]] == ["安民街道", "龙门街道"]
    assert recovery["rows"][0]["share"] == "0.0%"


def test_no_section_without_cases():
    assert flow_section(None, RUNS) is None
    assert flow_section(cases(), RUNS) is None


def test_every_case_code_has_a_chinese_label():
    for codes, labels in (
        (("death", "recovery", "uninsured"), CASE_KIND),
        (
            (
                "to_verify",
                "confirmed",
                "notified",
                "objection_passed",
                "suspended",
                "outstanding",
                "partly_recovered",
                "to_contact",
                "contacted",
                "closed",
            ),
            CASE_STATE,
        ),
        (
            (
                "alive",
                "deregistered",
                "evidence_gone",
                "enrolled",
                "covered_elsewhere",
                "recovered",
                "written_off",
            ),
            CLOSE_REASON,
        ),
        (
            (
                "opened",
                "verify_dead",
                "verify_alive",
                "notify",
                "suspend",
                "record_recovery",
                "write_off",
                "contacted",
            ),
            CASE_ACTION,
        ),
    ):
        assert set(codes) <= set(labels)
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in labels[c]) for c in codes)
