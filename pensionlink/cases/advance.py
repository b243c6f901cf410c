"""The contribution advance (缴费资金垫付台账): an `advance` case from the application to
the last month of pension withheld. Pure.

Annex 3: a late enrollee past benefit age (`back_payment`) may have the city advance the
missing years' contributions at the lowest grade, at most the cap; the whole monthly
pension is withheld from the first benefit month until the advance is repaid, or earlier
by agreement.

- `apply_advance` (申请) on the person's open `uninsured` case opens an `advance` case
  (A…) with the amount of the policy in force on the application date, min(required years
  × lowest grade, cap), to the fen; refused outside the advance's period, for another
  category, or when the person has an advance open or repaid already.
- Opened `to_approve`; `approve` (审核, supervisor) → `to_pay`; `advance_paid` (垫付到账,
  finance, not the one who approved; the day it was paid is `balance_since`) →
  `repaying`; `repay --amount` (提前还款, finance or supervisor) records a repayment by
  agreement; the case closes 'repaid' at balance 0.
- Each night (`reconcile`) every benefit month of `pension_payments` from the month the
  advance was paid is read once (the months counted are the events' `outcome`, so the
  24-month window delivered again every night is never counted twice): the pension
  withheld (the roster's 月养老金 less the amount paid out) repays the balance
  (`month_withheld`); a month paid out in full while a balance remains is flagged
  (`month_paid_in_full`), and so is any pension withheld beyond the balance or after the
  advance was repaid (`withheld_after_repaid`, the amount to refund). A month without
  the roster's pension is left for a night that has it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import polars as pl

from pensionlink.cases.keys import PersonKeys, person_keys
from pensionlink.cases.machine import ROLES, NotYourRole, Refused, Request, _check_day, to_fen
from pensionlink.cases.model import CASE_SCHEMA, CLOSED, EVENT_SCHEMA, SYSTEM, NightChanges

__all__ = [
    "ADVANCE_STEPS",
    "BACK_PAYMENT",
    "FLAGS",
    "MONTH_ACTIONS",
    "PAYMENT_SCHEMA",
    "REPAID",
    "advance_ledger",
    "advance_payments",
    "advance_step",
    "apply_advance",
    "reconcile",
    "roster_pensions",
]

BACK_PAYMENT = "back_payment"
REPAID = "repaid"
#: action → (the states it starts from, the state it leads to).
ADVANCE_STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    "approve": (("to_approve",), "to_pay"),
    "advance_paid": (("to_pay",), "repaying"),
    "repay": (("repaying",), "repaying"),
}
STEP_ROLES = {
    "approve": ("supervisor",),
    "advance_paid": ("finance",),
    "repay": ("finance", "supervisor"),
}
WITHHELD, PAID_IN_FULL, OVER_WITHHELD = (
    "month_withheld",
    "month_paid_in_full",
    "withheld_after_repaid",
)
#: The night's events on a benefit month (`outcome` = the month, YYYY-MM).
MONTH_ACTIONS = (WITHHELD, PAID_IN_FULL, OVER_WITHHELD)
#: The months flagged for the township and finance to put right.
FLAGS = (PAID_IN_FULL, OVER_WITHHELD)
#: One row per person and benefit month paid: what was paid out and the monthly pension.
PAYMENT_SCHEMA = {
    "person_key": pl.String,
    "pay_month": pl.Date,
    "paid_fen": pl.Int64,
    "pension_fen": pl.Int64,
}
_UNINSURED_OPEN = ("to_contact", "contacted")


def _event(case: dict, action: str, to_state: str, at: str, **kw) -> dict:
    return {
        "case_id": case["case_id"],
        "at": at,
        "by_name": kw.pop("by", SYSTEM),
        "role": kw.pop("role", SYSTEM),
        "action": action,
        "from_state": kw.pop("from_state", case["state"]),
        "to_state": to_state,
        "note": kw.pop("note", None),
        "amount_fen": kw.pop("amount_fen", None),
        "outcome": kw.pop("outcome", None),
        "run_id": kw.pop("run_id", None),
    }


def _who(request: Request) -> str:
    by = (request.by or "").strip()
    if not by:
        raise Refused("--by: 请填写经办人姓名 expected who acts (not empty)")
    if request.role == SYSTEM or request.role not in ROLES:
        raise Refused(f"--role: 无此角色 unknown role {request.role!r} (one of {', '.join(ROLES)})")
    return by


def apply_advance(
    case: dict,
    others: list[dict],
    request: Request,
    category: str | None,
    advance_fen: int | None,
    new_case_id: str,
    at: dt.datetime | None = None,
) -> list[tuple[dict, dict]]:
    """The uninsured case (unchanged, with its event) and the new `advance` case (with its
    opening event). `category`: the person's in tonight's uninsured_eligible (None: not
    listed); `advance_fen`: the policy's advance on the application date."""
    at = at or dt.datetime.now()
    on = request.on or at.date()
    stamp = at.isoformat(timespec="microseconds")
    _check_day(case, on, at.date())
    by = _who(request)
    if case["kind"] != "uninsured" or case["state"] not in _UNINSURED_OPEN:
        raise Refused(
            f"案件 {case['case_id']} 当前状态 {case['state']} 不能申请垫付 apply_advance only "
            f"on an open uninsured case"
        )
    if category != BACK_PAYMENT:
        raise Refused(
            f"案件 {case['case_id']} 人员类别为 {category or '（本批未列出 not listed tonight）'}，"
            f"仅补缴类可申请垫付 only a back_payment person may apply for the advance"
        )
    if advance_fen is None or advance_fen <= 0:
        raise Refused("垫付政策不在执行期 the advance rule is not in force on that day")
    held = [
        o["case_id"]
        for o in others
        if o["kind"] == "advance" and (o["state"] != CLOSED or o["close_reason"] == REPAID)
    ]
    if held:
        raise Refused(
            f"已有垫付案件 {held[0]}，不能重复申请 the person already has an advance ({held[0]})"
        )
    day = on.isoformat()
    opened = {
        **dict.fromkeys(CASE_SCHEMA),
        "case_id": new_case_id,
        "kind": "advance",
        "number": int(new_case_id[1:]),
        "basis": "advance",
        "person_key": case["person_key"],
        "state": "to_approve",
        "fingerprint": "advance",
        "refers_to": case["case_id"],
        "opened_run": case["last_seen_run"] or case["opened_run"],
        "opened_on": day,
        "last_seen_run": case["last_seen_run"] or case["opened_run"],
        "last_seen_on": day,
        "amount_due_fen": advance_fen,
        "amount_recovered_fen": 0,
    }
    text = f"申请缴费资金垫付 {advance_fen / 100:.2f} 元（{day} 施行标准）"
    if request.note:
        text += f"；{request.note.strip()}"
    return [
        (
            dict(case),
            _event(
                case,
                "apply_advance",
                case["state"],
                stamp,
                by=by,
                role=request.role,
                note=f"{text}；垫付案件 {new_case_id}",
                amount_fen=advance_fen,
            ),
        ),
        (
            opened,
            _event(
                opened,
                "opened",
                "to_approve",
                stamp,
                by=by,
                role=request.role,
                from_state=None,
                note=f"{text}；应保未保案件 {case['case_id']}",
                amount_fen=advance_fen,
            ),
        ),
    ]


