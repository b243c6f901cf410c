"""Duplicate and improper funeral subsidies: one row per person and kind, no double counting."""

from decimal import Decimal

from pensionlink.findings.funeral_benefits import duplicate_funeral_benefits

from tests.findings.night_frames import D, night

RES = "城乡居民基本养老保险"
EMP = "企业职工基本养老保险"


def subsidy(pid, no, date, amount="600.00", scheme=RES):
    return {
        "citizen_id": pid,
        "pension_no": no,
        "name": "崔",
        "scheme": scheme,
        "paid_date": D(date),
        "amount": amount,
    }


def kinds(out):
    return {(r["citizen_id"], r["kind"]): r["amount_to_recover"] for r in out.iter_rows(named=True)}


def test_paid_twice_and_employee_grant():
    n = night(
        resident_roster=[{"citizen_id": "a", "pension_no": "P1", "status": "待遇领取"}],
        hukou=[{"citizen_id": "a", "hukou_status": "死亡", "death_date": D("2026-02-01")}],
        funeral_subsidies=[
            subsidy("a", "P1", "2026-03-01"),
            subsidy("a", "P1", "2026-04-01"),
            subsidy("a", None, "2026-03-05", "5000.00", EMP),
        ],
    )
    out = duplicate_funeral_benefits(n)
    assert kinds(out) == {
        ("a", "duplicate_resident"): Decimal("600.00"),
        ("a", "duplicate_other_scheme"): Decimal("600.00"),
    }
    other = out.filter(kind="duplicate_other_scheme").row(0, named=True)
    assert [p["scheme"] for p in other["payments"]] == [RES, RES, EMP]


def test_custody_claims_first_payment_before_suspension():
    n = night(
        resident_roster=[{"citizen_id": "b", "pension_no": "P2", "status": "暂停"}],
        death_certificates=[{"citizen_id": "b", "death_date": D("2026-05-10")}],
        status_changes=[
            {
                "pension_no": "P2",
                "status_before": "待遇领取",
                "status_after": "暂停",
                "changed_date": D("2026-01-02"),
            }
        ],
        custody=[{"citizen_id": "b", "start_date": D("2025-12-01"), "end_date": None}],
        funeral_subsidies=[subsidy("b", "P2", "2026-06-01")],
    )
    assert kinds(duplicate_funeral_benefits(n)) == {
        ("b", "ineligible_custody"): Decimal("600.00"),
        ("b", "ineligible_suspended"): Decimal("0.00"),
    }


def test_single_proper_subsidy_and_unknown_death_raise_nothing_improper():
    n = night(
        resident_roster=[
            {"citizen_id": "c", "pension_no": "P3", "status": "待遇领取"},
            {"citizen_id": "d", "pension_no": "P4", "status": "暂停"},
        ],
        hukou=[{"citizen_id": "c", "hukou_status": "死亡", "death_date": D("2026-02-01")}],
        # custody ended before the death
        custody=[{"citizen_id": "c", "start_date": D("2020-01-01"), "end_date": D("2021-01-01")}],
        funeral_subsidies=[subsidy("c", "P3", "2026-03-01"), subsidy("d", "P4", "2026-03-01")],
    )
    assert duplicate_funeral_benefits(n).is_empty()


def test_subsidy_found_by_pension_number_when_id_is_mangled():
    n = night(
        resident_roster=[{"citizen_id": "e", "pension_no": "P5", "status": "待遇领取"}],
        hukou=[{"citizen_id": "e", "hukou_status": "死亡", "death_date": D("2026-02-01")}],
        funeral_subsidies=[
            subsidy(None, "P5", "2026-03-01"),
            subsidy(None, "P5", "2026-03-09"),
        ],
    )
    assert kinds(duplicate_funeral_benefits(n)) == {("e", "duplicate_resident"): Decimal("600.00")}


