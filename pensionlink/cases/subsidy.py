"""The funeral subsidy claim (丧葬补助金申领): its chain of staff steps, in order.

Pure: `subsidy_step` takes a subsidy case, the person's other cases and a request, and
returns every case it changes with its event (the claim first; a payment that offsets
an overpayment also changes that recovery case), or raises `Refused` with one line.
The chain: `apply` (受理，申请人、关系、材料) → `village_check` (村级初审, clerk) →
`township_check` (乡镇审核, township) → `city_approve` (市级审批, supervisor) → `pay`
(发放, finance; to the social security card or a bank account, never cash) → `archive`
(归档). No step is skipped. An ineligible claim (what the night knew: not receiving at
death, in custody, an employee-scheme grant or 抚恤金, a second claim) is approved only
with `--override` and a note. `archive` before payment closes a refused claim (with a
note; once the township checked it, only a supervisor may). Who approved may not also
pay (审批人与发放人不得为同一人). The payout is the subsidy less the person's outstanding
overpayment (the death's recovery case, basis 'overpaid'), which the payment offsets, to
the fen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from pensionlink.cases.lifecycle import OVERPAID
from pensionlink.cases.machine import NotYourRole, Refused, Request, _check_day, to_fen
from pensionlink.cases.model import CLOSED, SYSTEM

__all__ = ["CHAIN", "PAY_TO", "STEP_ROLE", "apply_details", "ineligible", "subsidy_step"]

#: action → (the state it starts from, the state it leads to), in the chain's order.
CHAIN: dict[str, tuple[str, str]] = {
    "apply": ("to_apply", "applied"),
    "village_check": ("applied", "village_checked"),
    "township_check": ("village_checked", "township_checked"),
    "city_approve": ("township_checked", "approved"),
    "pay": ("approved", "paid"),
    "archive": ("paid", CLOSED),
}
STEP_ROLE = {
    "village_check": "clerk",
    "township_check": "township",
    "city_approve": "supervisor",
    "pay": "finance",
}
#: Where a payment goes (`--to`): 社保卡 or 银行账户; cash is refused.
PAY_TO = ("card", "account")
_NEXT = {start: action for action, (start, _) in CHAIN.items()}
#: A claim past the township's check is refused (archived unpaid) only by the city.
REFUSE_LATE = ("township_checked", "approved")
REFUSE_LATE_ROLES = ("supervisor",)
#: The `apply` event's note: who applied, how related, what was handed in (the printed
#: 发放审批表 reads it back with `apply_details`).
_APPLY_NOTE = "申请人 {applicant}（{relation}）；材料 {documents}"
_APPLY_PATTERN = re.compile(
    r"^申请人 (?P<applicant>.+?)（(?P<relation>[^）]+)）；材料 (?P<documents>.+?)"
    r"(?:；不符合条件 ineligible: .*)?$",
    re.DOTALL,
)


def apply_details(note: str | None) -> dict[str, str] | None:
    """applicant, relation, documents of an `apply` event's note (None if not one)."""
    found = _APPLY_PATTERN.match(note or "")
    return found.groupdict() if found else None


def ineligible(case: dict) -> list[str]:
    """What the night knew against the claim (`outcome`, comma-separated codes)."""
    return [f for f in (case.get("outcome") or "").split(",") if f and f != "eligible"]


def _paid_before(case: dict, others: list[dict]) -> str | None:
    """Another claim of the same person already paid (a second claim)."""
    for other in others:
        if (
            other["kind"] == "subsidy"
            and other["case_id"] != case["case_id"]
            and (other["state"] == "paid" or other["close_reason"] == "archived")
        ):
            return other["case_id"]
    return None


