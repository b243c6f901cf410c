"""The case state machine (案件流转): which staff action is allowed in which state and role.

Pure: `step` takes a case (a row of the case store), an action and who does it, and
returns the case's new values and the event, or raises `Refused` with one line (Chinese
first, then English). Money stops only after the family was told and could object:
`suspend` is refused before the objection window (异议期, a policy parameter) has passed.
A death already verified is undone (`verify_alive`, found alive) only by a supervisor.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pensionlink.cases.model import CLOSED, SYSTEM

__all__ = [
    "ACTIONS",
    "ALIVE_AFTER_VERIFY_ROLES",
    "OUTCOMES",
    "ROLES",
    "NotYourRole",
    "Refused",
    "Request",
    "allowed_actions",
    "step",
    "to_fen",
]

#: (kind, action) → (states it may start from, state it leads to); CLOSED closes the case.
ACTIONS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("death", "verify_dead"): (("to_verify",), "confirmed"),
    ("death", "verify_alive"): (
        ("to_verify", "confirmed", "notified", "objection_passed", "suspended"),
        CLOSED,
    ),
    ("death", "notify"): (("confirmed",), "notified"),
    ("death", "suspend"): (("objection_passed",), "suspended"),
    ("recovery", "record_recovery"): (("outstanding", "partly_recovered"), "partly_recovered"),
    ("recovery", "write_off"): (("outstanding", "partly_recovered"), CLOSED),
    ("uninsured", "contacted"): (("to_contact", "contacted"), "contacted"),
}
#: 入户走访结果 of `contacted`.
OUTCOMES = ("同意参保", "拒绝参保", "外出务工", "已在外地参保")
COVERED_ELSEWHERE = "已在外地参保"
#: Roles staff act in; who may do what (an action not listed here is open to every role).
ROLES = ("clerk", "township", "finance", "supervisor")
ACTION_ROLES = {
    "record_recovery": ("finance", "supervisor"),
    "write_off": ("supervisor",),
}
#: A death past verification (confirmed by the city, told, money stopped) is undone — the
#: person found alive — only by a supervisor (市局); from `to_verify` anyone may.
ALIVE_AFTER_VERIFY_ROLES = ("supervisor",)
_WORD = {"death": "死亡", "recovery": "追回", "uninsured": "应保未保"}


class Refused(ValueError):
    """The action is not recorded; the message is the one line to show."""


class NotYourRole(Refused):
    """Refused because of who asks (their role), not the case's state."""


@dataclass(frozen=True)
class Request:
    """One staff action as asked for on the command line."""

    action: str
    by: str
    role: str = "clerk"
    note: str | None = None
    amount: str | Decimal | None = None
    outcome: str | None = None
    on: dt.date | None = None  # the day it happened (default: today)
    applicant: str | None = None  # a subsidy claim: who applies (申请人)
    relation: str | None = None  # … and how related to the deceased (与死者关系)
    override: bool = False  # city_approve of an ineligible claim (特批, with a note)
    to: str | None = None  # pay to: card | account (社保卡 | 银行账户)


def to_fen(amount: str | Decimal) -> int:
    """'120.50' → 12050; refuses anything but a positive amount with at most 2 decimals."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise Refused(f"金额无法识别 --amount: not an amount: {amount!r}") from None
    try:
        cents = value.quantize(Decimal("0.01"))
    except InvalidOperation:  # too many digits for the context (1e30), or infinite
        cents = None
    if not value.is_finite() or value <= 0 or value != cents:
        raise Refused(f"金额须为正数，至多两位小数 --amount must be positive yuan: {amount}")
    return int(value * 100)


def allowed_actions(kind: str, state: str) -> list[str]:
    """The staff actions allowed on a case of `kind` in `state`."""
    return [a for (k, a), (starts, _) in ACTIONS.items() if k == kind and state in starts]


def _check_day(case: dict, on: dt.date, today: dt.date) -> None:
    """The day an action happened lies between the night the case opened and today: a
    backdated notice would shorten the family's objection window (异议期)."""
    if on > today:
        raise Refused(f"--on: 日期 {on} 晚于今天 {today} the day cannot be in the future")
    opened = case.get("opened_on")
    if opened and on < dt.date.fromisoformat(opened):
        raise Refused(
            f"--on: 日期 {on} 早于案件立案之日 {opened} the day cannot precede the night "
            f"the case opened"
        )


