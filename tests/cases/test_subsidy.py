"""The funeral subsidy claim (丧葬补助金申领): opened by the night, its chain of steps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from pensionlink.cases.candidates import night_candidates
from pensionlink.cases.keys import person_keys
from pensionlink.cases.lifecycle import CANDIDATE_SCHEMA, FACT_SCHEMA, night_changes
from pensionlink.cases.machine import NotYourRole, Refused, Request
from pensionlink.cases.model import CASE_SCHEMA, CLOSED
from pensionlink.cases.subsidy import CHAIN, subsidy_step
from pensionlink.cases.worklist import NEXT_STEP
from pensionlink.reports.labels import CASE_ACTION, CASE_STATE, CLOSE_REASON
from pensionlink.settings import BUNDLED_POLICY, load_policy
from pensionlink.vocabulary import RECEIVING, SUSPENDED, TERMINATED

AT = dt.datetime(2026, 12, 1, 10, 0)
KEY = b"k" * 32


def claim(state: str = "to_apply", outcome: str = "eligible", due: int | None = 50000) -> dict:
    return {
        **dict.fromkeys(CASE_SCHEMA),
        "case_id": "S000001",
        "kind": "subsidy",
        "number": 1,
        "basis": "subsidy",
        "person_key": "p1",
        "state": state,
        "opened_on": "2026-11-01",
        "amount_due_fen": due,
        "amount_recovered_fen": 0,
        "outcome": outcome,
    }


def overpaid(due: int, recovered: int = 0) -> dict:
    return {
        **dict.fromkeys(CASE_SCHEMA),
        "case_id": "R000007",
        "kind": "recovery",
        "number": 7,
        "basis": "overpaid",
        "person_key": "p1",
        "state": "outstanding" if not recovered else "partly_recovered",
        "opened_on": "2026-11-01",
        "amount_due_fen": due,
        "amount_recovered_fen": recovered,
    }


def death(state: str = "confirmed", close_reason: str | None = None) -> dict:
    return {
        **dict.fromkeys(CASE_SCHEMA),
        "case_id": "D000003",
        "kind": "death",
        "number": 3,
        "basis": "death",
        "person_key": "p1",
        "state": state,
        "close_reason": close_reason,
        "opened_on": "2026-11-01",
    }


def act(case: dict, action: str, role: str = "clerk", others=(), dead=None, **kw):
    """`dead`: the person's death case (a confirmed one unless told)."""
    people = [*others, dead or death()]
    return subsidy_step(case, people, Request(action, "李经办", role, **kw), at=AT)


APPLY = {"applicant": "王某", "relation": "儿子", "note": "死亡证明、身份证、户口簿"}
ROLE = {"village_check": "clerk", "township_check": "township", "city_approve": "supervisor"}


def test_the_whole_chain_in_order():
    case = claim()
    states = []
    for action in CHAIN:
        kw = APPLY if action == "apply" else {}
        if action == "pay":
            kw = {"to": "card"}
        role = {**ROLE, "pay": "finance"}.get(action, "clerk")
        [(case, event)] = act(case, action, role, **kw)
        states.append(case["state"])
        assert event["action"] == action and event["by_name"] == "李经办"
    assert states == ["applied", "village_checked", "township_checked", "approved", "paid", CLOSED]
    assert case["close_reason"] == "archived"


@pytest.mark.parametrize("action", ["village_check", "township_check", "city_approve", "pay"])
def test_no_step_is_skipped_and_the_refusal_names_the_next(action):
    with pytest.raises(Refused, match="下一步为 apply"):
        act(claim(), action, {**ROLE, "pay": "finance"}.get(action), to="card")


@pytest.mark.parametrize(
    ("action", "state", "wrong"),
    [
        ("village_check", "applied", "township"),
        ("township_check", "village_checked", "clerk"),
        ("city_approve", "township_checked", "township"),
        ("pay", "approved", "supervisor"),
    ],
)
def test_each_check_in_its_own_role(action, state, wrong):
    with pytest.raises(Refused, match=f"角色 {wrong} 不能 {action}"):
        act(claim(state), action, wrong, to="card")


def test_apply_needs_the_applicant_the_relation_and_the_documents():
    for missing in ("applicant", "relation", "note"):
        with pytest.raises(Refused, match="受理须填写"):
            act(claim(), "apply", **{**APPLY, missing: None})
    [(_, event)] = act(claim(), "apply", **APPLY)
    assert "王某（儿子）" in event["note"]


