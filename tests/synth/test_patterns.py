"""Issue 13's patterns in generated nights (synth.patterns), checked on the files themselves.

Each property is read back from the extracts (through truth/record_links.csv for the true
person behind a row, and 个人编号 for the roster's own files), so a pattern the generator
only claims in its truth fails here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from pensionlink.connectors.citizen_id import normalise_citizen_id
from pensionlink.synth import generate_night
from pensionlink.synth.generate import NEVER, RECEIVING, SUSPENDED, UNKNOWN
from pensionlink.synth.patterns import (
    DISAGREEMENT_KINDS,
    Contradictions,
    _one_slip,
    truth_status_at_death,
)

from tests.synth.test_generate import _linked, _read, _truth

AS_OF = dt.date(2026, 11, 28)
ACTIVE = ("参保缴费", "待遇领取", "暂停")
CERTIFICATION_THEN_DEATH = ("待遇领取", "暂停", "未按时资格认证", "暂停", "终止", "死亡")


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("patterns")
    generate_night(out, people=20000, seed=22, as_of=AS_OF, noise=2.0)
    return out


def _histories(night: Path) -> dict[str, list[tuple[str, str, str, str]]]:
    """个人编号 -> [(before, after, date, reason)] in file order (the file is by date)."""
    out: dict[str, list] = {}
    changes = _read(night, "status_changes")
    for no, before, after, day, reason in changes.select(
        "个人编号", "变更前状态", "变更后状态", "变更日期", "变更原因"
    ).iter_rows():
        out.setdefault(no, []).append((before, after, day, reason))
    return out


def _chain(state: str | None, rows) -> str | None:
    """The state after `rows` in turn from `state` (None: unknown), or None if they break."""
    for before, after, *_ in rows:
        if state is not None and before != state:
            return None
        state = after
    return state


def _holds_together(rows: list[tuple], current: str) -> bool:
    """A history holds when its dates ascend and some order of each day's changes chains
    every before-state to the previous after-state, ending in the roster's current status."""
    if [r[2] for r in rows] != sorted(r[2] for r in rows):
        return False
    ends: set[str | None] = {None}  # possible states so far (None: before any change)
    for day in sorted({r[2] for r in rows}):
        today = [r for r in rows if r[2] == day]
        ends = {_chain(s, order) for s in ends for order in itertools.permutations(today)}
        ends.discard(None)
        if not ends:
            return False
    return current in ends


def _roster(night: Path) -> pl.DataFrame:
    return _linked(night, "resident_roster").select("个人编号", "参保状态", "true_id")


# --------------------------------------------------------------------------- a. roster only


def test_roster_only_deaths_are_known_to_the_roster_alone(night):
    deceased = _truth(night, "deceased")
    roster_and_cremation = ["status_changes", "funeral;status_changes"]
    only = deceased.filter(pl.col("reported_by").is_in(roster_and_cremation))
    assert only.height >= 5
    assert (only["roster_only"] == (only["reported_by"] == "status_changes")).all()
    ids = set(only["citizen_id"])
    hukou = _linked(night, "hukou").filter(pl.col("true_id").is_in(list(ids)))
    assert hukou.height == len(ids) and (hukou["人员状态"] == "正常").all()
    certs = set(_linked(night, "death_certificates")["true_id"])
    medical = _linked(night, "medical_enrollment").filter(pl.col("终止原因") == "死亡")
    assert not ids & certs
    assert not ids & set(medical["true_id"])
    roster = _roster(night).filter(pl.col("true_id").is_in(list(ids)))
    assert (roster["参保状态"] == "终止").all()
    history = _histories(night)
    for no in roster["个人编号"]:
        last = history[no][-1]
        assert (last[1], last[3]) == ("终止", "死亡")
    # Some have one other source: a cremation record carrying the deceased's own ID.
    funeral = _linked(night, "funeral").filter(pl.col("true_id").is_in(list(ids)))
    assert 0 < funeral.height < len(ids)
    own = funeral.select(normalise_citizen_id(pl.col("逝者身份证号")).struct.field("citizen_id"))
    assert (own.to_series() == funeral["true_id"]).all()  # repairable quirks only


