"""An action taken at the desk (案件办理): the command line's rules, with an HTTP answer.

The desk records an action exactly as `pensionlink cases act` does
(`pensionlink.cases_cli.record_action`: the same state machine, policy and one-line
refusal); what it adds is who may ask — the area and the role, decided on the server
from the logged-in user, never typed — and which HTTP status a refusal is: 403 outside
the user's area or role, 409 not allowed in the case's state, 400 what the action lacks
(an amount, an outcome, a note), 404 no such case.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pensionlink.cases.machine import ACTIONS, NotYourRole, Refused, Request
from pensionlink.cases.model import CLOSED
from pensionlink.cases.store import CaseStoreBusy, CaseStoreUnreachable
from pensionlink.cases.subsidy import CHAIN
from pensionlink.cases_cli import record_action
from pensionlink.desk.accounts import DeskUser, machine_role

__all__ = ["ActionAsked", "Outcome", "state_allows", "take_action"]


@dataclass(frozen=True)
class ActionAsked:
    """What the browser or another system asked for (the API's JSON)."""

    action: str
    note: str | None = None
    amount: str | None = None
    outcome: str | None = None
    applicant: str | None = None
    relation: str | None = None
    override: bool = False
    to: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The answer: HTTP status, the one line to show, the case's state after it."""

    status: int
    message: str
    state: str | None = None
    opened: str | None = None  # a case the action opened (apply_advance: the advance)


def state_allows(kind: str, action: str, state: str) -> bool | None:
    """Whether `action` may start from `state` (None: an action the desk does not know)."""
    if kind == "subsidy" and action in CHAIN:
        return state != CLOSED and (CHAIN[action][0] == state or action == "archive")
    if (kind, action) in ACTIONS:
        return state in ACTIONS[(kind, action)][0]
    return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def take_action(
    db: Path, user: DeskUser, case: dict, area: tuple[str | None, str | None], asked: ActionAsked
) -> Outcome:
    """Record `asked` on `case` (the case store's row) for `user`, whose area decides
    whether they may (`area` = the case's township and village)."""
    if not user.covers(*area):
        return Outcome(403, f"案件 {case['case_id']} 不在您的辖区 not in your area")
    role = machine_role(user, case["kind"], asked.action)
    if role is None:
        return Outcome(
            403,
            f"{user.role_word}不能办理 {asked.action} role {user.role} may not {asked.action}",
        )
    request = Request(
        action=asked.action,
        by=user.name,
        role=role,
        note=_text(asked.note),
        amount=_text(asked.amount),
        outcome=_text(asked.outcome),
        applicant=_text(asked.applicant),
        relation=_text(asked.relation),
        override=bool(asked.override),
        to=_text(asked.to),
    )
    try:
        new = record_action(db, case["case_id"], request)
    except LookupError as exc:
        return Outcome(404, str(exc))
    except CaseStoreBusy as exc:
        return Outcome(503, str(exc))
    except CaseStoreUnreachable as exc:
        return Outcome(503, f"案件库无法连接 case store unreachable: {exc}")
    except NotYourRole as exc:
        return Outcome(403, str(exc), case["state"])
    except Refused as exc:
        allowed = state_allows(case["kind"], asked.action, case["state"])
        if allowed is None:
            status = 409 if "状态" in str(exc) else 400
        else:
            status = 400 if allowed else 409
        return Outcome(status, str(exc), case["state"])
    if new["case_id"] != case["case_id"]:  # an action that opened a case (apply_advance)
        return Outcome(
            200,
            f"已记录 recorded: {case['case_id']} {asked.action}；已立案 opened {new['case_id']}",
            case["state"],
            opened=new["case_id"],
        )
    return Outcome(
        200, f"已记录 recorded: {case['case_id']} {asked.action} → {new['state']}", new["state"]
    )