def _event(case: dict, request: Request, by: str, at: dt.datetime, to_state: str, **kw) -> dict:
    return {
        "case_id": case["case_id"],
        "at": at.isoformat(timespec="microseconds"),
        "by_name": by,
        "role": request.role,
        "action": kw.pop("action", request.action),
        "from_state": case["state"],
        "to_state": to_state,
        "note": kw.pop("note", request.note),
        "amount_fen": kw.pop("amount_fen", None),
        "outcome": kw.pop("outcome", None),
        "run_id": None,
    }


_DEATH_STANDS = ("confirmed", "notified", "objection_passed", "suspended")


def _death_stands(case: dict, others: list[dict]) -> None:
    """No subsidy is approved or paid on a death not verified (a living person reported
    dead must never be treated as dead): the person's latest death case must be confirmed,
    or closed because the roster deregistered them. No override lifts this."""
    deaths = sorted(
        (c for c in others if c["kind"] == "death" and c["case_id"] != case["case_id"]),
        key=lambda c: c["case_id"],
    )
    death = deaths[-1] if deaths else None
    if death is not None and (
        death["state"] in _DEATH_STANDS
        or (death["state"] == CLOSED and death["close_reason"] == "deregistered")
    ):
        return
    where = f"（{death['case_id']} {death['state']}）" if death else ""
    raise Refused(
        f"案件 {case['case_id']} 死亡尚未核实{where}，不能审批或发放 "
        f"the death is not verified: approve and pay only after verify_dead"
    )


def subsidy_step(
    case: dict,
    others: list[dict],
    request: Request,
    at: dt.datetime | None = None,
    events: Sequence[dict] = (),
) -> list[tuple[dict, dict]]:
    """The cases `request` changes (the claim first) with their events; `Refused` when a
    step is out of order, in the wrong role, ineligible without an override, lacks what
    it needs, or is a payment by the one who approved it (`events`: the claim's events)."""
    at = at or dt.datetime.now()
    on = request.on or at.date()
    action, state = request.action, case["state"]
    _check_day(case, on, at.date())
    by = (request.by or "").strip()
    note = (request.note or "").strip()
    if not by:
        raise Refused("--by: 请填写经办人姓名 expected who acts (not empty)")
    if action not in CHAIN:
        raise Refused(
            f"丧葬补助金申领无此操作 no action {action!r} on a subsidy case ({', '.join(CHAIN)})"
        )
    start, to_state = CHAIN[action]
    if state == CLOSED:
        raise Refused(f"案件 {case['case_id']} 已办结 the claim is closed")
    refusing = action == "archive" and state != "paid"  # a refused claim closes so
    if state != start and not refusing:
        raise Refused(
            f"案件 {case['case_id']} 当前状态 {state}，下一步为 {_NEXT[state]} "
            f"not allowed in state {state}: the next step is {_NEXT[state]}"
        )
    need = STEP_ROLE.get(action)
    if request.role == SYSTEM or (need and request.role != need):
        raise Refused(
            f"角色 {request.role} 不能 {action} role {request.role} may not {action} "
            f"(needs {need or 'a staff role'})"
        )
    if refusing and state in REFUSE_LATE and request.role not in REFUSE_LATE_ROLES:
        raise NotYourRole(
            f"案件 {case['case_id']} 已{state}，仅市局可不予发放并归档 only a supervisor may "
            f"archive (refuse) a claim in state {state}"
        )
    if action in ("city_approve", "pay"):
        _death_stands(case, others)
    new = {**case, "state": to_state}
    against = ineligible(case)
    second = _paid_before(case, others)
    if second and "second_claim" not in against:
        against.append("second_claim")
    event_kw: dict = {}
    if action == "apply":
        applicant, relation = (request.applicant or "").strip(), (request.relation or "").strip()
        if not (applicant and relation and note):
            raise Refused(
                "受理须填写申请人、与死者关系及所交材料 apply needs --applicant NAME, "
                "--relation and --note (the documents handed in)"
            )
        details = _APPLY_NOTE.format(applicant=applicant, relation=relation, documents=note)
        event_kw["note"] = details + (
            f"；不符合条件 ineligible: {','.join(against)}" if against else ""
        )
    elif action == "city_approve" and against:
        if not request.override:
            raise Refused(
                f"案件 {case['case_id']} 不符合领取条件（{','.join(against)}），"
                f"须 --override 并写明理由 ineligible: approve only with --override and --note"
            )
        if not note:
            raise Refused("特批须写明理由 --override needs --note (why it is paid)")
        event_kw["note"] = f"特批 override ({','.join(against)})：{note}"
    elif action == "pay":
        approver = next(
            (e["by_name"] for e in reversed(events) if e["action"] == "city_approve"), None
        )
        if approver is not None and approver.strip() == by:
            raise NotYourRole(
                f"案件 {case['case_id']} 审批人与发放人不得为同一人 the one who approved "
                f"({approver}) may not also pay"
            )
        return _pay(case, others, request, by, on, at)
    elif action == "archive" and refusing:
        if not note:
            raise Refused("未发放即归档须写明不予发放理由 archive before pay needs --note (why)")
        new["close_reason"] = "refused"
    if to_state == CLOSED:
        new["close_reason"] = new.get("close_reason") or "archived"
        new["closed_on"] = on.isoformat()
    return [(new, _event(case, request, by, at, to_state, **event_kw))]


