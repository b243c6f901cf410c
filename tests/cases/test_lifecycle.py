"""The night's lifecycle, on hand-made cases and findings."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pensionlink.cases.lifecycle import CANDIDATE_SCHEMA, FACT_SCHEMA, night_changes
from pensionlink.cases.machine import Request, step
from pensionlink.cases.model import CASE_SCHEMA
from pensionlink.reports.labels import CASE_ACTION, CLOSE_REASON

AT = dt.datetime(2026, 12, 1, 2, 0)


def cand(
    kind: str,
    person: str,
    fp: str = "fp1",
    state: str | None = None,
    due: int | None = None,
    to_recover: int | None = None,
) -> dict:
    default = {"death": "confirmed", "uninsured": "to_contact", "recovery": "outstanding"}
    basis = {"death": "death", "uninsured": "uninsured", "recovery": "funeral:duplicate"}
    return {
        "kind": kind,
        "basis": basis[kind],
        "person_key": person,
        "fingerprint": fp,
        "state": state or default[kind],
        "amount_due_fen": due,
        "to_recover_fen": to_recover,
    }


def facts(**people) -> pl.DataFrame:
    rows = [
        {"person_key": p, "deregistered": "dereg" in f, "enrolled": "enrolled" in f}
        for p, f in people.items()
    ]
    return pl.DataFrame(rows, schema=FACT_SCHEMA)


class Store:
    """The cases as the store would hold them after each night (an in-memory stand-in)."""

    def __init__(self) -> None:
        self.cases = pl.DataFrame(schema=CASE_SCHEMA)
        self.events: list[dict] = []

    def night(
        self,
        run: str,
        day: dt.date,
        candidates: list[dict],
        f: pl.DataFrame | None = None,
        hold: frozenset[str] = frozenset(),
    ):
        changes = night_changes(
            self.cases,
            pl.DataFrame(candidates, schema=CANDIDATE_SCHEMA),
            f if f is not None else facts(),
            run,
            day,
            AT,
            hold,
        )
        rest = self.cases.filter(~pl.col("case_id").is_in(changes.updated["case_id"].implode()))
        self.cases = pl.concat([rest, changes.updated, changes.opened]).sort("case_id")
        self.events += changes.events.to_dicts()
        return changes

    def act(self, case_id: str, action: str, **kw) -> None:
        row = self.cases.filter(pl.col("case_id") == case_id).row(0, named=True)
        new, event = step(row, Request(action, "李经办", **kw), objection_days=15, at=AT)
        self.cases = pl.concat(
            [
                self.cases.filter(pl.col("case_id") != case_id),
                pl.DataFrame([new], schema=CASE_SCHEMA),
            ]
        ).sort("case_id")
        self.events.append(event)

    def state(self, case_id: str) -> tuple:
        r = self.cases.filter(pl.col("case_id") == case_id).row(0, named=True)
        return r["state"], r["close_reason"]


D1, D2, D3 = dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3)


def test_opened_kept_and_the_same_night_again_adds_nothing():
    s = Store()
    first = s.night(
        "r1",
        D1,
        [cand("death", "p1"), cand("death", "p2", state="to_verify"), cand("uninsured", "p3")],
    )
    assert first.opened["case_id"].to_list() == ["D000001", "D000002", "U000001"]
    assert first.opened["state"].to_list() == ["confirmed", "to_verify", "to_contact"]
    assert [e["action"] for e in s.events] == ["opened"] * 3
    again = s.night(
        "r1b",
        D1,
        [cand("death", "p1"), cand("death", "p2", state="to_verify"), cand("uninsured", "p3")],
    )
    assert again.opened.is_empty() and again.events.is_empty()
    assert s.cases["last_seen_run"].to_list() == ["r1b"] * 3
    assert s.cases["opened_run"].to_list() == ["r1"] * 3


def test_closed_by_the_data_with_its_reason():
    s = Store()
    s.night(
        "r1",
        D1,
        [
            cand("death", "p1"),
            cand("death", "p2"),
            cand("uninsured", "p3"),
            cand("uninsured", "p4"),
        ],
    )
    s.night("r2", D2, [], facts(p1="dereg", p3="enrolled"))
    assert s.state("D000001") == ("closed", "deregistered")
    assert s.state("D000002") == ("closed", "evidence_gone")
    assert s.state("U000001") == ("closed", "enrolled")
    assert s.state("U000002") == ("closed", "evidence_gone")
    # back after 依据消失: a new case, referring to the old one
    third = s.night("r3", D3, [cand("death", "p2")])
    assert third.opened.row(0, named=True)["case_id"] == "D000003"
    assert third.opened["refers_to"].to_list() == ["D000002"]


def test_verify_alive_holds_on_the_same_evidence_and_yields_to_new_evidence():
    s = Store()
    s.night("r1", D1, [cand("death", "p1", fp="hukou")])
    s.act("D000001", "verify_alive", note="本人到场核实", role="supervisor")
    assert s.night("r2", D2, [cand("death", "p1", fp="hukou")]).is_empty
    assert s.night("r3", D3, [cand("death", "p1", fp="hukou")]).is_empty
    new = s.night("r4", D3 + dt.timedelta(days=1), [cand("death", "p1", fp="hukou+funeral")])
    assert new.opened["case_id"].to_list() == ["D000002"]
    assert new.opened["refers_to"].to_list() == ["D000001"]
    assert "D000001" in new.events["note"][0]


def test_objection_window_then_recovery():
    s = Store()
    s.night("r1", D1, [cand("death", "p1", to_recover=60000)])
    s.act("D000001", "notify", on=D1)  # window until 11-16
    s.night("r2", dt.date(2026, 11, 16), [cand("death", "p1", to_recover=60000)])
    assert s.state("D000001") == ("notified", None)
    assert s.cases.filter(pl.col("kind") == "recovery").is_empty()
    passed = s.night("r3", dt.date(2026, 11, 17), [cand("death", "p1", to_recover=60000)])
    assert s.state("D000001") == ("objection_passed", None)
    assert passed.opened["case_id"].to_list() == ["R000001"]
    assert passed.opened["amount_due_fen"].to_list() == [60000]
    s.act("D000001", "suspend")
    s.night("r4", dt.date(2026, 11, 18), [], facts(p1="dereg"))
    assert s.state("D000001") == ("closed", "deregistered")
    assert s.state("R000001") == ("outstanding", None)  # money owed does not vanish


def passed_window(s: Store) -> None:
    """p1's death D000001 past its objection window, its overpayment R000001 owed."""
    s.night("r1", D1, [cand("death", "p1", to_recover=60000)])
    s.act("D000001", "notify", on=D1)
    s.night("r2", dt.date(2026, 11, 17), [cand("death", "p1", to_recover=60000)])
    assert s.state("D000001") == ("objection_passed", None)
    assert s.state("R000001") == ("outstanding", None)