def step(
    case: dict, request: Request, objection_days: int, at: dt.datetime | None = None
) -> tuple[dict, dict]:
    """The case's new values (every column) and the event of `request` on `case`;
    `Refused` when the action is not allowed in its state or role, or lacks what it needs."""
    at = at or dt.datetime.now()
    on = request.on or at.date()
    kind, state, action = case["kind"], case["state"], request.action
    _check_day(case, on, at.date())
    by = (request.by or "").strip()
    if not by:
        raise Refused("--by: 请填写经办人姓名 expected who acts (not empty)")
    if request.role == SYSTEM or request.role not in ROLES:
        raise Refused(f"--role: 无此角色 unknown role {request.role!r} (one of {', '.join(ROLES)})")
    if (kind, action) not in ACTIONS:
        names = ", ".join(a for k, a in ACTIONS if k == kind)
        raise Refused(f"{_WORD[kind]}案件无此操作 no action {action!r} on a {kind} case ({names})")
    starts, to_state = ACTIONS[(kind, action)]
    if action == "suspend" and state in ("confirmed", "notified"):
        until = case["objection_until"] or "（未告知 not notified）"
        raise Refused(
            f"案件 {case['case_id']} 异议期至 {until} 未满，不能暂停发放 the objection window "
            f"has not passed (until {until}); suspend after the night it has (objection_passed)"
        )
    if state not in starts:
        hint = ", ".join(allowed_actions(kind, state)) or "无 none"
        raise Refused(
            f"案件 {case['case_id']} 当前状态 {state} 不能 {action} "
            f"not allowed in state {state} (allowed: {hint})"
        )
    if request.role not in ACTION_ROLES.get(action, ROLES):
        raise NotYourRole(
            f"角色 {request.role} 不能 {action} role {request.role} may not {action} "
            f"(needs {' or '.join(ACTION_ROLES[action])})"
        )
    if (
        action == "verify_alive"
        and state != "to_verify"
        and request.role not in ALIVE_AFTER_VERIFY_ROLES
    ):
        raise NotYourRole(
            f"案件 {case['case_id']} 已核实死亡（{state}），仅市局可改为生存 only a supervisor "
            f"may verify_alive a death already verified (state {state})"
        )
    new = dict(case)
    amount_fen = None
    outcome = None
    if action == "notify":
        new["notice_date"] = on.isoformat()
        new["objection_until"] = (on + dt.timedelta(days=objection_days)).isoformat()
    elif action == "verify_alive":
        new["close_reason"] = "alive"
    elif action == "record_recovery":
        if request.amount is None:
            raise Refused("record_recovery 须填写金额 --amount YUAN is required")
        amount_fen = to_fen(request.amount)
        balance = (case["amount_due_fen"] or 0) - (case["amount_recovered_fen"] or 0)
        if amount_fen > balance:
            raise Refused(
                f"追回金额 {amount_fen / 100:.2f} 超过余额 {balance / 100:.2f} "
                f"amount exceeds the balance due"
            )
        new["amount_recovered_fen"] = (case["amount_recovered_fen"] or 0) + amount_fen
        new["balance_since"] = on.isoformat()
        if amount_fen == balance:
            to_state = CLOSED
            new["close_reason"] = "recovered"
    elif action == "write_off":
        if not (request.note or "").strip():
            raise Refused("核销须写明理由 write_off needs --note (why it cannot be recovered)")
        new["close_reason"] = "written_off"
    elif action == "contacted":
        if request.outcome not in OUTCOMES:
            raise Refused(
                f"--outcome: 须为 {'|'.join(OUTCOMES)} expected one of these, "
                f"not {request.outcome!r}"
            )
        outcome = request.outcome
        new["outcome"] = outcome
        if outcome == COVERED_ELSEWHERE:
            to_state = CLOSED
            new["close_reason"] = "covered_elsewhere"
    if to_state == CLOSED:
        new["closed_on"] = on.isoformat()
    new["state"] = to_state
    event = {
        "case_id": case["case_id"],
        "at": at.isoformat(timespec="microseconds"),
        "by_name": by,
        "role": request.role,
        "action": action,
        "from_state": state,
        "to_state": to_state,
        "note": request.note,
        "amount_fen": amount_fen,
        "outcome": outcome,
        "run_id": None,
    }
    return new, event
