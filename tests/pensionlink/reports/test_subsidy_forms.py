"""The funeral subsidy's printed forms (丧葬补助金发放审批表, 申领汇总表) from the claims'
records: what each shows, one A4 page per claim, masked IDs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from pensionlink.reports.case_data import EVENT_COLUMNS
from pensionlink.reports.subsidy_forms import (
    claim_fields,
    render_approval_forms,
    render_claims_summary,
)
from tests.pensionlink.reports.case_rows import MASKED, case, cases

AS_OF = dt.date(2026, 11, 30)
BUREAU = "龙井市社会保险事业管理局"


def event(case_id, day, by, role, action, note=None, amount=None, outcome=None) -> dict:
    return {
        "case_id": case_id,
        "at": dt.datetime.combine(day, dt.time(9, 30)),
        "by": by,
        "role": role,
        "action": action,
        "from_state": None,
        "to_state": None,
        "note": note,
        "amount": None if amount is None else Decimal(amount),
        "outcome": outcome,
    }


def paid_claim():
    claim = case(
        case_id="S000001",
        kind="subsidy",
        state="closed",
        close_reason="archived",
        citizen_id=MASKED,
        amount_due=Decimal("600.00"),
        outcome="eligible",
    )
    d = dt.date
    events = [
        event("S000001", d(2026, 10, 1), "system", "system", "opened", amount="600.00"),
        event(
            "S000001",
            d(2026, 10, 8),
            "金村干",
            "clerk",
            "apply",
            "申请人 金明哲（儿子）；材料 死亡证明、承诺书、户口簿",
        ),
        event("S000001", d(2026, 10, 9), "金村干", "clerk", "village_check", "材料齐全"),
        event("S000001", d(2026, 10, 12), "李乡镇", "township", "township_check", "属实"),
        event("S000001", d(2026, 10, 15), "崔科长", "supervisor", "city_approve"),
        event(
            "S000001",
            d(2026, 10, 20),
            "朴会计",
            "finance",
            "pay",
            "发放 74.67 元至 card；抵扣追回案件 R000002 525.33 元 offset",
            amount="74.67",
            outcome="card",
        ),
        event("S000001", d(2026, 10, 21), "金村干", "clerk", "archive"),
    ]
    return claim, events


def test_the_approval_form_shows_every_step_and_the_offset_to_the_fen():
    claim, events = paid_claim()
    death = {"death_date": dt.date(2026, 8, 14), "pension_no": "2224050012345"}
    fields = claim_fields(claim, death, events, AS_OF)
    assert fields["citizen_id"] == MASKED
    assert (fields["applicant"], fields["relation"]) == ("金明哲", "儿子")
    assert fields["documents"] == "死亡证明、承诺书、户口簿"
    assert fields["death_date"] == "2026年8月14日" and fields["applied_on"] == "2026年10月8日"
    assert [s["who"] for s in fields["steps"]] == [
        "金村干",
        "金村干",
        "李乡镇",
        "崔科长",
        "朴会计",
        "金村干",
    ]
    assert fields["steps"][3]["when"] == "2026年10月15日"
    assert (fields["amount_due"], fields["offset"], fields["payout"]) == (
        "600.00",
        "525.33",
        "74.67",
    )
    assert fields["paid_to"] == "逝者本人社会保障卡" and fields["state"] == "已发放归档"


def test_a_claim_half_way_leaves_the_later_steps_blank_and_says_an_override():
    claim = case(
        case_id="S000002",
        kind="subsidy",
        state="approved",
        citizen_id=MASKED,
        amount_due=Decimal("600.00"),
        outcome="not_receiving",
    )
    d = dt.date(2026, 11, 2)
    events = [
        event("S000002", d, "金村干", "clerk", "apply", "申请人 朴英（女儿）；材料 死亡证明"),
        event("S000002", d, "金村干", "clerk", "village_check"),
        event("S000002", d, "李乡镇", "township", "township_check"),
        event(
            "S000002",
            d,
            "崔科长",
            "supervisor",
            "city_approve",
            "特批 override (not_receiving)：补发",
        ),
    ]
    fields = claim_fields(claim, None, events, AS_OF)
    assert [s["done"] for s in fields["steps"]] == [True, True, True, True, False, False]
    assert fields["override"] and "非待遇领取" in fields["eligibility"]
    assert fields["payout"] == "" and fields["paid_to"] == "" and fields["amount_due"] == "600.00"


def _frames():
    claim, events = paid_claim()
    other = case(
        case_id="S000003",
        kind="subsidy",
        state="to_apply",
        citizen_id=MASKED,
        amount_due=Decimal("812.34"),
        outcome="eligible",
        village="龙水村",
    )
    deaths = pl.DataFrame(
        [
            {
                "case_id": "S000001",
                "death_date": dt.date(2026, 8, 14),
                "pension_no": "22240500",
                "status_at_death": "待遇领取",
            }
        ]
    )
    return cases(claim, other, case()), deaths, pl.DataFrame(events, schema=EVENT_COLUMNS)


def test_the_summary_lists_every_claim_of_the_township_with_totals():
    frame, deaths, events = _frames()
    html = render_claims_summary(
        "龙门街道", frame, deaths, events, AS_OF, "龙井市社会保险事业管理局"
    )
    assert "龙门街道城乡居民基本养老保险丧葬补助金申领汇总表" in html
    assert html.count("<td>S00000") == 2  # two claims, not the death case
    assert "1,412.34" in html and "525.33" in html and "74.67" in html
    assert "222405194708204151" not in html


def test_each_approval_form_is_one_a4_page():
    weasyprint = pytest.importorskip("weasyprint")
    frame, deaths, events = _frames()
    html = render_approval_forms(frame, deaths, events, AS_OF, BUREAU)
    try:
        document = weasyprint.HTML(string=html).render()
    except OSError as exc:  # pango missing
        pytest.skip(f"WeasyPrint cannot render here: {exc}")
    assert len(document.pages) == 2  # the two claims, one page each
    assert "222405194708204151" not in html