def advance_step(
    case: dict, request: Request, at: dt.datetime | None = None, events: Sequence[dict] = ()
) -> tuple[dict, dict]:
    """`approve`, `advance_paid` or `repay` on an advance case: its new values and event.
    `events`: the case's events (who approved may not also record the payment)."""
    at = at or dt.datetime.now()
    on = request.on or at.date()
    action, state = request.action, case["state"]
    _check_day(case, on, at.date())
    by = _who(request)
    if action not in ADVANCE_STEPS:
        raise Refused(
            f"垫付案件无此操作 no action {action!r} on an advance case ({', '.join(ADVANCE_STEPS)})"
        )
    starts, to_state = ADVANCE_STEPS[action]
    if state not in starts:
        allowed = [a for a, (s, _) in ADVANCE_STEPS.items() if state in s]
        raise Refused(
            f"案件 {case['case_id']} 当前状态 {state} 不能 {action} not allowed in state "
            f"{state} (allowed: {', '.join(allowed) or '无 none'})"
        )
    if request.role not in STEP_ROLES[action]:
        raise NotYourRole(
            f"角色 {request.role} 不能 {action} role {request.role} may not {action} "
            f"(needs {' or '.join(STEP_ROLES[action])})"
        )
    approver = next((e["by_name"] for e in reversed(events) if e["action"] == "approve"), None)
    if action == "advance_paid" and approver is not None and approver.strip() == by:
        raise NotYourRole(
            f"案件 {case['case_id']} 审核人与拨付人不得为同一人 the one who approved "
            f"({approver}) may not also record the payment"
        )
    new = dict(case)
    due = case["amount_due_fen"] or 0
    balance = due - (case["amount_recovered_fen"] or 0)
    amount = None
    note = (request.note or "").strip() or None
    if action == "advance_paid":
        if request.amount is not None and to_fen(request.amount) != due:
            raise Refused(
                f"垫付金额应为 {due / 100:.2f} 元 the advance is {due / 100:.2f} "
                f"(the policy's on the application date)"
            )
        amount = due
        new["balance_since"] = on.isoformat()  # withheld from this month's pension on
        note = f"垫付 {due / 100:.2f} 元于 {on.isoformat()} 到账" + (f"；{note}" if note else "")
    elif action == "repay":
        if request.amount is None:
            raise Refused("repay 须填写金额 --amount YUAN is required")
        amount = to_fen(request.amount)
        if amount > balance:
            raise Refused(
                f"还款金额 {amount / 100:.2f} 超过垫付余额 {balance / 100:.2f} "
                f"amount exceeds the balance"
            )
        new["amount_recovered_fen"] = (case["amount_recovered_fen"] or 0) + amount
        text = f"{on.isoformat()} 提前还款 early repayment {amount / 100:.2f} 元"
        note = text + (f"；{note}" if note else "")
        if amount == balance:
            to_state = CLOSED
            new["close_reason"] = REPAID
            new["closed_on"] = on.isoformat()
    new["state"] = to_state
    event = _event(
        case,
        action,
        to_state,
        at.isoformat(timespec="microseconds"),
        by=by,
        role=request.role,
        note=note,
        amount_fen=amount,
    )
    return new, event


