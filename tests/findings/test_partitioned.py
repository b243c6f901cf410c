"""The findings in partitions equal the findings in one process (`findings.partitioned`)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from pensionlink.connectors import read_night
from pensionlink.findings import night_findings
from pensionlink.findings.partitioned import (
    combine,
    night_findings_partitioned,
    person_groups,
    split_night,
)
from pensionlink.findings.withheld import REVIEW_QUEUE, WITHHELD
from pensionlink.matching import link_night
from pensionlink.synth.generate import generate_night

from pensionlink.settings import load_policy
from tests.findings.night_frames import D, night

AS_OF = dt.date(2026, 11, 28)
A, B, C = "222405194408239619", "222405194201284607", "222405195001011234"


def groups_of(frames: dict[str, pl.DataFrame]) -> dict[str, str]:
    return dict(person_groups(frames).iter_rows())


def test_keys_sharing_a_row_directly_or_through_others_are_one_group():
    frames = night(
        resident_roster=[{"citizen_id": A, "pension_no": "P1"}],
        # a subsidy naming B on A's pension number ties B to A
        funeral_subsidies=[{"citizen_id": B, "pension_no": "P1"}],
        # an employee roster row on C's own ID, linked to nobody
        employee_roster=[{"citizen_id": C, "person_id": None}],
        status_changes=[{"pension_no": "P2"}],
    )
    assert B < A  # the group is named by its smallest key
    assert groups_of(frames) == {A: B, B: B, "P1": B, C: C, "P2": "P2"}


def test_a_chain_of_keys_is_followed_to_its_end():
    frames = night(
        funeral_subsidies=[
            {"citizen_id": C, "pension_no": "P3"},
            {"citizen_id": B, "pension_no": "P3"},
            {"citizen_id": B, "pension_no": "P2"},
            {"citizen_id": A, "pension_no": "P2"},
        ]
    )
    assert set(groups_of(frames).values()) == {B}


def test_a_persons_rows_stay_together_and_unlinked_visits_go_everywhere():
    frames = night(
        resident_roster=[
            {"citizen_id": A, "pension_no": "P1"},
            {"citizen_id": B, "pension_no": "P2"},
        ],
        status_changes=[{"pension_no": "P1"}, {"pension_no": "P2"}],
        pension_payments=[{"pension_no": "P1"}],
        visits=[{"citizen_id": None, "person_id": None, "name": "金顺姬"}, {"citizen_id": A}],
    )
    parts = split_night(frames, 2)
    for part in parts:
        numbers = set(part["resident_roster"]["pension_no"])
        assert set(part["status_changes"]["pension_no"]) == numbers
        assert set(part["pension_payments"]["pension_no"]) <= numbers
        assert part["visits"]["name"].to_list().count("金顺姬") == 1
        assert (A in part["visits"]["person_id"].to_list()) == ("P1" in numbers)
    assert sum(p["resident_roster"].height for p in parts) == 2


def test_coverage_is_summed_over_the_parts_and_its_rate_computed_again():
    schema = {
        "township": pl.String,
        "village": pl.String,
        "residents_16_plus": pl.Int32,
        "insured": pl.Int32,
        "uninsured_eligible": pl.Int32,
        "coverage_rate": pl.Float64,
    }
    one = pl.DataFrame([("老头沟镇", "天新村", 2, 1, 1, 0.5)], schema=schema, orient="row")
    two = pl.DataFrame(
        [("老头沟镇", "天新村", 1, 1, 0, 1.0), ("智新镇", "明岩村", 3, 2, 1, 0.6667)],
        schema=schema,
        orient="row",
    )
    got = combine([{"coverage_by_area": one}, {"coverage_by_area": two}])["coverage_by_area"]
    assert got.rows() == [
        ("智新镇", "明岩村", 3, 2, 1, 0.6667),
        ("老头沟镇", "天新村", 3, 2, 1, 0.6667),
    ]
    assert got.schema == one.schema


def test_a_small_night_is_identical_by_hand():
    """A death reported on A's ID, with a same-named unlinked visit after it: the part
    holding A must see the visit (it sends the death to review)."""
    frames = night(
        hukou=[
            {
                "citizen_id": A,
                "name": "金顺姬",
                "hukou_status": "正常",
                "birth_date": D("1944-08-23"),
                "township": "智新镇",
                "village": "明岩村",
            },
            {
                "citizen_id": B,
                "name": "李明",
                "hukou_status": "正常",
                "birth_date": D("1942-01-28"),
                "township": "智新镇",
                "village": "明岩村",
            },
        ],
        resident_roster=[
            {
                "citizen_id": A,
                "name": "金顺姬",
                "pension_no": "P1",
                "status": "待遇领取",
                "township": "智新镇",
                "village": "明岩村",
                "account_balance": "100.00",
            },
        ],
        death_certificates=[{"citizen_id": A, "name": "金顺姬", "death_date": D("2026-05-01")}],
        visits=[
            {"citizen_id": None, "person_id": None, "name": "金顺姬", "visit_date": D("2026-08-01")}
        ],
    )
    policy = load_policy(AS_OF)
    one = night_findings(frames, AS_OF, policy)
    for parts in (1, 2, 5):
        got = night_findings_partitioned(frames, AS_OF, policy, parts=parts)
        assert {n: got[n].equals(one[n]) for n in one} == {n: True for n in one}
    (reason,) = one["deaths_to_deregister"]["reason"]
    assert "同名就诊" in reason


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> dict[str, pl.DataFrame]:
    path = tmp_path_factory.mktemp("partitioned-findings") / "night"
    generate_night(path, people=3000, seed=12, as_of=AS_OF, noise=3.0)
    extract = read_night(path, as_of=AS_OF)
    frames, _, queue = link_night(extract.frames)
    return {**frames, WITHHELD: extract.withheld, REVIEW_QUEUE: queue}


@pytest.mark.parametrize("parts", [2, 7])
def test_a_generated_night_is_identical_in_parts(linked, parts):
    policy = load_policy(AS_OF)
    one = night_findings(linked, AS_OF, policy)
    assert all(one[n].height for n in one), {n: one[n].height for n in one}
    got = night_findings_partitioned(linked, AS_OF, policy, parts=parts)
    assert {n: got[n].equals(one[n]) for n in one} == {n: True for n in one}
