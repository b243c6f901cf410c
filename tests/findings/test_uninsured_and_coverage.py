"""Uninsured eligible residents and coverage, on a hand-made village."""

from dataclasses import replace
from decimal import Decimal

import polars as pl
from pensionlink.connectors.source import WITHHELD_SCHEMA
from pensionlink.findings.coverage import coverage_by_area
from pensionlink.findings.residents import age_on
from pensionlink.findings.uninsured import uninsured_eligible
from pensionlink.findings.withheld import REVIEW_QUEUE, WITHHELD

from pensionlink.settings import load_policy
from tests.findings.night_frames import D, night

AS_OF = D("2026-11-28")
POLICY = load_policy(AS_OF)  # the bundled policy: the advance ended on 2021-12-31
#: The same night had the advance been renewed (an open-ended 1000-yuan cap in force).
RENEWED = replace(POLICY, advance_cap=Decimal("1000.00"), ended=())


def person(pid, born, status="正常", village="中心社区"):
    return {
        "citizen_id": pid,
        "name": f"人{pid}",
        "birth_date": D(born),
        "township": "龙门街道",
        "village": village,
        "hukou_status": status,
    }


HUKOU = [
    person("old", "1950-05-01"),  # 76, uninsured → back_payment
    person("dibao", "1990-01-01"),  # 36, active 低保 → government_paid
    person("plain", "1980-11-28"),  # turns 46 on as-of day → standard
    person("teen", "2010-11-29"),  # 15 until tomorrow → not counted
    person("worker", "1985-01-01"),  # employee roster → insured
    person("resident", "1960-01-01"),  # residents' roster 待遇领取 → insured
    person("ended", "1970-01-01"),  # roster 终止 → uninsured again, standard
    person("moved", "1970-01-01", status="迁出"),
    person("dead", "1940-01-01"),  # death certificate, no later visit
    person("alive", "1941-01-01"),  # funeral record contradicted by a later visit
    person("severe", "2000-01-01", village="北兴村"),  # grade-2 disability
    person("sixteen", "2010-11-28", village="北兴村"),  # 16th birthday on the as-of date
    person("sixty", "1966-11-28", village="北兴村"),  # 60th birthday on the as-of date
    person("fiftynine", "1966-11-29", village="北兴村"),  # 60 tomorrow → still standard
    person("retiree", "1955-03-01", village="北兴村"),  # employee roster 退休 → insured
]
NIGHT = night(
    hukou=HUKOU,
    assistance=[
        {"citizen_id": "dibao", "category": "农村低保", "start_date": D("2020-01-01")},
        {"citizen_id": "plain", "category": "城市低保", "end_date": D("2025-01-01")},
    ],
    disabled=[{"citizen_id": "severe", "grade": 2}, {"citizen_id": "plain", "grade": 3}],
    employee_roster=[
        {"citizen_id": "worker", "status": "在职"},
        {"citizen_id": "retiree", "status": "退休"},
    ],
    resident_roster=[
        {"citizen_id": "resident", "pension_no": "P1", "status": "待遇领取"},
        {"citizen_id": "ended", "pension_no": "P2", "status": "终止"},
    ],
    status_changes=[
        {"pension_no": "P2", "status_after": "暂停", "changed_date": D("2024-02-01")},
        {
            "pension_no": "P2",
            "status_after": "终止",
            "changed_date": D("2025-06-30"),
            "reason": "本人申请终止",
        },
    ],
    death_certificates=[{"citizen_id": "dead", "death_date": D("2026-01-01")}],
    funeral=[{"citizen_id": "alive", "death_date": D("2026-01-01")}],
    visits=[{"citizen_id": "alive", "visit_date": D("2026-04-01")}],
)