def test_an_ineligible_claim_is_recorded_and_approved_only_with_an_override_and_a_note():
    [(case, event)] = act(claim(outcome="custody"), "apply", **APPLY)
    assert case["state"] == "applied" and "custody" in event["note"]  # a home for it
    at_city = claim("township_checked", "custody,other_scheme")
    with pytest.raises(Refused, match="不符合领取条件（custody,other_scheme）"):
        act(at_city, "city_approve", "supervisor")
    with pytest.raises(Refused, match="特批须写明理由"):
        act(at_city, "city_approve", "supervisor", override=True)
    [(case, event)] = act(at_city, "city_approve", "supervisor", override=True, note="法院改判")
    assert case["state"] == "approved" and event["note"].startswith("特批")


def test_a_second_claim_after_one_paid_is_refused_at_city_approval():
    paid = {**claim("closed"), "case_id": "S000000", "close_reason": "archived"}
    with pytest.raises(Refused, match="second_claim"):
        act(claim("township_checked"), "city_approve", "supervisor", others=[paid])


def test_an_eligible_claim_needs_no_override():
    [(case, _)] = act(claim("township_checked"), "city_approve", "supervisor")
    assert case["state"] == "approved"


def test_cash_is_refused_in_one_line():
    for to in ("cash", None):
        with pytest.raises(Refused, match="cash is not allowed") as refused:
            act(claim("approved"), "pay", "finance", to=to)
        assert "\n" not in str(refused.value)


def test_pay_offsets_the_overpayment_to_the_fen():
    # subsidy 500.00, overpaid 123.45 of which 20.01 already recovered: balance 103.44
    recovery = overpaid(12345, 2001)
    (paid, event), (credited, offset) = act(
        claim("approved"), "pay", "finance", others=[recovery], to="account", on=AT.date()
    )
    assert event["amount_fen"] == 50000 - 10344 == 39656
    assert event["outcome"] == "account" and "R000007 103.44" in event["note"]
    assert paid["state"] == "paid"
    assert offset["case_id"] == "R000007" and offset["action"] == "subsidy_offset"
    assert offset["amount_fen"] == 10344
    assert credited["amount_recovered_fen"] == 12345 and credited["state"] == CLOSED
    assert credited["close_reason"] == "recovered"


def test_an_overpayment_larger_than_the_subsidy_stays_partly_recovered():
    (_, event), (credited, offset) = act(
        claim("approved", due=50000), "pay", "finance", others=[overpaid(80000)], to="card"
    )
    assert event["amount_fen"] == 0 and offset["amount_fen"] == 50000
    assert credited["state"] == "partly_recovered" and credited["amount_recovered_fen"] == 50000


def test_pay_amount_given_must_be_the_payout():
    with pytest.raises(Refused, match=r"发放金额应为 396\.56"):
        act(claim("approved"), "pay", "finance", others=[overpaid(10344)], to="card", amount="500")
    [(_, event)] = act(claim("approved"), "pay", "finance", to="card", amount="500.00")
    assert event["amount_fen"] == 50000


def test_archive_before_payment_is_a_refusal_with_a_note():
    with pytest.raises(Refused, match="不予发放理由"):
        act(claim("applied"), "archive")
    [(case, _)] = act(claim("applied"), "archive", note="死亡时在服刑，不予发放")
    assert case["state"] == CLOSED and case["close_reason"] == "refused"


def test_who_approved_may_not_also_pay():
    """审批人与发放人不得为同一人: the approval's `by` is read from the claim's events."""
    [(approved, approval)] = act(claim("township_checked"), "city_approve", "supervisor")
    assert approval["by_name"] == "李经办"
    with pytest.raises(NotYourRole, match="审批人与发放人不得为同一人"):
        subsidy_step(
            approved,
            [death()],
            Request("pay", " 李经办 ", "finance", to="card"),
            at=AT,
            events=[approval],
        )
    [(paid, event)] = subsidy_step(
        approved,
        [death()],
        Request("pay", "朴会计", "finance", to="card"),
        at=AT,
        events=[approval],
    )
    assert (paid["state"], event["by_name"]) == ("paid", "朴会计")