ROSTER_SCHEMA = {"person_key": pl.String, "pension_no": pl.String, "pension_fen": pl.Int64}


def roster_pensions(linked: dict[str, pl.DataFrame], key: bytes | PersonKeys) -> pl.DataFrame:
    """The residents' roster's pension numbers and monthly pensions (月养老金, fen), keyed
    by person (`ROSTER_SCHEMA`)."""
    roster = linked.get("resident_roster")
    if roster is None or not roster.height:
        return pl.DataFrame(schema=ROSTER_SCHEMA)
    people = roster.filter(pl.col("person_id").is_not_null() & pl.col("pension_no").is_not_null())
    return people.select(
        person_key=person_keys(people["person_id"], key),
        pension_no="pension_no",
        pension_fen=_fen(pl.col("monthly_pension")),
    ).cast(ROSTER_SCHEMA)


def advance_payments(
    payments: pl.DataFrame | None, roster: pl.DataFrame, people: pl.Series
) -> pl.DataFrame:
    """Tonight's pension payments (`pension_payments`) of `people` (person keys) with the
    roster's monthly pension, by person (`PAYMENT_SCHEMA`), fen."""
    mine = roster.filter(pl.col("person_key").is_in(people.implode())).unique(
        "pension_no", keep="first"
    )
    if payments is None or not payments.height or mine.is_empty():
        return pl.DataFrame(schema=PAYMENT_SCHEMA)
    paid = payments.filter(pl.col("pension_no").is_in(mine["pension_no"].implode()))
    return (
        paid.select("pension_no", "pay_month", paid_fen=_fen(pl.col("amount")))
        .join(mine, on="pension_no", how="inner")
        .select(
            "person_key",
            pay_month=pl.col("pay_month").cast(pl.Date),
            paid_fen="paid_fen",
            pension_fen="pension_fen",
        )
        .cast(PAYMENT_SCHEMA)
    )


def _fen(amount: pl.Expr) -> pl.Expr:
    return (amount.cast(pl.Decimal(14, 2)) * 100).cast(pl.Int64)