def test_roster_only_deaths_in_the_truth(night):
    only = set(_truth(night, "deceased").filter(pl.col("roster_only") == "true")["citizen_id"])
    assert not only & set(_truth(night, "deaths_to_deregister")["citizen_id"])
    assert not only & set(_truth(night, "uninsured_eligible")["citizen_id"])
    disagree = _truth(night, "agency_disagreements").filter(
        pl.col("kind") == "roster_dead_hukou_alive"
    )
    assert only <= set(disagree["citizen_id"])


def test_subsidy_on_a_roster_only_contributor_is_ineligible(night):
    only = set(_truth(night, "deceased").filter(pl.col("roster_only") == "true")["citizen_id"])
    paid = _linked(night, "funeral_subsidies").filter(pl.col("true_id").is_in(list(only)))
    history = _histories(night)
    roster = _roster(night)
    no_of = dict(zip(roster["true_id"], roster["个人编号"], strict=True))
    funeral = _truth(night, "duplicate_funeral_benefits")
    contributors = [
        cid for cid in set(paid["true_id"]) if {r[0] for r in history[no_of[cid]]} == {"参保缴费"}
    ]
    assert contributors, "no subsidy paid on a roster-only contributor"
    for cid in contributors:
        rows = funeral.filter(pl.col("citizen_id") == cid)
        assert ("ineligible_suspended", "600.00") in set(
            rows.select("kind", "amount_to_recover").iter_rows()
        )


def test_cremation_only_deaths_are_death_cases_with_one_report(night):
    only = set(_truth(night, "deceased").filter(pl.col("reported_by") == "funeral")["citizen_id"])
    assert len(only) >= 5
    cremated = set(_linked(night, "funeral")["true_id"])
    assert cremated <= set(_truth(night, "deceased")["citizen_id"])  # only the dead
    assert only <= set(_truth(night, "deaths_to_deregister")["citizen_id"])
    hukou = _linked(night, "hukou").filter(pl.col("true_id").is_in(list(only)))
    assert (hukou["人员状态"] == "正常").all()
    assert not only & set(_linked(night, "death_certificates")["true_id"])
    funeral = _linked(night, "funeral").filter(pl.col("true_id").is_in(list(only)))
    own = funeral.select(normalise_citizen_id(pl.col("逝者身份证号")).struct.field("citizen_id"))
    assert (own.to_series() == funeral["true_id"]).all()
    disagree = _truth(night, "agency_disagreements").filter(
        pl.col("kind") == "funeral_dead_hukou_alive"
    )
    assert only <= set(disagree["citizen_id"])


# --------------------------------------------------------------------------- b. certification


def test_suspension_for_missed_certification_after_an_unreported_death(night):
    died = dict(_truth(night, "deceased").select("citizen_id", "death_date").iter_rows())
    roster = _roster(night)
    cid_of = dict(zip(roster["个人编号"], roster["true_id"], strict=True))
    payments = _read(night, "pension_payments")
    found = 0
    for no, rows in _histories(night).items():
        cid = cid_of[no]
        if cid not in died:
            continue
        for first, second in itertools.pairwise(rows):
            pattern = (*first[:2], first[3], *second[:2], second[3])
            after_death = first[2] > died[cid]  # (a suspension before the death is older)
            if after_death and pattern == CERTIFICATION_THEN_DEATH:
                found += 1
                # No payment for a month after the one the suspension was entered in.
                paid = payments.filter(pl.col("个人编号") == no)["发放年月"]
                assert (paid <= first[2][:7].replace("-", "")).all()
    assert found >= 5


# --------------------------------------------------------------------------- c. contradictions


def test_contradictory_histories_do_not_hold_and_all_others_do(night):
    broken = _truth(night, "contradictory_histories")
    assert set(broken["kind"]) == {
        "suspended_after_termination",
        "before_not_previous",
        "same_day_impossible",
        "current_unlike_last",
    }
    bad = set(broken["pension_no"])
    history = _histories(night)
    current = dict(_roster(night).select("个人编号", "参保状态").iter_rows())
    for no, rows in history.items():
        assert _holds_together(rows, current[no]) == (no not in bad), (no, rows, current[no])
    assert bad <= set(history)