@pytest.mark.parametrize("state", ["township_checked", "approved"])
def test_only_a_supervisor_refuses_a_claim_past_the_township(state):
    for role in ("clerk", "township", "finance"):
        with pytest.raises(NotYourRole, match="仅市局可不予发放"):
            act(claim(state), "archive", role, note="村里说不发")
    [(case, _)] = act(claim(state), "archive", "supervisor", note="死亡时在服刑，不予发放")
    assert case["close_reason"] == "refused"


def _deaths(rows: list[dict]) -> pl.DataFrame:
    base = {
        "evidence": ["hukou"],
        "death_date": dt.date(2026, 10, 3),
        "decision": "confirmed",
        "to_recover": None,
        "funeral_subsidy": 500.0,
    }
    return pl.DataFrame([{**base, **r} for r in rows])


def test_a_claim_opens_only_for_a_person_receiving_a_pension():
    deaths = _deaths(
        [
            {"citizen_id": "A", "status_at_death": RECEIVING, "roster_status": RECEIVING},
            {"citizen_id": "B", "status_at_death": SUSPENDED, "roster_status": SUSPENDED},
            {"citizen_id": "C", "status_at_death": SUSPENDED, "roster_status": RECEIVING},
            {"citizen_id": "D", "status_at_death": TERMINATED, "roster_status": TERMINATED},
        ]
    )
    funeral = pl.DataFrame(
        {"citizen_id": ["A"], "kind": ["duplicate_other_scheme"], "amount_to_recover": [0.0]}
    ).with_columns(decision=pl.lit("confirmed"))
    found = night_candidates(
        {"deaths_to_deregister": deaths, "duplicate_funeral_benefits": funeral},
        KEY,
        lambda day: Decimal("500.00"),
    )
    claims = found.filter(pl.col("kind") == "subsidy")
    assert claims.height == 2  # A and C, not B nor D
    assert sorted(claims["outcome"].to_list()) == ["not_receiving", "other_scheme"]
    assert claims["amount_due_fen"].to_list() == [50000, 50000]
    assert set(claims["state"]) == {"to_apply"}


TWO_SUBSIDIES = """
[funeral_subsidy]
values = [
  { from = 2021-01-01, value = "600.00" },
  { from = 2024-07-01, value = "812.34" },
]
"""


def test_the_amount_is_the_policys_on_the_date_of_death_whatever_the_eligibility(tmp_path):
    text = BUNDLED_POLICY.read_text(encoding="utf-8")
    start = text.index("[funeral_subsidy]")
    end = text.index("[advance_cap]")
    path = tmp_path / "policy.toml"
    path.write_text(text[:start] + TWO_SUBSIDIES.lstrip() + "\n" + text[end:], encoding="utf-8")
    policy = load_policy(dt.date(2026, 11, 1), path)
    deaths = _deaths(
        [  # the night's row says 0 for the one not receiving at death, 500 for the others
            {"citizen_id": "A", "death_date": dt.date(2024, 6, 30), "status_at_death": RECEIVING},
            {"citizen_id": "B", "death_date": dt.date(2024, 7, 1), "status_at_death": RECEIVING},
            {
                "citizen_id": "C",
                "death_date": dt.date(2025, 2, 3),
                "status_at_death": SUSPENDED,
                "funeral_subsidy": 0.0,
            },
            {"citizen_id": "D", "death_date": dt.date(2020, 5, 1), "status_at_death": RECEIVING},
            {"citizen_id": "E", "death_date": None, "status_at_death": RECEIVING},
        ]
    ).with_columns(roster_status=pl.lit(RECEIVING))
    found = night_candidates(
        {"deaths_to_deregister": deaths}, KEY, policy.value_on("funeral_subsidy")
    ).filter(pl.col("kind") == "subsidy")
    keys = person_keys(pl.Series(["A", "B", "C", "D", "E"]), KEY).to_list()
    due = dict(zip(found["person_key"], found["amount_due_fen"], strict=True))
    # 600 until 2024-06-30; 812.34 from 2024-07-01, to the fen, also for the claim of the
    # person not receiving (an override has an amount); before the policy / no date: none
    assert [due[k] for k in keys] == [60000, 81234, 81234, None, None]


def test_a_claim_without_an_amount_is_not_paid():
    with pytest.raises(Refused, match="补助金额未知"):
        act(claim("approved", due=None), "pay", "finance", to="card")


