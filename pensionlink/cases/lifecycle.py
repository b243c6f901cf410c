"""The night's case lifecycle (案件夜间流转): last night's cases and tonight's findings in,
the cases opened, kept, moved and closed out. Pure (polars frames in and out, no I/O).

- A finding with no open case opens one (state from the finding: a death the rules confirm
  opens `confirmed`, one for review `to_verify`).
- An open case whose finding is still there is kept (`last_seen_run`); no event.
- An open case whose finding is gone closes by the data: a death whose roster record is
  终止 'deregistered', an uninsured person now on a roster 'enrolled', otherwise
  'evidence_gone' (依据消失). A recovery stays open until it is recovered or written off
  (or its death no longer stands, below).
- System steps: a death the rules no longer confirm goes back to `to_verify` (unless
  staff verified it dead on this very evidence: then the finding is confirmed); a notified
  death whose objection window (异议期) has passed moves to `objection_passed`; from then
  its amount to recover opens a recovery case. A case being verified (`to_verify`) takes
  tonight's fingerprint, so a staff decision is keyed by the evidence staff saw.
- A recovery of a death's overpayment closes 'death_not_confirmed' when its death no
  longer stands: verified alive, back to be verified, or closed 依据消失 (a death closed
  'deregistered' stands). Nothing is asked of a family whose death was not confirmed.
- A funeral subsidy claim (丧葬补助金申领, 'S…') opens with the death case of a person
  receiving a pension, whatever the eligibility (`outcome` says what the night knew; a
  claim after one archived is a second claim). It does not close when its finding goes
  (the roster's 终止 is the normal course); it closes 'evidence_gone', with a note of how
  far the claim had got, only when its death closes verified alive or 依据消失.
- A finding that comes back after its case closed opens a new case, except where staff
  decided it: the same evidence (fingerprint of sources and dates) never reopens a death
  verified alive (`verify_alive`) or a person covered elsewhere; new evidence opens a new
  case that refers to the old one.
Running the same night again adds no event and no case (only `last_seen_run` moves).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pensionlink.cases.model import (
    CASE_SCHEMA,
    CLOSED,
    EVENT_SCHEMA,
    KIND_PREFIX,
    SYSTEM,
    NightChanges,
)

__all__ = ["CANDIDATE_SCHEMA", "FACT_SCHEMA", "HELD_BY", "night_changes"]

#: One row per finding that is (or would be) a case tonight.
CANDIDATE_SCHEMA = {
    "kind": pl.String,
    "basis": pl.String,
    "person_key": pl.String,
    "fingerprint": pl.String,
    "state": pl.String,  # the state a new case opens in
    "amount_due_fen": pl.Int64,
    "to_recover_fen": pl.Int64,  # a death's overpayment, owed once the window passed
    "outcome": pl.String,  # a subsidy claim: what the night knew against it (or 'eligible')
}
#: What the night's rosters say about a person, for the reason a case closes.
FACT_SCHEMA = {"person_key": pl.String, "deregistered": pl.Boolean, "enrolled": pl.Boolean}
#: Close reasons that hold: the same finding on the same evidence does not reopen.
HELD_BY = ("alive", "covered_elsewhere", "recovered", "written_off", "archived", "refused")
#: A subsidy claim before city approval takes tonight's eligibility (`outcome`).
_BEFORE_APPROVAL = ("to_apply", "applied", "village_checked", "township_checked")
#: A death closed so: its funeral subsidy claim closes with it ('evidence_gone').
_DEATH_GONE = ("alive", "evidence_gone")
_AFTER_WINDOW = ("objection_passed", "suspended")
_BEFORE_SUSPENSION = ("confirmed", "notified", "objection_passed")
#: The recovery of a death's overpayment (opened once its objection window passed).
OVERPAID = "overpaid"


def _event(
    case_id: str,
    action: str,
    before: str | None,
    after: str,
    run_id: str,
    at: str,
    note: str | None = None,
    amount_fen: int | None = None,
) -> dict:
    return {
        "event_id": None,
        "case_id": case_id,
        "at": at,
        "by_name": SYSTEM,
        "role": SYSTEM,
        "action": action,
        "from_state": before,
        "to_state": after,
        "note": note,
        "amount_fen": amount_fen,
        "outcome": None,
        "run_id": run_id,
    }


def night_changes(
    cases: pl.DataFrame,
    candidates: pl.DataFrame,
    facts: pl.DataFrame,
    run_id: str,
    as_of: dt.date,
    at: dt.datetime,
    hold: frozenset[str] = frozenset(),
) -> NightChanges:
    """The night's changes to `cases` (every case so far, `CASE_SCHEMA`) given tonight's
    `candidates` (`CANDIDATE_SCHEMA`) and `facts` (`FACT_SCHEMA`).

    `hold`: cases a person acted on after tonight's decisions were read. Tonight's
    findings do not know that action, so the night neither moves nor closes them (it only
    marks them seen); the next night decides with the action applied."""
    day, stamp = as_of.isoformat(), at.isoformat(timespec="microseconds")
    rows = cases.to_dicts()
    open_cases = {(c["kind"], c["basis"], c["person_key"]): c for c in rows if c["state"] != CLOSED}
    last_closed: dict[tuple, dict] = {}
    for c in sorted((c for c in rows if c["state"] == CLOSED), key=lambda c: c["number"]):
        last_closed[(c["kind"], c["basis"], c["person_key"])] = c
    numbers = {
        k: max((c["number"] for c in rows if c["kind"] == k), default=0) for k in KIND_PREFIX
    }
    wanted = {(c["kind"], c["basis"], c["person_key"]): c for c in candidates.to_dicts()}
    # only an open case's person needs the roster's facts (why it closes): not the
    # roster's every person as a dict (1M people: 0.5 GB and 1 s)
    open_people = pl.Series("person_key", [c["person_key"] for c in open_cases.values()], pl.String)
    fact = {
        f["person_key"]: f
        for f in facts.filter(pl.col("person_key").is_in(open_people.implode())).to_dicts()
    }
    changed: dict[str, dict] = {}
    events: list[dict] = []

    def move(case: dict, action: str, state: str, note: str | None = None, **values) -> None:
        new = {**changed.get(case["case_id"], case), **values, "state": state}
        events.append(_event(case["case_id"], action, case["state"], state, run_id, stamp, note))
        changed[case["case_id"]] = new
        open_cases[(case["kind"], case["basis"], case["person_key"])] = new

    # System steps on open cases. A death the rules no longer confirm (a conflict came in:
    # a later visit, another date) goes back to be verified before any money stops.
    for key, case in list(open_cases.items()):
        if case["kind"] != "death" or case["case_id"] in hold:
            continue
        tonight = wanted.get(key, {}).get("state")
        if tonight == "to_verify" and case["state"] in _BEFORE_SUSPENSION:
            move(case, "back_to_verify", "to_verify")
        elif (
            case["state"] == "notified"
            and case["objection_until"]
            and case["objection_until"] < day
        ):
            move(case, "objection_passed", "objection_passed")
        elif case["state"] == "to_verify" and tonight == "confirmed":
            move(case, "confirmed_by_data", "confirmed")
    # A death past its objection window owes its overpayment: a recovery case, for what
    # earlier recovery cases of the person's overpayment did not already ask (recovered or
    # written off: never asked twice when another agency reports the death again).
    asked: dict[str, int] = {}
    for c in rows:
        if (
            c["kind"] == "recovery"
            and c["basis"] == OVERPAID
            and c["state"] == CLOSED
            and c["close_reason"] != "death_not_confirmed"
        ):
            asked[c["person_key"]] = asked.get(c["person_key"], 0) + (c["amount_due_fen"] or 0)
    for (kind, _basis, person), cand in list(wanted.items()):
        death = open_cases.get((kind, "death", person))
        owed = (cand["to_recover_fen"] or 0) - asked.get(person, 0)
        if kind == "death" and owed > 0 and death and death["state"] in _AFTER_WINDOW:
            wanted[("recovery", OVERPAID, person)] = {
                **cand,
                "kind": "recovery",
                "basis": OVERPAID,
                "state": "outstanding",
                "amount_due_fen": owed,
            }
    # Kept, or closed by the data.
    for key, case in list(open_cases.items()):
        if key in wanted:
            fingerprint = case["fingerprint"]
            if case["state"] == "to_verify":  # staff verify what tonight's findings show
                fingerprint = wanted[key]["fingerprint"]
            outcome = case["outcome"]
            if case["kind"] == "subsidy" and case["state"] in _BEFORE_APPROVAL:
                outcome = wanted[key]["outcome"]  # checked at apply and city_approve
            if (
                case["last_seen_run"] != run_id
                or case["fingerprint"] != fingerprint
                or case["outcome"] != outcome
            ):
                changed[case["case_id"]] = {
                    **changed.get(case["case_id"], case),
                    "last_seen_run": run_id,
                    "last_seen_on": day,
                    "fingerprint": fingerprint,
                    "outcome": outcome,
                }
            continue
        if case["kind"] in ("recovery", "subsidy", "advance"):
            continue  # money owed (or claimed) does not vanish with tonight's data (below)
        if case["case_id"] in hold:
            continue  # acted on during the run: the next night decides
        f = fact.get(case["person_key"], {})
        if case["kind"] == "death" and f.get("deregistered"):
            reason = "deregistered"
        elif case["kind"] == "uninsured" and f.get("enrolled"):
            reason = "enrolled"
        else:
            reason = "evidence_gone"
        move(
            case, f"closed_{reason}", CLOSED, closed_run=run_id, closed_on=day, close_reason=reason
        )
    # A death's overpayment is not asked for once the death no longer stands.
    now = [changed.get(c["case_id"], c) for c in rows]
    for case in now:
        if case["kind"] != "recovery" or case["basis"] != OVERPAID or case["state"] == CLOSED:
            continue
        death = _death_of(case, now)
        if death is None or death["state"] in _AFTER_WINDOW:
            continue
        if death["state"] == CLOSED and death["close_reason"] == "deregistered":
            continue
        why = death["close_reason"] if death["state"] == CLOSED else death["state"]
        note = f"死亡案件 {death['case_id']}（{why}）未认定死亡，不再追回 death not confirmed"
        if case["amount_recovered_fen"]:
            note += (
                f"；已追回 {case['amount_recovered_fen'] / 100:.2f} 元须退还 "
                f"the amount recovered is to be refunded"
            )
        reason = "death_not_confirmed"
        move(
            case,
            f"closed_{reason}",
            CLOSED,
            note,
            closed_run=run_id,
            closed_on=day,
            close_reason=reason,
        )
    # A funeral subsidy claim closes only with its death, verified alive or 依据消失.
    for case in now:
        if case["kind"] != "subsidy" or case["state"] == CLOSED or case["case_id"] in hold:
            continue
        death = _death_of(case, now)
        if death is None or death["state"] != CLOSED or death["close_reason"] not in _DEATH_GONE:
            continue
        note = (
            f"死亡案件 {death['case_id']}（{death['close_reason']}）已办结，申领随之办结 "
            f"the death no longer stands"
        )
        if case["state"] != "to_apply":
            note += f"；申领已至 {case['state']} the claim was at {case['state']}"
        if case["state"] == "paid":
            note += (
                f"；已发放 {(case['amount_due_fen'] or 0) / 100:.2f} 元须追回 "
                f"the subsidy paid is to be recovered"
            )
        move(
            case,
            "closed_evidence_gone",
            CLOSED,
            note,
            closed_run=run_id,
            closed_on=day,
            close_reason="evidence_gone",
        )
    # Opened.
    opened: list[dict] = []
    deaths_open = {k[2] for k, c in open_cases.items() if k[0] == "death" and c["state"] != CLOSED}
    for key, cand in wanted.items():
        if key in open_cases:
            continue
        before = last_closed.get(key)
        if (
            before
            and before["close_reason"] in HELD_BY
            and before["fingerprint"] == cand["fingerprint"]
        ):
            continue  # staff decided this very evidence
        if cand["kind"] == "subsidy" and cand["person_key"] not in deaths_open:
            continue  # a claim opens with its death case only
        outcome = cand.get("outcome")
        if cand["kind"] == "subsidy" and before and before["close_reason"] == "archived":
            # paid before: a second claim
            flags = {f for f in (outcome or "").split(",") if f and f != "eligible"}
            outcome = ",".join(sorted(flags | {"second_claim"}))
        if cand["kind"] == "death":
            deaths_open.add(cand["person_key"])
        numbers[cand["kind"]] += 1
        number = numbers[cand["kind"]]
        case_id = f"{KIND_PREFIX[cand['kind']]}{number:06d}"
        refers = before["case_id"] if before else None
        opened.append(
            {
                **dict.fromkeys(CASE_SCHEMA),
                "case_id": case_id,
                "kind": cand["kind"],
                "number": number,
                "basis": cand["basis"],
                "person_key": cand["person_key"],
                "state": cand["state"],
                "fingerprint": cand["fingerprint"],
                "refers_to": refers,
                "opened_run": run_id,
                "opened_on": day,
                "last_seen_run": run_id,
                "last_seen_on": day,
                "amount_due_fen": cand["amount_due_fen"],
                "amount_recovered_fen": 0,
                "outcome": outcome,
            }
        )
        note = None
        if before:
            note = (
                f"前案 {refers}（{before['close_reason']}）之后的新依据 new evidence after {refers}"
            )
        events.append(
            _event(
                case_id, "opened", None, cand["state"], run_id, stamp, note, cand["amount_due_fen"]
            )
        )
    return NightChanges(
        opened=pl.DataFrame(opened, schema=CASE_SCHEMA),
        updated=pl.DataFrame(list(changed.values()), schema=CASE_SCHEMA),
        events=pl.DataFrame(events, schema=EVENT_SCHEMA),
    )


def _death_of(recovery: dict, cases: list[dict]) -> dict | None:
    """The death case a recovery of its overpayment was opened for: the person's latest
    death case opened on or before the recovery."""
    deaths = [
        c
        for c in cases
        if c["kind"] == "death"
        and c["person_key"] == recovery["person_key"]
        and c["opened_on"] <= recovery["opened_on"]
    ]
    return max(deaths, key=lambda c: c["number"], default=None)
