"""Staff decisions feeding the night's findings, on hand-made tables."""

from __future__ import annotations

import datetime as dt

import polars as pl
from pensionlink.findings.agency_disagreements import SCHEMA as DISAGREEMENT_SCHEMA

from pensionlink.cases.candidates import death_fingerprint
from pensionlink.cases.decisions import VERIFIED_ALIVE, apply_case_decisions, case_decisions
from pensionlink.cases.keys import person_keys

KEY = b"a-test-key-for-pseudonyms-0001"
A, B, C = "222405194408239619", "222405194201284607", "222405195001010011"


def key_of(cid: str) -> str:
    return person_keys(pl.Series([cid]), KEY)[0]


def deaths() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "citizen_id": [A, B],
            "name": ["金顺花", "朴明"],
            "township": ["龙井镇", "龙井镇"],
            "village": ["东村", "西村"],
            "death_date": [dt.date(2026, 10, 1), dt.date(2026, 9, 1)],
            "evidence": [["hukou"], ["funeral"]],
            "decision": ["review", "review"],
            "reason": ["仅公安户籍一个来源报告死亡", "仅民政火化记录一个来源报告死亡"],
        }
    )


def fingerprint(frame: pl.DataFrame, cid: str) -> str:
    row = frame.filter(pl.col("citizen_id") == cid)
    return row.select(death_fingerprint(pl.col("evidence"), pl.col("death_date"))).item()


def decisions(*rows: tuple[str, str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["person_key", "decision", "fingerprint"], orient="row")


def test_verified_alive_leaves_the_list_and_is_put_to_the_agency():
    d = deaths()
    out = apply_case_decisions(
        {
            "deaths_to_deregister": d,
            "agency_disagreements": pl.DataFrame(schema=DISAGREEMENT_SCHEMA),
        },
        decisions((key_of(A), "alive", fingerprint(d, A)), (key_of(B), "dead", fingerprint(d, B))),
        KEY,
    )
    listed = out["deaths_to_deregister"]
    assert listed.select("citizen_id", "decision", "reason").rows() == [(B, "confirmed", None)]
    told = out["agency_disagreements"]
    assert told.select("citizen_id", "kind").rows() == [(A, VERIFIED_ALIVE)]
    assert told["agencies"].to_list() == [["公安局"]]
    assert "公安局" in told["ask"][0]


def test_new_evidence_after_verified_alive_is_listed_again():
    d = deaths()
    seen = fingerprint(d, A)
    later = d.with_columns(
        evidence=pl.when(pl.col("citizen_id") == A)
        .then(pl.lit(["hukou", "funeral"]))
        .otherwise("evidence")
    )
    out = apply_case_decisions(
        {"deaths_to_deregister": later}, decisions((key_of(A), "alive", seen)), KEY
    )
    assert out["deaths_to_deregister"]["citizen_id"].to_list() == [A, B]


def test_covered_elsewhere_changes_coverage():
    uninsured = pl.DataFrame(
        {
            "citizen_id": [A, B, C],
            "name": ["甲", "乙", "丙"],
            "township": ["龙井镇"] * 3,
            "village": ["东村", "东村", "西村"],
        }
    )
    coverage = pl.DataFrame(
        {
            "township": ["龙井镇", "龙井镇"],
            "village": ["东村", "西村"],
            "residents_16_plus": [10, 4],
            "insured": [8, 3],
            "uninsured_eligible": [2, 1],
            "coverage_rate": [0.8, 0.75],
        },
        schema_overrides={
            "residents_16_plus": pl.Int32,
            "insured": pl.Int32,
            "uninsured_eligible": pl.Int32,
        },
    )
    out = apply_case_decisions(
        {"uninsured_eligible": uninsured, "coverage_by_area": coverage},
        decisions((key_of(B), "covered_elsewhere", None)),
        KEY,
    )
    assert out["uninsured_eligible"]["citizen_id"].to_list() == [A, C]
    assert out["coverage_by_area"].select(
        "village", "insured", "uninsured_eligible", "covered_elsewhere", "coverage_rate"
    ).rows() == [("东村", 8, 1, 1, 0.8), ("西村", 3, 1, 0, 0.75)]


def test_no_decisions_change_nothing():
    d = deaths()
    out = apply_case_decisions({"deaths_to_deregister": d}, decisions(), KEY)
    assert out["deaths_to_deregister"].equals(d)


def test_verified_dead_is_decided_afresh_on_other_evidence():
    d = deaths()
    verified = decisions((key_of(A), "dead", fingerprint(d, A)))
    same = apply_case_decisions({"deaths_to_deregister": d}, verified, KEY)
    assert same["deaths_to_deregister"]["decision"].to_list() == ["confirmed", "review"]
    is_a = pl.col("citizen_id") == A
    visit = d.with_columns(  # a later medical visit came in
        evidence=pl.when(is_a).then(pl.lit(["hukou", "medical_enrollment"])).otherwise("evidence")
    )
    date = d.with_columns(  # another death date
        death_date=pl.when(is_a).then(pl.lit(dt.date(2026, 10, 20))).otherwise("death_date")
    )
    for later in (visit, date):
        out = apply_case_decisions({"deaths_to_deregister": later}, verified, KEY)
        rows = out["deaths_to_deregister"].select("citizen_id", "decision", "reason").rows()
        assert rows[0] == (A, "review", "仅公安户籍一个来源报告死亡")


def test_a_dead_decision_is_the_evidence_verified_and_lapses_when_sent_back():
    case_schema = {"case_id": pl.String, "kind": pl.String, "state": pl.String}
    cases = pl.DataFrame(
        [
            ("D000001", "death", "confirmed", "k1", "fpA", None),
            ("D000002", "death", "to_verify", "k2", "fpB", None),
        ],
        schema=[*case_schema, "person_key", "fingerprint", "close_reason"],
        orient="row",
    )
    events = pl.DataFrame(
        {
            "case_id": ["D000001", "D000002", "D000002"],
            "action": ["verify_dead", "verify_dead", "back_to_verify"],
        }
    )
    assert case_decisions(cases, events).rows() == [("k1", "dead", "fpA")]