def test_fuxu_and_resident_subsidy_is_a_duplicate_of_the_other_scheme():
    n = night(
        resident_roster=[{"citizen_id": "f", "pension_no": "P6", "status": "待遇领取"}],
        hukou=[{"citizen_id": "f", "hukou_status": "死亡", "death_date": D("2026-02-01")}],
        funeral_subsidies=[subsidy("f", "P6", "2026-03-01")],
        pension_fuxu=[
            {
                "citizen_id": "f",
                "category": "因病死亡",
                "paid_date": D("2026-03-10"),
                "amount": "20000.00",
            }
        ],
    )
    out = duplicate_funeral_benefits(n)
    assert kinds(out) == {("f", "duplicate_other_scheme"): Decimal("600.00")}
    schemes = [p["scheme"] for p in out.row(0, named=True)["payments"]]
    assert schemes == [RES, "一次性抚恤金"]


def changes(no, *steps):
    """(before, after, date, reason) steps of one pension number."""
    return [
        {
            "pension_no": no,
            "status_before": before,
            "status_after": after,
            "changed_date": D(day),
            "reason": reason,
        }
        for before, after, day, reason in steps
    ]


def test_contributor_known_dead_only_to_the_roster_is_still_ineligible():
    # No death date: the roster's termination for death (2026-02-17) is the only record.
    # Every status in force before it was 参保缴费: a contributor who never received.
    n = night(
        resident_roster=[{"citizen_id": "g", "pension_no": "P7", "status": "终止"}],
        hukou=[{"citizen_id": "g", "hukou_status": "正常"}],
        status_changes=changes("P7", ("参保缴费", "终止", "2026-02-17", "死亡")),
        funeral_subsidies=[subsidy("g", "P7", "2026-03-01")],
    )
    out = duplicate_funeral_benefits(n)
    assert kinds(out) == {("g", "ineligible_suspended"): Decimal("600.00")}
    assert out["decision"].to_list() == ["confirmed"]


def test_pensioner_known_dead_only_to_the_roster_is_not_judged_without_a_date():
    # Received until suspended for missed certification, then terminated for death: the
    # death may have come before the suspension (subsidy due) or after (not due).
    n = night(
        resident_roster=[{"citizen_id": "h", "pension_no": "P8", "status": "终止"}],
        hukou=[{"citizen_id": "h", "hukou_status": "正常"}],
        status_changes=changes(
            "P8",
            ("参保缴费", "待遇领取", "2020-01-01", None),
            ("待遇领取", "暂停", "2025-10-01", "未按时认证"),
            ("暂停", "终止", "2026-02-17", "死亡"),
        ),
        funeral_subsidies=[subsidy("h", "P8", "2026-03-01")],
    )
    assert duplicate_funeral_benefits(n).is_empty()


def test_contradictory_history_goes_to_review_not_to_a_clawback():
    # Read naively, the history says 暂停 at death (2026-05-10) → ineligible_suspended. But
    # a 待遇领取 → 暂停 dated after the record's 暂停 → 终止 makes the history a guess.
    steps = (
        ("待遇领取", "暂停", "2026-01-02", "未按时认证"),
        ("暂停", "终止", "2026-06-01", "死亡"),
        ("待遇领取", "暂停", "2026-07-01", "未按时认证"),
    )
    n = night(
        resident_roster=[{"citizen_id": "k", "pension_no": "P9", "status": "暂停"}],
        hukou=[{"citizen_id": "k", "hukou_status": "死亡", "death_date": D("2026-05-10")}],
        status_changes=changes("P9", *steps),
        funeral_subsidies=[subsidy("k", "P9", "2026-06-01")],
    )
    row = duplicate_funeral_benefits(n).row(0, named=True)
    assert (row["kind"], row["decision"]) == ("ineligible_suspended", "review")
    assert row["amount_to_recover"] == Decimal("0.00")
    assert row["reason"].startswith("变更记录前后矛盾")
    # The same history without the contradiction is asserted, 600.00 to recover.
    held = dict(n)
    held["status_changes"] = night(status_changes=changes("P9", *steps[:2]))["status_changes"]
    held["resident_roster"] = night(
        resident_roster=[{"citizen_id": "k", "pension_no": "P9", "status": "终止"}]
    )["resident_roster"]
    row = duplicate_funeral_benefits(held).row(0, named=True)
    assert (row["kind"], row["decision"], row["amount_to_recover"]) == (
        "ineligible_suspended",
        "confirmed",
        Decimal("600.00"),
    )
