"""The state machine: what staff may do in which state and role, and what it refuses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pensionlink.cases.machine import NotYourRole, Refused, Request, allowed_actions, step, to_fen
from pensionlink.cases.model import CASE_SCHEMA

AT = dt.datetime(2026, 12, 1, 9, 30)


def case(kind: str, state: str, **values) -> dict:
    prefix = {"death": "D", "recovery": "R", "uninsured": "U"}[kind]
    return {
        **dict.fromkeys(CASE_SCHEMA),
        "case_id": f"{prefix}000001",
        "kind": kind,
        "state": state,
        "amount_recovered_fen": 0,
        **values,
    }


def do(c: dict, action: str, **kw) -> tuple[dict, dict]:
    return step(c, Request(action, kw.pop("by", "李经办"), **kw), objection_days=15, at=AT)


def test_death_path_from_review_to_suspended():
    c, e = do(case("death", "to_verify"), "verify_dead")
    assert (c["state"], e["from_state"], e["to_state"]) == ("confirmed", "to_verify", "confirmed")
    c, e = do(c, "notify", on=dt.date(2026, 11, 30))
    assert c["state"] == "notified"
    assert (c["notice_date"], c["objection_until"]) == ("2026-11-30", "2026-12-15")
    with pytest.raises(Refused, match="objection_passed"):  # money stops only after the window
        do(c, "suspend")
    c, _ = do({**c, "state": "objection_passed"}, "suspend")
    assert c["state"] == "suspended"
    assert e["by_name"] == "李经办" and e["role"] == "clerk"


@pytest.mark.parametrize(
    "state", ["to_verify", "confirmed", "notified", "objection_passed", "suspended"]
)
def test_verify_alive_closes_a_death_from_every_open_state(state):
    c, e = do(case("death", state), "verify_alive", note="本人到场", role="supervisor")
    assert (c["state"], c["close_reason"], c["closed_on"]) == ("closed", "alive", "2026-12-01")
    assert e["note"] == "本人到场"


@pytest.mark.parametrize("role", ["clerk", "township", "finance"])
def test_only_a_supervisor_undoes_a_verified_death(role):
    """A village or township clerk may close a death still to verify as alive, but not one
    the city confirmed, the family was told of, or whose money was stopped."""
    c, _ = do(case("death", "to_verify"), "verify_alive", role=role)
    assert c["close_reason"] == "alive"
    for state in ("confirmed", "notified", "objection_passed", "suspended"):
        with pytest.raises(NotYourRole, match="仅市局可改为生存"):
            do(case("death", state), "verify_alive", role=role)


@pytest.mark.parametrize(
    ("kind", "state", "action", "words"),
    [
        ("death", "suspended", "notify", "not allowed in state suspended"),
        ("death", "to_verify", "notify", "not allowed in state to_verify"),
        ("death", "closed", "verify_dead", "not allowed in state closed"),
        ("death", "confirmed", "record_recovery", "no action 'record_recovery'"),
        ("uninsured", "to_contact", "apply_advance", "no action 'apply_advance'"),  # advance.py
        ("recovery", "closed", "record_recovery", "not allowed in state closed"),
    ],
)
def test_refusals_are_one_line_chinese_first(kind, state, action, words):
    with pytest.raises(Refused) as refused:
        do(case(kind, state, amount_due_fen=1000), action, role="finance", amount="1")
    message = str(refused.value)
    assert words in message and "\n" not in message
    assert "\u4e00" <= message[0] <= "\u9fff" or message.startswith("--")


def test_by_and_role_are_checked():
    with pytest.raises(Refused, match="--by"):
        do(case("death", "to_verify"), "verify_dead", by="  ")
    with pytest.raises(Refused, match="unknown role 'system'"):
        do(case("death", "to_verify"), "verify_dead", role="system")
    with pytest.raises(Refused, match="needs finance or supervisor"):
        do(case("recovery", "outstanding", amount_due_fen=100), "record_recovery", amount="1")


def test_recovery_balance_with_partial_payments():
    c = case("recovery", "outstanding", amount_due_fen=120050)
    c, e = do(c, "record_recovery", role="finance", amount="20.05")
    assert (c["state"], c["amount_recovered_fen"], e["amount_fen"]) == (
        "partly_recovered",
        2005,
        2005,
    )
    with pytest.raises(Refused, match="exceeds the balance"):
        do(c, "record_recovery", role="finance", amount="1180.46")
    for bad in (None, "0", "-5", "1.234", "abc"):
        with pytest.raises(Refused):
            do(c, "record_recovery", role="finance", amount=bad)
    c, _ = do(c, "record_recovery", role="finance", amount="1180.45")
    assert (c["state"], c["close_reason"], c["amount_recovered_fen"]) == (
        "closed",
        "recovered",
        120050,
    )


def test_write_off_needs_a_note_and_a_supervisor():
    c = case("recovery", "partly_recovered", amount_due_fen=5000, amount_recovered_fen=1000)
    with pytest.raises(Refused, match="--note"):
        do(c, "write_off", role="supervisor")
    with pytest.raises(Refused, match="needs supervisor"):
        do(c, "write_off", role="finance", note="无继承人")
    c, e = do(c, "write_off", role="supervisor", note="无继承人，无可追回财产")
    assert (c["state"], c["close_reason"], e["note"]) == (
        "closed",
        "written_off",
        "无继承人，无可追回财产",
    )


def test_contacted_outcomes():
    c, e = do(case("uninsured", "to_contact"), "contacted", outcome="外出务工")
    assert (c["state"], c["outcome"], e["outcome"]) == ("contacted", "外出务工", "外出务工")
    c, _ = do(c, "contacted", outcome="已在外地参保")
    assert (c["state"], c["close_reason"]) == ("closed", "covered_elsewhere")
    with pytest.raises(Refused, match="--outcome"):
        do(case("uninsured", "to_contact"), "contacted", outcome="不在家")


def test_allowed_actions():
    assert allowed_actions("death", "confirmed") == ["verify_alive", "notify"]
    assert allowed_actions("death", "closed") == []


def test_a_notice_cannot_be_backdated_or_dated_ahead():
    """A notice dated before the case opened would shorten the family's objection window."""
    c = case("death", "confirmed", opened_on="2026-11-28")
    with pytest.raises(Refused, match="早于案件立案之日 2026-11-28"):
        do(c, "notify", on=dt.date(2026, 1, 1))
    with pytest.raises(Refused, match="晚于今天"):
        do(c, "notify", on=dt.date(2026, 12, 2))
    n, _ = do(c, "notify", on=dt.date(2026, 11, 28))
    assert n["objection_until"] == "2026-12-13"


@pytest.mark.parametrize("amount", ["1e30", "Infinity", "NaN", "-1", "0", "1.005", "一百"])
def test_an_amount_that_is_no_fen_is_refused_not_a_crash(amount):
    with pytest.raises(Refused, match="--amount"):
        to_fen(amount)
    assert to_fen("120.50") == 12050 and to_fen(Decimal("0.01")) == 1