def test_contradictory_death_cases_expect_review_and_no_clawback(night):
    broken = _truth(night, "contradictory_histories")
    cases = set(broken.filter(pl.col("death_case") == "true")["citizen_id"])
    assert len(cases) >= 3
    deaths = _truth(night, "deaths_to_deregister")
    in_truth = deaths.filter(pl.col("citizen_id").is_in(list(cases)))
    assert set(in_truth["citizen_id"]) == cases
    assert (in_truth["status_at_death"] == "unknown").all()
    roster = _roster(night).filter(pl.col("true_id").is_in(list(cases)))
    assert roster["参保状态"].is_in(ACTIVE).all()
    funeral = _truth(night, "duplicate_funeral_benefits").filter(
        pl.col("citizen_id").is_in(list(broken["citizen_id"]))
    )
    assert "ineligible_suspended" not in set(funeral["kind"])


def test_same_day_impossible_has_two_changes_on_one_day(night):
    broken = _truth(night, "contradictory_histories").filter(
        pl.col("kind") == "same_day_impossible"
    )
    history = _histories(night)
    for no in broken["pension_no"]:
        rows = history[no]
        days = [r[2] for r in rows]
        pair = [r for r in rows if days.count(r[2]) == 2]
        assert len(pair) == 2
        x, y = pair
        assert x[1] != y[0] and y[1] != x[0]  # neither order chains


# --------------------------------------------------------------------------- disagreements


def test_agency_disagreements_truth_follows_the_files(night):
    truth = _truth(night, "agency_disagreements")
    assert set(truth["kind"]) <= set(DISAGREEMENT_KINDS)
    kinds = {k: set(g["citizen_id"]) for (k,), g in truth.group_by("kind")}
    hukou = _linked(night, "hukou")
    alive = set(hukou.filter(pl.col("人员状态") == "正常")["true_id"])
    roster = _roster(night)
    cid_of = dict(zip(roster["个人编号"], roster["true_id"], strict=True))
    terminated = {
        cid_of[no]
        for no, rows in _histories(night).items()
        if any(r[1] == "终止" and r[3] == "死亡" for r in rows)
    }
    # The roster terminates only the truly dead, who never visit a doctor afterwards.
    assert kinds["roster_dead_hukou_alive"] == terminated & alive
    assert "roster_dead_later_visit" not in kinds
    visits = _linked(night, "visits").filter(pl.col("身份证号") == pl.col("true_id"))
    last = dict(visits.group_by("true_id").agg(pl.col("就诊日期").max()).iter_rows())
    dead_on = {
        cid: f"{day[:4]}-{day[4:6]}-{day[6:]}"
        for cid, day in hukou.filter(pl.col("人员状态") == "死亡")
        .select("true_id", "死亡日期")
        .iter_rows()
    }
    medical = _linked(night, "medical_enrollment").filter(pl.col("终止原因") == "死亡")
    ended = dict(medical.select("true_id", "终止日期").iter_rows())
    for cid in kinds["hukou_dead_later_visit"]:  # a later visit (clean or repaired ID)
        assert cid in dead_on
    for cid, day in dead_on.items():  # every clean later visit is there
        if last.get(cid, "") > day:
            assert cid in kinds["hukou_dead_later_visit"]
    assert kinds["medical_dead_hukou_alive"] <= set(ended) & alive
    for cid in kinds["medical_dead_hukou_alive"]:
        assert last.get(cid, "") <= ended[cid]
    living = set(_truth(night, "never_confirm_dead")["citizen_id"])
    assert kinds["hukou_dead_later_visit"] & living
    assert kinds["medical_dead_later_visit"] <= living