def _pay(
    case: dict, others: list[dict], request: Request, by: str, on: dt.date, at: dt.datetime
) -> list[tuple[dict, dict]]:
    """Pay the subsidy less the person's outstanding overpayment; that recovery case is
    credited with the offset (its own event)."""
    if request.to not in PAY_TO:
        raise Refused(
            f"--to: 须发放至社保卡或银行账户 card|account, 不能 {request.to!r} "
            f"(cash is not allowed)"
        )
    due = case["amount_due_fen"]
    if not due:
        raise Refused(f"案件 {case['case_id']} 补助金额未知 the subsidy amount is not known")
    recovery = next(
        (
            o
            for o in others
            if o["kind"] == "recovery" and o["basis"] == OVERPAID and o["state"] != CLOSED
        ),
        None,
    )
    balance = 0
    if recovery is not None:
        balance = (recovery["amount_due_fen"] or 0) - (recovery["amount_recovered_fen"] or 0)
    offset = min(due, max(balance, 0))
    payout = due - offset
    if request.amount is not None and to_fen(request.amount) != payout:
        raise Refused(
            f"发放金额应为 {payout / 100:.2f} 元（补助金 {due / 100:.2f} 抵扣多领 "
            f"{offset / 100:.2f}） the payout is {payout / 100:.2f}"
        )
    text = f"发放 {payout / 100:.2f} 元至 {request.to}"
    if offset:
        text += f"；抵扣追回案件 {recovery['case_id']} {offset / 100:.2f} 元 offset"
    if request.note:
        text += f"；{request.note.strip()}"
    new = {**case, "state": "paid", "amount_recovered_fen": due, "balance_since": on.isoformat()}
    changes = [
        (
            new,
            _event(case, request, by, at, "paid", amount_fen=payout, note=text, outcome=request.to),
        )
    ]
    if offset:
        credited = (recovery["amount_recovered_fen"] or 0) + offset
        after = CLOSED if offset == balance else "partly_recovered"
        paid_back = {
            **recovery,
            "state": after,
            "amount_recovered_fen": credited,
            "balance_since": on.isoformat(),
        }
        if after == CLOSED:
            paid_back |= {"close_reason": "recovered", "closed_on": on.isoformat()}
        changes.append(
            (
                paid_back,
                _event(
                    recovery,
                    request,
                    by,
                    at,
                    after,
                    action="subsidy_offset",
                    amount_fen=offset,
                    note=f"以丧葬补助金 {case['case_id']} 抵扣 offset by the funeral subsidy",
                ),
            )
        )
    return changes
