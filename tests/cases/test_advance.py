"""The contribution advance (缴费资金垫付台账): its steps and the nightly reconciliation,
hand-computed to the fen."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from pensionlink.synth.advance import repayment_schedule

from pensionlink.cases.advance import (
    ADVANCE_STEPS,
    PAYMENT_SCHEMA,
    advance_ledger,
    advance_step,
    apply_advance,
    reconcile,
)
from pensionlink.cases.machine import Refused, Request
from pensionlink.cases.model import CASE_SCHEMA, CLOSED
from pensionlink.cases.worklist import NEXT_STEP
from pensionlink.reports.labels import CASE_ACTION, CASE_STATE, CLOSE_REASON
from pensionlink.settings import load_policy

AT = dt.datetime(2022, 9, 30, 10, 0)
ADVANCE = 100000  # min(15 × 100.00, 1000.00) yuan in 2021, in fen
PENSION = 10379  # 93.00 + 1500.00 / 139 = 103.79 yuan a month (2021)


def uninsured(state: str = "contacted") -> dict:
    return {
        **dict.fromkeys(CASE_SCHEMA),
        "case_id": "U000004",
        "kind": "uninsured",
        "number": 4,
        "basis": "uninsured",
        "person_key": "p1",
        "state": state,
        "opened_run": "r1",
        "opened_on": "2021-06-30",
        "last_seen_run": "r1",
        "amount_recovered_fen": 0,
    }


def advance(state: str = "repaying", repaid: int = 0, paid_on: str | None = "2021-07-05"):
    return {
        **dict.fromkeys(CASE_SCHEMA),
        "case_id": "A000001",
        "kind": "advance",
        "number": 1,
        "basis": "advance",
        "person_key": "p1",
        "state": state,
        "opened_run": "r1",
        "opened_on": "2021-07-01",
        "amount_due_fen": ADVANCE,
        "amount_recovered_fen": repaid,
        "balance_since": paid_on if state != "to_approve" else None,
    }


def apply(case=None, others=(), category="back_payment", fen=ADVANCE, **kw):
    request = Request("apply_advance", "金经办", kw.pop("role", "clerk"), on=dt.date(2021, 7, 1))
    return apply_advance(case or uninsured(), list(others), request, category, fen, "A000001", AT)


def step(case: dict, action: str, role: str, **kw):
    return advance_step(case, Request(action, "朴会计", role, **kw), at=AT)


def test_the_policy_on_the_application_date_gives_the_amount():
    assert load_policy(dt.date(2021, 7, 1)).advance_amount * 100 == ADVANCE
    assert load_policy(dt.date(2022, 7, 1)).advance_amount is None  # 垫付政策不在执行期
    assert load_policy(dt.date(2021, 7, 1)).monthly_pension_estimate * 100 == PENSION


def test_apply_advance_opens_an_advance_case_and_leaves_the_uninsured_case_as_it_was():
    [(kept, on_uninsured), (opened, first)] = apply()
    assert kept == uninsured()
    assert on_uninsured["action"] == "apply_advance" and "A000001" in on_uninsured["note"]
    assert opened["case_id"] == "A000001" and opened["kind"] == "advance"
    assert opened["state"] == "to_approve" and opened["amount_due_fen"] == ADVANCE
    assert opened["refers_to"] == "U000004" and opened["opened_on"] == "2021-07-01"
    assert first["action"] == "opened" and first["by_name"] == "金经办"
    assert first["amount_fen"] == ADVANCE


@pytest.mark.parametrize(
    "kw, refusal",
    [
        ({"category": "standard"}, "仅补缴类"),
        ({"category": None}, "本批未列出"),
        ({"fen": None}, "垫付政策不在执行期"),
        ({"case": uninsured(CLOSED)}, "不能申请垫付"),
        ({"others": [advance("to_approve")]}, "已有垫付案件 A000001"),
        ({"others": [{**advance(CLOSED), "close_reason": "repaid"}]}, "已有垫付案件"),
        ({"role": "system"}, "无此角色"),
    ],
)
def test_apply_advance_refusals(kw, refusal):
    with pytest.raises(Refused, match=refusal) as refused:
        apply(**kw)
    assert "\n" not in str(refused.value)


def test_the_steps_in_order_and_role():
    case = advance("to_approve")
    with pytest.raises(Refused, match="needs supervisor"):
        step(case, "approve", "clerk")
    with pytest.raises(Refused, match="不能 advance_paid"):  # no skipping the approval
        step(case, "advance_paid", "finance")
    with pytest.raises(Refused, match="不能 repay"):
        step(case, "repay", "finance", amount="10")
    case, event = step(case, "approve", "supervisor")
    assert case["state"] == "to_pay" and event["action"] == "approve"
    with pytest.raises(Refused, match="needs finance"):
        step(case, "advance_paid", "supervisor")
    with pytest.raises(Refused, match=r"垫付金额应为 1000\.00"):
        step(case, "advance_paid", "finance", amount="999.99")
    case, event = step(case, "advance_paid", "finance", on=dt.date(2021, 7, 5))
    assert case["state"] == "repaying" and case["balance_since"] == "2021-07-05"
    assert event["amount_fen"] == ADVANCE
    with pytest.raises(Refused, match="no action 'pay'"):
        step(case, "pay", "finance")


def test_early_repayment_to_the_fen_and_the_case_closes_at_zero():
    case = advance(repaid=93411)  # nine months withheld
    with pytest.raises(Refused, match="须填写金额"):
        step(case, "repay", "finance")
    with pytest.raises(Refused, match="needs finance or supervisor"):
        step(case, "repay", "clerk", amount="1")
    with pytest.raises(Refused, match=r"超过垫付余额 65\.89"):
        step(case, "repay", "finance", amount="65.90")
    part, event = step(case, "repay", "finance", amount="0.89")
    assert part["state"] == "repaying" and part["amount_recovered_fen"] == 93500
    assert event["amount_fen"] == 89 and "提前还款" in event["note"]
    done, _ = step(part, "repay", "supervisor", amount="65.00")
    assert done["state"] == CLOSED and done["close_reason"] == "repaid"
    assert done["amount_recovered_fen"] == ADVANCE


def payments(rows: list[tuple[str, int]], pension: int | None = PENSION) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "person_key": "p1",
                "pay_month": dt.date.fromisoformat(m + "-01"),
                "paid_fen": paid,
                "pension_fen": pension,
            }
            for m, paid in rows
        ],
        schema=PAYMENT_SCHEMA,
    )


def night(case: dict, pay: pl.DataFrame, counted=None, run="r2", day=dt.date(2022, 3, 31)):
    cases = pl.DataFrame([case], schema=CASE_SCHEMA)
    counted = (
        counted
        if counted is not None
        else pl.DataFrame(schema={"case_id": pl.String, "outcome": pl.String})
    )
    return reconcile(cases, counted, pay, run, day, AT)


def months(first: str, n: int) -> list[str]:
    d = dt.date.fromisoformat(first + "-01")
    out = []
    for _ in range(n):
        out.append(d.strftime("%Y-%m"))
        d = (d + dt.timedelta(days=32)).replace(day=1)
    return out


def test_withheld_months_repay_the_balance_and_a_month_paid_in_full_is_flagged():
    # 2021-06 paid before the advance (not read); 2021-07..2022-03 withheld but 2021-12
    # paid in full: 8 months × 103.79 = 830.32 repaid, balance 169.68
    rows = [("2021-06", PENSION)] + [
        (m, PENSION if m == "2021-12" else 0) for m in months("2021-07", 9)
    ]
    changes = night(advance(), payments(rows))
    [case] = changes.updated.to_dicts()
    assert case["amount_recovered_fen"] == 8 * PENSION == 83032
    assert case["state"] == "repaying"
    events = changes.events
    assert events.filter(pl.col("action") == "month_withheld").height == 8
    flagged = events.filter(pl.col("action") == "month_paid_in_full")
    assert flagged["outcome"].to_list() == ["2021-12"]
    assert "垫付余额 103.79" not in flagged["note"][0]  # the balance then, not a pension
    assert f"垫付余额 {(ADVANCE - 5 * PENSION) / 100:.2f}" in flagged["note"][0]
    assert set(events["run_id"]) == {"r2"} and set(events["role"]) == {"system"}


def test_the_next_night_reads_only_the_new_months():
    rows = [(m, 0) for m in months("2021-07", 8)]
    first = night(advance(), payments(rows))
    counted = first.events.select("case_id", "outcome")
    [after] = first.updated.to_dicts()
    again = night(after, payments(rows), counted, run="r3")  # the same 24 months again
    assert again.events.is_empty() and again.updated.is_empty()
    more = night(after, payments([*rows, ("2022-03", 0)]), counted, run="r4")
    assert more.events["outcome"].to_list() == ["2022-03"]
    assert more.updated["amount_recovered_fen"].to_list() == [9 * PENSION]


def test_the_last_month_withholds_the_rest_and_the_case_closes_repaid():
    schedule = repayment_schedule(ADVANCE, PENSION, dt.date(2021, 7, 1), dt.date(2022, 6, 1))
    # ⌈1000.00 / 103.79⌉ = 10 months: nine whole pensions (934.11), then 65.89 of the tenth
    assert [w for _, _, w in schedule] == [PENSION] * 9 + [6589, 0, 0]
    assert [p for _, p, _ in schedule][9:] == [PENSION - 6589, PENSION, PENSION]
    rows = [(m.strftime("%Y-%m"), paid) for m, paid, _ in schedule]
    changes = night(advance(), payments(rows), day=dt.date(2022, 6, 30))
    [case] = changes.updated.to_dicts()
    assert case["state"] == CLOSED and case["close_reason"] == "repaid"
    assert case["closed_run"] == "r2" and case["closed_on"] == "2022-06-30"
    assert case["amount_recovered_fen"] == ADVANCE
    assert changes.events["action"].to_list() == ["month_withheld"] * 10
    assert changes.events["to_state"].to_list()[-1] == CLOSED


def test_withholding_after_repayment_is_flagged_with_the_amount_to_refund():
    # the tenth month withheld whole (37.90 too much), the eleventh withheld again
    rows = [(m, 0) for m in months("2021-07", 11)]
    changes = night(advance(), payments(rows))
    over = changes.events.filter(pl.col("action") == "withheld_after_repaid")
    assert over["outcome"].to_list() == ["2022-04", "2022-05"]
    assert over["amount_fen"].to_list() == [PENSION - 6589, PENSION]
    # a case closed repaid keeps being read for withholding that goes on
    closed = {**advance(CLOSED, repaid=ADVANCE), "close_reason": "repaid"}
    later = night(closed, payments([("2022-06", 0), ("2022-07", PENSION)]))
    assert later.events["action"].to_list() == ["withheld_after_repaid"]
    assert later.events["outcome"].to_list() == ["2022-06"]


def test_months_without_the_rosters_pension_or_before_payment_are_left():
    assert night(advance(), payments([("2021-08", 0)], pension=None)).events.is_empty()
    assert night(advance("to_pay", paid_on=None), payments([("2021-08", 0)])).events.is_empty()


def test_the_ledger_counts_months_repaid_left_and_flagged():
    rows = [(m, PENSION if m == "2021-12" else 0) for m in months("2021-07", 9)]
    changes = night(advance(), payments(rows))
    cases = changes.updated
    pensions = pl.DataFrame({"person_key": ["p1"], "pension_fen": [PENSION]})
    [row] = advance_ledger(cases, changes.events, pensions, 15379).to_dicts()
    # balance 169.68 at 103.79 a month: 2 more months
    assert row["months_repaid"] == 8 and row["months_left"] == 2
    assert row["months_flagged"] == 1 and row["flagged"] == "2021-12"
    assert row["last_month"] == "2022-03"
    empty = pl.DataFrame(schema={"person_key": pl.String, "pension_fen": pl.Int64})
    [fresh] = advance_ledger(
        pl.DataFrame([advance("to_pay", paid_on=None)], schema=CASE_SCHEMA),
        changes.events.clear(),
        empty,
        15379,
    ).to_dicts()
    assert fresh["months_repaid"] == 0 and fresh["months_left"] == 7  # ⌈1000 / 153.79⌉


def test_staff_words_for_every_advance_state_and_action():
    states = {s for starts, to in ADVANCE_STEPS.values() for s in (*starts, to)}
    for state in states:
        assert state in CASE_STATE
        assert ("advance", state) in NEXT_STEP
    for action in (*ADVANCE_STEPS, "month_withheld", "month_paid_in_full", "closed_repaid"):
        assert action in CASE_ACTION
    assert "withheld_after_repaid" in CASE_ACTION and "repaid" in CLOSE_REASON


def test_the_store_opens_the_advance_and_reads_its_months_on_both_backends(store_location):
    from pensionlink.cases.advance import MONTH_ACTIONS
    from pensionlink.cases.lifecycle import CANDIDATE_SCHEMA, FACT_SCHEMA, night_changes
    from pensionlink.cases.store import open_case_store

    found = pl.DataFrame(
        [
            {
                "kind": "uninsured",
                "basis": "uninsured",
                "person_key": p,
                "fingerprint": "uninsured",
                "state": "to_contact",
            }
            for p in ("p1", "p2")
        ],
        schema=CANDIDATE_SCHEMA,
    )
    none = pl.DataFrame(schema=FACT_SCHEMA)
    day, at = dt.date(2021, 6, 30), dt.datetime(2021, 7, 1, 9)
    with open_case_store(store_location) as store:
        store.write_night("r1", day, lambda c: night_changes(c, found, none, "r1", day, at))
        request = Request("apply_advance", "金经办", on=dt.date(2021, 7, 1))

        def opening(case, others, new_id):
            return apply_advance(case, others, request, "back_payment", ADVANCE, new_id, AT)

        first = store.act_opening("U000001", "advance", "A", opening)
        second = store.act_opening("U000002", "advance", "A", opening)
        assert [first[-1][0]["case_id"], second[-1][0]["case_id"]] == ["A000001", "A000002"]
        with pytest.raises(Refused, match="已有垫付案件 A000001"):
            store.act_opening("U000001", "advance", "A", opening)
        cases = store.cases()
        assert cases.filter(kind="advance")["state"].to_list() == ["to_approve"] * 2
        assert cases.filter(kind="uninsured")["state"].to_list() == ["to_contact"] * 2
        events = store.events()
        assert events.filter(action="apply_advance").height == 2
        assert events.filter(case_id="A000001")["action"].to_list() == ["opened"]
        store.act("A000001", lambda c: advance_step(c, Request("approve", "崔", "supervisor"), AT))
        paid = Request("advance_paid", "朴", "finance", on=dt.date(2021, 7, 5))
        store.act("A000001", lambda c: advance_step(c, paid, AT))
        pay = payments([("2021-07", 0), ("2021-08", PENSION)]).with_columns(
            person_key=pl.lit(store.case("A000001")["person_key"])
        )
        day2 = dt.date(2021, 8, 31)

        def lifecycle(cases):
            counted = store.months_read("advance", MONTH_ACTIONS)
            return night_changes(cases, found, none, "r2", day2, at).then(
                reconcile(cases, counted, pay, "r2", day2, at)
            )

        store.write_night("r2", day2, lifecycle)
        read = store.months_read("advance", MONTH_ACTIONS)
        assert read["outcome"].to_list() == ["2021-07", "2021-08"]
        assert store.case("A000001")["amount_recovered_fen"] == PENSION
        store.write_night("r3", dt.date(2021, 9, 1), lifecycle)  # the same months again
        assert store.months_read("advance", MONTH_ACTIONS).height == 2


def test_tonights_payments_of_the_people_with_an_advance_only():
    from decimal import Decimal

    from pensionlink.cases.advance import advance_payments, roster_pensions
    from pensionlink.cases.keys import person_keys

    key = b"k" * 32
    linked = {
        "resident_roster": pl.DataFrame(
            {
                "person_id": ["A", "B", None],
                "pension_no": ["P1", "P2", "P3"],
                "monthly_pension": [Decimal("103.79"), Decimal("150.00"), Decimal("99.00")],
            }
        ),
        "pension_payments": pl.DataFrame(
            {
                "pension_no": ["P1", "P1", "P2", "P3"],
                "pay_month": [dt.date(2021, 8, 1), dt.date(2021, 9, 1)] * 2,
                "amount": [Decimal("0.00"), Decimal("37.90"), Decimal("150.00"), Decimal("1")],
            }
        ),
    }
    roster = roster_pensions(linked, key)
    assert roster["pension_fen"].to_list() == [PENSION, 15000]  # the unlinked row left out
    a = person_keys(pl.Series(["A"]), key)
    found = advance_payments(linked["pension_payments"], roster, a)
    assert found["person_key"].to_list() == a.to_list() * 2
    assert found["paid_fen"].to_list() == [0, 3790]
    assert found["pension_fen"].to_list() == [PENSION, PENSION]
    assert advance_payments(None, roster, a).is_empty()
    assert roster_pensions({}, key).is_empty()


def test_who_approved_may_not_record_the_payment():
    from pensionlink.cases.machine import NotYourRole

    approved = {"action": "approve", "by_name": "崔科长"}
    case = advance("to_pay", paid_on=None)
    with pytest.raises(NotYourRole, match="审核人与拨付人不得为同一人"):
        advance_step(case, Request("advance_paid", "崔科长", "finance"), AT, [approved])
    paid, _ = advance_step(case, Request("advance_paid", "朴会计", "finance"), AT, [approved])
    assert paid["state"] == "repaying"
    with pytest.raises(NotYourRole):  # a role refusal says so (the desk answers 403)
        step(advance("to_approve"), "approve", "finance")