def test_verify_alive_after_suspension_closes_the_death_and_its_recovery():
    s = Store()
    passed_window(s)
    s.act("D000001", "suspend")
    s.act("D000001", "verify_alive", note="本人到场提出异议", role="supervisor")
    assert s.state("D000001") == ("closed", "alive")
    night = s.night("r3", dt.date(2026, 11, 18), [cand("death", "p1", to_recover=60000)])
    assert s.state("R000001") == ("closed", "death_not_confirmed")
    assert night.opened.is_empty()  # the same evidence stays verified alive
    [event] = night.events.to_dicts()
    assert (event["case_id"], event["action"], event["by_name"]) == (
        "R000001",
        "closed_death_not_confirmed",
        "system",
    )
    assert "D000001" in event["note"]
    assert s.night("r3", dt.date(2026, 11, 18), [cand("death", "p1")]).events.is_empty()


def test_back_to_verify_or_evidence_gone_closes_the_recovery():
    s = Store()
    passed_window(s)
    s.act("R000001", "record_recovery", role="finance", amount="100")
    night = s.night(
        "r3", dt.date(2026, 11, 18), [cand("death", "p1", fp="later visit", state="to_verify")]
    )
    assert s.state("D000001") == ("to_verify", None)
    assert s.state("R000001") == ("closed", "death_not_confirmed")
    assert night.events["action"].to_list() == ["back_to_verify", "closed_death_not_confirmed"]
    assert "100.00" in night.events["note"][1]  # what was recovered is to be refunded
    gone = Store()
    passed_window(gone)
    gone.night("r3", dt.date(2026, 11, 18), [])
    assert gone.state("D000001") == ("closed", "evidence_gone")
    assert gone.state("R000001") == ("closed", "death_not_confirmed")
    assert {e["action"] for e in s.events + gone.events} <= set(CASE_ACTION)  # staff words
    assert set(gone.cases["close_reason"].drop_nulls()) <= set(CLOSE_REASON)


def test_a_case_being_verified_follows_the_evidence():
    s = Store()
    s.night("r1", D1, [cand("death", "p1", fp="a", state="to_verify")])
    s.night("r2", D2, [cand("death", "p1", fp="b", state="to_verify")])
    assert s.cases["fingerprint"].to_list() == ["b"]
    s.act("D000001", "verify_dead")
    s.night("r3", D3, [cand("death", "p1", fp="c")])
    assert s.cases["fingerprint"].to_list() == ["b"]  # confirmed: kept on what staff saw