def test_uninsured_people_and_categories():
    out = uninsured_eligible(NIGHT, AS_OF, RENEWED)
    got = {r["citizen_id"]: r for r in out.iter_rows(named=True)}
    assert set(got) == {
        "old",
        "dibao",
        "plain",
        "ended",
        "alive",
        "severe",
        "sixteen",
        "sixty",
        "fiftynine",
    }  # not: teen (15), worker, retiree, resident (insured), moved (迁出), dead
    assert got["old"]["category"] == "back_payment"
    assert got["old"]["advance_amount"] == Decimal("1000.00")  # min(15 × 100, 1000)
    assert got["old"]["age"] == 76
    assert got["dibao"]["category"] == "government_paid"
    assert got["dibao"]["special_groups"] == ["农村低保"]
    assert got["severe"]["special_groups"] == ["重度残疾"]
    assert got["plain"]["category"] == "standard"  # 低保 ended, grade 3 is not severe
    assert got["plain"]["age"] == 46 and got["plain"]["advance_amount"] is None
    assert got["alive"]["category"] == "back_payment"
    assert (got["sixteen"]["age"], got["sixteen"]["category"]) == (16, "standard")
    assert (got["sixty"]["age"], got["sixty"]["category"]) == (60, "back_payment")
    assert (got["fiftynine"]["age"], got["fiftynine"]["category"]) == (59, "standard")


def test_back_payers_carry_the_advance_and_its_repayment():
    row = (
        uninsured_eligible(NIGHT, AS_OF, RENEWED)
        .filter(pl.col("citizen_id") == "old")
        .row(0, named=True)
    )
    # 基础养老金 143 (2025 on) + 15 × 100 ÷ 139 = 143 + 10.79; 1000 ÷ 153.79 = 6.5 → 7 months
    assert row["monthly_pension_estimate"] == Decimal("153.79")
    assert row["repay_months"] == 7
    assert row["advance_note"] is None
    standard = uninsured_eligible(NIGHT, AS_OF, RENEWED).filter(
        pl.col("category") != "back_payment"
    )
    assert standard["repay_months"].null_count() == standard.height


def test_a_night_in_and_out_of_the_advance_period():
    """Annex 3's advance ran to 2021-12-31 (bundled policy, `until` inclusive): on its
    last day a back-payer carries it; the next day they are still listed, without it and
    with the reason; the other categories never carry one."""
    inside, outside = (
        uninsured_eligible(NIGHT, day, load_policy(day))
        for day in (D("2021-12-31"), D("2022-01-01"))
    )
    assert inside["citizen_id"].to_list() == outside["citizen_id"].to_list()
    # 2021: 基础养老金 93 + 1500 ÷ 139 (10.79) = 103.79; 1000 ÷ 103.79 = 9.63 → 10 months
    for out, advance, months, note in (
        (inside, Decimal("1000.00"), 10, None),
        (outside, None, None, "垫付政策不在执行期"),
    ):
        old = out.filter(pl.col("citizen_id") == "old").row(0, named=True)
        assert old["category"] == "back_payment"
        assert (old["advance_amount"], old["repay_months"], old["advance_note"]) == (
            advance,
            months,
            note,
        )
        assert old["monthly_pension_estimate"] == Decimal("103.79")
        others = out.filter(pl.col("category") != "back_payment")
        assert others.height > 0
        assert others["advance_amount"].is_null().all()
        assert others["advance_note"].is_null().all()


def test_the_bundled_policy_in_2026_lists_back_payers_without_an_advance():
    out = uninsured_eligible(NIGHT, AS_OF, POLICY)
    back = out.filter(pl.col("category") == "back_payment")
    assert set(back["citizen_id"]) == {"old", "alive", "sixty"}
    assert back["advance_amount"].is_null().all() and back["repay_months"].is_null().all()
    assert set(back["advance_note"]) == {"垫付政策不在执行期"}
    assert (back["monthly_pension_estimate"] == Decimal("153.79")).all()


def test_evidence_says_why_not_insured():
    got = {
        r["citizen_id"]: r["evidence"]
        for r in uninsured_eligible(NIGHT, AS_OF, POLICY).iter_rows(named=True)
    }
    assert got["ended"] == (
        "城乡居保参保记录已终止（2025-06-30，原因：本人申请终止），且不在职工养老保险参保名册"
    )
    assert got["old"] == "不在城乡居保、职工养老保险参保名册"