def reconcile(
    cases: pl.DataFrame,
    counted: pl.DataFrame,
    payments: pl.DataFrame,
    run_id: str,
    as_of: dt.date,
    at: dt.datetime,
) -> NightChanges:
    """The night's ledger events on advance cases being repaid (or repaid: withholding
    after it is flagged). `counted`: (case_id, outcome) of the months already read."""
    stamp, day = at.isoformat(timespec="microseconds"), as_of.isoformat()
    seen: dict[str, set[str]] = {}
    for case_id, month in counted.select("case_id", "outcome").iter_rows():
        seen.setdefault(case_id, set()).add(month)
    ledger = cases.filter(
        (pl.col("kind") == "advance")
        & (
            (pl.col("state") == "repaying")
            | ((pl.col("state") == CLOSED) & (pl.col("close_reason") == REPAID))
        )
        & pl.col("balance_since").is_not_null()
    )
    by_person: dict[str, list[tuple]] = {}
    wanted = payments.filter(pl.col("person_key").is_in(ledger["person_key"].implode()))
    for row in wanted.sort("pay_month").iter_rows(named=True):
        by_person.setdefault(row["person_key"], []).append(row)
    changed, events = [], []
    for case in ledger.to_dicts():
        start = dt.date.fromisoformat(case["balance_since"]).replace(day=1)
        done = seen.get(case["case_id"], set())
        new = dict(case)
        balance = (case["amount_due_fen"] or 0) - (case["amount_recovered_fen"] or 0)
        for pay in by_person.get(case["person_key"], []):
            month = pay["pay_month"].strftime("%Y-%m")
            if pay["pay_month"] < start or month in done or pay["pension_fen"] is None:
                continue
            withheld = max(pay["pension_fen"] - pay["paid_fen"], 0)
            before = new["state"]
            if balance > 0 and withheld == 0:
                events.append(
                    _event(
                        new,
                        PAID_IN_FULL,
                        before,
                        stamp,
                        run_id=run_id,
                        outcome=month,
                        amount_fen=pay["paid_fen"],
                        note=f"{month} 养老金全额发放，垫付余额 {balance / 100:.2f} 元未扣 "
                        f"paid in full while the advance is owed",
                    )
                )
                continue
            credit = min(withheld, balance)
            if credit:
                balance -= credit
                new["amount_recovered_fen"] = (new["amount_recovered_fen"] or 0) + credit
                after = before
                if balance == 0:
                    after = CLOSED
                    new |= {"close_reason": REPAID, "closed_run": run_id, "closed_on": day}
                new["state"] = after
                events.append(
                    _event(
                        {**new, "state": before},
                        WITHHELD,
                        after,
                        stamp,
                        run_id=run_id,
                        outcome=month,
                        amount_fen=credit,
                        note=f"{month} 扣回养老金 {credit / 100:.2f} 元，"
                        f"余额 {balance / 100:.2f} 元",
                    )
                )
            if withheld > credit:
                events.append(
                    _event(
                        new,
                        OVER_WITHHELD,
                        new["state"],
                        stamp,
                        run_id=run_id,
                        outcome=month,
                        amount_fen=withheld - credit,
                        note=f"{month} 垫付已还清仍扣发 {(withheld - credit) / 100:.2f} 元，"
                        f"应退还 withheld after the advance was repaid: to refund",
                    )
                )
            done = done | {month}
        if new != case:
            changed.append(new)
    return NightChanges(
        opened=pl.DataFrame(schema=CASE_SCHEMA),
        updated=pl.DataFrame(changed, schema=CASE_SCHEMA),
        events=pl.DataFrame([{"event_id": None, **e} for e in events], schema=EVENT_SCHEMA),
    )


LEDGER_SCHEMA = {
    "case_id": pl.String,
    "months_repaid": pl.Int32,
    "months_flagged": pl.Int32,
    "flagged": pl.String,
    "last_month": pl.String,
}


def advance_ledger(
    cases: pl.DataFrame,
    events: pl.DataFrame,
    pensions: pl.DataFrame,
    estimate_fen: int | None,
) -> pl.DataFrame:
    """Per advance case: months repaid (withheld), months flagged (which, comma-separated),
    the last month read, and months left at the person's monthly pension tonight
    (`pensions`: person_key, pension_fen; else `estimate_fen`, the policy's estimate)."""
    advances = cases.filter(pl.col("kind") == "advance").select(
        "case_id", "person_key", "state", "amount_due_fen", "amount_recovered_fen"
    )
    months = events.filter(
        pl.col("case_id").is_in(advances["case_id"].implode())
        & pl.col("action").is_in(list(MONTH_ACTIONS))
    )
    per = months.group_by("case_id").agg(
        months_repaid=(pl.col("action") == WITHHELD).sum().cast(pl.Int32),
        months_flagged=pl.col("outcome")
        .filter(pl.col("action").is_in(list(FLAGS)))
        .n_unique()
        .cast(pl.Int32),
        flagged=pl.col("outcome")
        .filter(pl.col("action").is_in(list(FLAGS)))
        .unique()
        .sort()
        .str.join(","),
        last_month=pl.col("outcome").max(),
    )
    out = advances.join(per, on="case_id", how="left").join(
        pensions.select("person_key", "pension_fen").unique("person_key"),
        on="person_key",
        how="left",
    )
    rows = []
    for r in out.iter_rows(named=True):
        balance = (r["amount_due_fen"] or 0) - (r["amount_recovered_fen"] or 0)
        pension = r["pension_fen"] or estimate_fen
        left = 0 if r["state"] == CLOSED or balance <= 0 else None
        if left is None and pension:
            left = math.ceil(balance / pension)
        rows.append(
            {
                "case_id": r["case_id"],
                "months_repaid": r["months_repaid"] or 0,
                "months_left": left,
                "months_flagged": r["months_flagged"] or 0,
                "flagged": r["flagged"] or None,
                "last_month": r["last_month"],
            }
        )
    return pl.DataFrame(rows, schema={**LEDGER_SCHEMA, "months_left": pl.Int32}).select(
        "case_id", "months_repaid", "months_left", "months_flagged", "flagged", "last_month"
    )