def test_dates_conflict_marks_the_deaths_whose_reports_disagree(night):
    def dates(source: str, column: str, fmt: str, keep: pl.Expr | None = None) -> pl.DataFrame:
        frame = _linked(night, source)
        frame = frame if keep is None else frame.filter(keep)
        day = pl.col(column).str.slice(0, 10).str.strptime(pl.Date, fmt)
        return frame.select("true_id", day=day)

    reports = pl.concat(
        [
            dates("death_certificates", "死亡时间", "%Y-%m-%d"),
            dates("hukou", "死亡日期", "%Y%m%d", pl.col("人员状态") == "死亡"),
            dates("funeral", "死亡日期", "%Y/%m/%d"),
            dates("medical_enrollment", "终止日期", "%Y-%m-%d", pl.col("终止原因") == "死亡"),
        ]
    )
    spread = reports.group_by("true_id").agg(
        days=(pl.col("day").max() - pl.col("day").min()).dt.total_days()
    )
    deceased = _truth(night, "deceased").join(
        spread, left_on="citizen_id", right_on="true_id", how="left"
    )
    conflict = deceased.filter(pl.col("dates_conflict") == "true")
    assert conflict.height > 0 and (conflict["days"] > 31).all()
    others = deceased.filter(pl.col("dates_conflict") == "false")["days"].drop_nulls()
    assert (others == 0).all()


def test_no_extract_date_after_the_night(night):
    """A record dated after the as-of date is refused by the connectors (issue 14)."""
    as_of = AS_OF.strftime("%Y%m%d")
    for source, column in (("funeral", "火化日期"), ("funeral", "死亡日期")):
        days = _read(night, source)[column].str.strptime(pl.Date, "%Y/%m/%d")
        assert (days.dt.strftime("%Y%m%d") < as_of).all(), (source, column)


def test_noise_zero_has_no_patterns(tmp_path):
    generate_night(tmp_path, people=1500, seed=4, as_of=AS_OF, noise=0.0)
    assert _truth(tmp_path, "contradictory_histories").height == 0
    assert (_truth(tmp_path, "deceased")["roster_only"] == "false").all()


# --------------------------------------------------------------------------- tiny cases


class _Life:
    """The attributes `truth_status_at_death` reads, for three roster-only deaths."""

    def __init__(self) -> None:
        # 0: contributor, only 参保缴费 before the 终止 -> known (not receiving).
        # 1: pensioner suspended after the death, then 终止 -> unknown without a date.
        # 2: the same, but a cremation dates the death -> the true status stands.
        self.death = np.array([100, 100, 100])
        self.initial_status = np.array([0, RECEIVING, RECEIVING])
        self.ch_pid = np.array([0, 1, 1, 2, 2])
        self.ch_day = np.array([300, 250, 300, 250, 300])
        self.ch_after = np.array([3, SUSPENDED, 3, SUSPENDED, 3])
        self.ch_reason = np.array(["死亡", "未按时资格认证", "死亡", "未按时资格认证", "死亡"])


def test_status_at_death_of_undated_roster_only_deaths():
    life = _Life()
    empty = np.zeros(0, np.int64)
    none = Contradictions(empty, empty.astype(object), empty, empty, empty, empty.astype(object))
    status = np.array([0, RECEIVING, RECEIVING])
    roster_only = np.array([True, True, True])
    cremation = np.array([False, False, True])
    got = truth_status_at_death(life, status, roster_only, cremation, none)
    assert got.tolist() == [0, UNKNOWN, RECEIVING]
    # A contradictory history makes a dead person's status unknown, dated or not.
    kind = np.array(["current_unlike_last"], object)
    one = Contradictions(np.array([2]), kind, np.array([NEVER]), *[np.array([0])] * 2, kind)
    got = truth_status_at_death(life, status, roster_only, cremation, one)
    assert got.tolist() == [0, UNKNOWN, UNKNOWN]


def test_one_slip_is_one_typo_or_one_swap():
    own = "222405193710283256"
    assert _one_slip("222405193710283257", own)  # one digit changed
    assert _one_slip("222405139710283256", own)  # 9 and 3 swapped
    assert not _one_slip(own, own)
    assert not _one_slip("222405931710283256", own)  # 1 moved two places
    assert not _one_slip("222405193710283299", own)  # two digits changed
    assert not _one_slip(None, own)
    assert not _one_slip("2224051937102832", own)