def test_coverage_counts_each_village():
    out = coverage_by_area(NIGHT, AS_OF, POLICY).sort("village")
    rows = {r["village"]: r for r in out.iter_rows(named=True)}
    centre = rows["中心社区"]
    # 16+: old dibao plain worker resident ended alive = 7; insured: worker, resident.
    # (moved 迁出, dead and teen 15 are not counted)
    assert (centre["residents_16_plus"], centre["insured"], centre["uninsured_eligible"]) == (
        7,
        2,
        5,
    )
    assert centre["coverage_rate"] == round(2 / 7, 4)
    # 北兴村: severe sixteen sixty fiftynine retiree = 5, retiree insured
    north = rows["北兴村"]
    assert (north["residents_16_plus"], north["insured"], north["coverage_rate"]) == (5, 1, 0.2)


def test_age_on_counts_completed_years():
    births = pl.Series([D("2000-02-29"), D("2000-11-28"), D("2000-11-29")])
    ages = pl.select(age_on(pl.lit(births), D("2026-11-28"))).to_series().to_list()
    assert ages == [26, 26, 25]


KEYS = ("source", "line", "citizen_id")


def _unknown_night(**unknown) -> dict:
    """NIGHT with 'plain' and 'old' unknown: a rejected roster row of 'plain' (connectors'
    withheld rows) and a roster record in review proposed as 'old'; 'alive' is a rejected
    visit (not a roster source), which changes nothing."""
    withheld = pl.DataFrame(
        {"source": ["resident_roster", "visits"], "line": [7, 9], "citizen_id": ["plain", "alive"]}
    ).with_columns(pl.lit(None, pl.String).alias(c) for c in WITHHELD_SCHEMA if c not in KEYS)
    queue = pl.DataFrame({"source": ["resident_roster"], "person_id": ["old"]})
    return {**NIGHT, WITHHELD: withheld, REVIEW_QUEUE: queue, **unknown}


def test_people_whose_insurance_is_unknown_are_not_told_to_enrol():
    out = uninsured_eligible(_unknown_night(), AS_OF, POLICY)["citizen_id"].to_list()
    before = uninsured_eligible(NIGHT, AS_OF, POLICY)["citizen_id"].to_list()
    assert set(before) - set(out) == {"plain", "old"}
    assert "alive" in out
    coverage = coverage_by_area(_unknown_night(), AS_OF, POLICY)
    base = coverage_by_area(NIGHT, AS_OF, POLICY)
    assert coverage["residents_16_plus"].sum() == base["residents_16_plus"].sum() - 2
    assert coverage["insured"].sum() == base["insured"].sum()


def test_a_death_known_only_to_the_roster_is_not_a_living_resident():
    # 社保局 terminated the record because the person died; the hukou still says 正常.
    n = night(
        hukou=[person("gone", "1950-05-01"), person("left", "1950-05-01")],
        resident_roster=[
            {"citizen_id": "gone", "pension_no": "P1", "status": "终止"},
            {"citizen_id": "left", "pension_no": "P2", "status": "终止"},
        ],
        status_changes=[
            {
                "pension_no": "P1",
                "status_before": "参保缴费",
                "status_after": "终止",
                "changed_date": D("2026-02-17"),
                "reason": "死亡",
            },
            {
                "pension_no": "P2",
                "status_before": "参保缴费",
                "status_after": "终止",
                "changed_date": D("2026-02-17"),
                "reason": "本人申请终止",
            },
        ],
    )
    out = uninsured_eligible(n, AS_OF, POLICY)
    assert out["citizen_id"].to_list() == ["left"]  # not "gone": dead by the bureau's record
    cov = coverage_by_area(n, AS_OF, POLICY).row(0, named=True)
    assert (cov["residents_16_plus"], cov["insured"], cov["uninsured_eligible"]) == (1, 0, 1)
    # A visit on the person's own ID after the termination: alive, and uninsured again.
    seen = {
        **n,
        "visits": night(visits=[{"citizen_id": "gone", "visit_date": D("2026-05-01")}])["visits"],
    }
    assert set(uninsured_eligible(seen, AS_OF, POLICY)["citizen_id"]) == {"gone", "left"}