def _cand(kind: str, state: str, outcome: str | None = None) -> dict:
    return {
        "kind": kind,
        "basis": kind,
        "person_key": "p1",
        "fingerprint": "fp",
        "state": state,
        "amount_due_fen": 50000 if kind == "subsidy" else None,
        "to_recover_fen": None,
        "outcome": outcome,
    }


def _night(cases: pl.DataFrame, cands: list[dict], run: str, day: dt.date):
    changes = night_changes(
        cases,
        pl.DataFrame(cands, schema=CANDIDATE_SCHEMA),
        pl.DataFrame(schema=FACT_SCHEMA),
        run,
        day,
        AT,
    )
    rest = cases.filter(~pl.col("case_id").is_in(changes.updated["case_id"].implode()))
    return pl.concat([rest, changes.updated, changes.opened]).sort("case_id"), changes


def test_the_night_opens_a_claim_with_its_death_and_closes_it_only_with_it():
    d1, d2, d3 = dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3)
    both = [_cand("death", "confirmed"), _cand("subsidy", "to_apply", "eligible")]
    cases, first = _night(pl.DataFrame(schema=CASE_SCHEMA), both, "r1", d1)
    assert first.opened["case_id"].to_list() == ["D000001", "S000001"]
    # the claim goes on (village checked) while the death stays found: kept, no event
    cases = cases.with_columns(
        state=pl.when(pl.col("kind") == "subsidy")
        .then(pl.lit("village_checked"))
        .otherwise("state")
    )
    cases, second = _night(cases, both, "r2", d2)
    assert second.events.is_empty()
    # the death's evidence vanishes: both close, the claim with a note of where it was
    cases, third = _night(cases, [], "r3", d3)
    claim_row = cases.filter(pl.col("kind") == "subsidy").row(0, named=True)
    assert claim_row["state"] == CLOSED and claim_row["close_reason"] == "evidence_gone"
    [note] = third.events.filter(pl.col("case_id") == "S000001")["note"].to_list()
    assert "D000001" in note and "village_checked" in note


def test_a_claim_stays_open_when_its_death_is_deregistered():
    both = [_cand("death", "confirmed"), _cand("subsidy", "to_apply", "eligible")]
    cases, _ = _night(pl.DataFrame(schema=CASE_SCHEMA), both, "r1", dt.date(2026, 11, 1))
    changes = night_changes(
        cases,
        pl.DataFrame(schema=CANDIDATE_SCHEMA),
        pl.DataFrame(
            [{"person_key": "p1", "deregistered": True, "enrolled": False}], schema=FACT_SCHEMA
        ),
        "r2",
        dt.date(2026, 11, 2),
        AT,
    )
    assert changes.updated["case_id"].to_list() == ["D000001"]
    assert changes.updated["close_reason"].to_list() == ["deregistered"]


def test_no_claim_without_its_death_case():
    _cases, changes = _night(
        pl.DataFrame(schema=CASE_SCHEMA),
        [_cand("subsidy", "to_apply", "eligible")],
        "r1",
        dt.date(2026, 11, 1),
    )
    assert changes.opened.is_empty()


def test_staff_words_for_every_subsidy_state_and_action():
    states = {s for start, end in CHAIN.values() for s in (start, end)}
    assert states <= set(CASE_STATE)
    assert set(CHAIN) | {"subsidy_offset", "closed_archived", "closed_refused"} <= set(CASE_ACTION)
    assert {"archived", "refused"} <= set(CLOSE_REASON)
    assert {s for start, _ in CHAIN.values() for s in [start]} == {
        st for k, st in NEXT_STEP if k == "subsidy"
    }


@pytest.mark.parametrize(
    ("dead", "allowed"),
    [
        (death("to_verify"), False),
        (death(CLOSED, "alive"), False),
        (death(CLOSED, "evidence_gone"), False),
        (death("notified"), True),
        (death(CLOSED, "deregistered"), True),
    ],
)
def test_no_subsidy_is_approved_or_paid_on_a_death_not_verified(dead, allowed):
    """A living person reported dead: no approval, no payment, override or not."""
    for state, action, role, kw in (
        ("township_checked", "city_approve", "supervisor", {"override": True, "note": "特批"}),
        ("approved", "pay", "finance", {"to": "card"}),
    ):
        if allowed:
            assert act(claim(state), action, role, dead=dead, **kw)
        else:
            with pytest.raises(Refused, match="死亡尚未核实"):
                act(claim(state), action, role, dead=dead, **kw)