def test_a_conflict_sends_a_confirmed_death_back_to_be_verified():
    s = Store()
    s.night("r1", D1, [cand("death", "p1")])
    s.act("D000001", "notify", on=D1)
    changes = s.night("r2", D2, [cand("death", "p1", fp="later visit", state="to_verify")])
    assert s.state("D000001") == ("to_verify", None)
    assert changes.events["action"].to_list() == ["back_to_verify"]


def test_a_review_death_the_rules_now_confirm_moves_on():
    s = Store()
    s.night("r1", D1, [cand("death", "p1", state="to_verify")])
    changes = s.night("r2", D2, [cand("death", "p1", state="confirmed")])
    assert s.state("D000001") == ("confirmed", None)
    assert changes.events["action"].to_list() == ["confirmed_by_data"]


PEOPLE = ("p1", "p2", "p3")
finding = st.tuples(
    st.sampled_from(["death", "uninsured"]), st.sampled_from(PEOPLE), st.sampled_from(["a", "b"])
)


@given(
    nights=st.lists(st.lists(finding, max_size=5), min_size=1, max_size=5),
    alive=st.sets(st.sampled_from(PEOPLE)),
)
def test_any_sequence_of_nights_is_idempotent_and_keeps_one_open_case(nights, alive):
    s = Store()
    for i, found in enumerate(nights):
        day = D1 + dt.timedelta(days=i)
        wanted = {(k, p): cand(k, p, fp=f) for k, p, f in found}
        s.night(f"r{i}", day, list(wanted.values()))
        ids = s.cases["case_id"].to_list()
        assert s.night(f"r{i}-again", day, list(wanted.values())).events.is_empty()
        assert s.cases["case_id"].to_list() == ids
        open_ = s.cases.filter(pl.col("state") != "closed")
        assert open_.select("kind", "person_key").is_unique().all()
        # every finding tonight has an open case, unless staff verified that evidence alive
        for (kind, person), c in wanted.items():
            held = s.cases.filter(
                (pl.col("person_key") == person)
                & (pl.col("kind") == kind)
                & (pl.col("close_reason") == "alive")
                & (pl.col("fingerprint") == c["fingerprint"])
            )
            has = open_.filter((pl.col("person_key") == person) & (pl.col("kind") == kind))
            assert has.height == 1 or held.height > 0
        for row in open_.filter(pl.col("kind") == "death").iter_rows(named=True):
            if row["person_key"] in alive:
                s.act(row["case_id"], "verify_alive", role="supervisor")


def test_an_action_taken_while_the_night_ran_is_not_undone_by_it():
    """verify_dead recorded after tonight's decisions were read: tonight's findings still
    say 'review', yet the night must not send the case back (the next night, with the
    decision applied, decides); without the hold it would."""
    for hold, expected in ((frozenset({"D000001"}), "confirmed"), (frozenset(), "to_verify")):
        s = Store()
        s.night("r1", dt.date(2026, 11, 1), [cand("death", "p1", state="to_verify")])
        s.act("D000001", "verify_dead")
        s.night("r2", dt.date(2026, 11, 2), [cand("death", "p1", state="to_verify")], hold=hold)
        assert s.state("D000001")[0] == expected
    # nor is a held uninsured case closed when its finding is missing tonight
    s = Store()
    s.night("r1", dt.date(2026, 11, 1), [cand("uninsured", "p2")])
    s.act("U000001", "contacted", outcome="同意参保")
    s.night("r2", dt.date(2026, 11, 2), [], hold=frozenset({"U000001"}))
    assert s.state("U000001")[0] == "contacted"


def test_an_overpayment_repaid_is_never_asked_again_when_the_death_is_reported_again():
    s = Store()
    passed_window(s)
    s.act("R000001", "record_recovery", role="finance", amount="600.00")
    s.act("D000001", "suspend")
    s.night("r3", dt.date(2026, 11, 18), [], facts(p1="dereg"))
    assert s.state("D000001") == ("closed", "deregistered")
    assert s.state("R000001")[0] == "closed"
    # another agency reports the same death later: a new death case, past its window …
    later = dt.date(2026, 11, 19)
    s.night("r4", later, [cand("death", "p1", fp="fp2", to_recover=60000)])
    (new_death,) = s.cases.filter((pl.col("kind") == "death") & (pl.col("state") != "closed"))[
        "case_id"
    ]
    s.act(new_death, "notify", on=later)
    s.night("r5", dt.date(2026, 12, 5), [cand("death", "p1", fp="fp2", to_recover=60000)])
    assert s.state(new_death) == ("objection_passed", None)
    # … asks nothing more for the 600 already repaid, and only the difference if it grew
    assert s.cases.filter(pl.col("kind") == "recovery").height == 1
    grown = s.night("r6", dt.date(2026, 12, 6), [cand("death", "p1", fp="fp2", to_recover=70000)])
    assert grown.opened.select("kind", "amount_due_fen").rows() == [("recovery", 10000)]
