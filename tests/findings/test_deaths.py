"""Deaths to deregister: decisions and settlements computed by hand."""

from decimal import Decimal

import polars as pl
import pytest
from pensionlink.findings.deaths import deaths_to_deregister

from pensionlink.settings import BUNDLED_POLICY, load_policy
from tests.findings.night_frames import D, monthly, night

AS_OF = D("2026-11-28")
POLICY = load_policy(AS_OF)
A = "222405194501010011"  # fictitious IDs; only equality matters here
B = "222405195002020022"


def roster(pid=A, no="P1", status="待遇领取", balance="100.00", name="金顺姬"):
    return {
        "citizen_id": pid,
        "pension_no": no,
        "name": name,
        "township": "龙门街道",
        "village": "中心社区",
        "status": status,
        "account_balance": balance,
    }


def hukou_dead(pid=A, date="2026-03-15", name="金顺姬"):
    return {"citizen_id": pid, "name": name, "hukou_status": "死亡", "death_date": D(date)}


def cert(pid=A, date="2026-03-15", name="金顺姬", method="id"):
    return {"citizen_id": pid, "name": name, "death_date": D(date), "link_method": method}


def one(frame: pl.DataFrame) -> dict:
    assert frame.height == 1, frame
    return frame.row(0, named=True)


def test_confirmed_death_settles_overpayment_subsidy_and_balance():
    # Died 15 March; paid Jan..Jun at 150.00 → April, May, June overpaid = 450.00.
    # net = 600 + 100 - 450 = 250 to the heirs.
    n = night(
        resident_roster=[roster()],
        hukou=[hukou_dead()],
        death_certificates=[cert()],
        pension_payments=monthly("P1", "2026-01", "2026-06", "150.00"),
    )
    row = one(deaths_to_deregister(n, AS_OF, POLICY))
    assert row["decision"] == "confirmed" and row["reason"] is None
    assert row["evidence"] == ["death_certificates", "hukou"]
    assert row["death_date"] == D("2026-03-15")
    assert row["status_at_death"] == "待遇领取"
    assert row["overpaid_months"] == 3
    assert row["overpaid_amount"] == Decimal("450.00")
    assert row["funeral_subsidy"] == Decimal("600.00")
    assert row["net_to_heirs"] == Decimal("250.00")
    assert row["to_recover"] == Decimal("0.00")


def test_overpayment_beyond_subsidy_and_balance_is_recovered():
    # Died 20 Nov 2025, paid to Nov 2026 at 200.00: Dec 2025..Nov 2026 = 12 months = 2400.00.
    # net = 600 + 0 - 2400 = -1800 → recover 1800.
    n = night(
        resident_roster=[roster(balance="0.00")],
        hukou=[hukou_dead(date="2025-11-20")],
        pension_payments=monthly("P1", "2025-06", "2026-11", "200.00"),
    )
    row = one(deaths_to_deregister(n, AS_OF, POLICY))
    assert row["overpaid_months"] == 12
    assert row["overpaid_amount"] == Decimal("2400.00")
    assert row["to_recover"] == Decimal("1800.00")
    assert row["net_to_heirs"] == Decimal("0.00")


def test_suspended_at_death_gets_no_subsidy():
    n = night(
        resident_roster=[roster()],
        hukou=[hukou_dead()],
        status_changes=[
            {
                "pension_no": "P1",
                "status_before": "待遇领取",
                "status_after": "暂停",
                "changed_date": D("2026-01-10"),
            },
            {
                "pension_no": "P1",
                "status_before": "暂停",
                "status_after": "待遇领取",
                "changed_date": D("2026-06-01"),
            },
        ],
    )
    row = one(deaths_to_deregister(n, AS_OF, POLICY))
    assert row["status_at_death"] == "暂停"
    assert row["funeral_subsidy"] == Decimal("0.00")
    assert row["net_to_heirs"] == Decimal("100.00")


def test_in_custody_at_death_gets_no_subsidy():
    n = night(
        resident_roster=[roster()],
        hukou=[hukou_dead()],
        custody=[{"citizen_id": A, "start_date": D("2025-01-01"), "end_date": None}],
    )
    assert one(deaths_to_deregister(n, AS_OF, POLICY))["funeral_subsidy"] == Decimal("0.00")


def test_contributor_gets_no_subsidy():
    n = night(resident_roster=[roster(status="参保缴费")], hukou=[hukou_dead()])
    row = one(deaths_to_deregister(n, AS_OF, POLICY))
    assert row["funeral_subsidy"] == Decimal("0.00")
    assert row["decision"] == "confirmed"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"visits": [{"citizen_id": A, "visit_date": D("2026-05-01")}]}, "就诊"),
        (
            {"funeral": [{"citizen_id": A, "name": "金顺姬", "death_date": D("2026-06-01")}]},
            "相差78天",
        ),
        ({"death_certificates": [cert(name="朴英哲")]}, "姓名"),
    ],
)
def test_contradicted_or_uncertain_deaths_go_to_review(extra, expected):
    n = night(resident_roster=[roster()], hukou=[hukou_dead()], **extra)
    row = one(deaths_to_deregister(n, AS_OF, POLICY))
    assert row["decision"] == "review"
    assert expected in row["reason"]


def medical_dead(pid=A, date="2026-03-15", name="金顺姬", method="id"):
    return {
        "citizen_id": pid,
        "name": name,
        "status": "终止参保",
        "end_date": D(date),
        "end_reason": "死亡",
        "link_method": method,
    }


def test_cremation_record_on_the_id_confirms_alone_medical_insurance_never_does():
    funeral = [{"citizen_id": A, "name": "金顺姬", "death_date": D("2026-03-15")}]
    n = night(resident_roster=[roster()], funeral=funeral)
    row = one(deaths_to_deregister(n, AS_OF, POLICY))
    assert (row["decision"], row["reason"], row["evidence"]) == ("confirmed", None, ["funeral"])
    alone = night(resident_roster=[roster()], medical_enrollment=[medical_dead()])
    row = one(deaths_to_deregister(alone, AS_OF, POLICY))
    assert row["decision"] == "review"
    assert "仅医保终止参保一个来源报告死亡" in row["reason"]
    assert "不足以确认（需公安户籍、死亡医学证明或民政火化记录）" in row["reason"]
    # A cremation record matched on name and date only establishes nothing.
    by_name = night(
        resident_roster=[roster()],
        funeral=[{**funeral[0], "link_method": "attributes"}],
    )
    row = one(deaths_to_deregister(by_name, AS_OF, POLICY))
    assert row["decision"] == "review" and "身份证号未核实" in row["reason"]
    # Every other safeguard stays: a name that disagrees, a later visit.
    renamed = night(resident_roster=[roster()], funeral=[{**funeral[0], "name": "朴英哲"}])
    assert one(deaths_to_deregister(renamed, AS_OF, POLICY))["decision"] == "review"
    visited = night(
        resident_roster=[roster()],
        funeral=funeral,
        visits=[{"citizen_id": A, "visit_date": D("2026-04-01")}],
    )
    assert one(deaths_to_deregister(visited, AS_OF, POLICY))["decision"] == "review"


def test_name_matched_certificate_corroborates_but_never_establishes_a_death():
    n = night(
        resident_roster=[roster()],
        hukou=[hukou_dead()],
        death_certificates=[cert(method="attributes")],
    )
    assert one(deaths_to_deregister(n, AS_OF, POLICY))["decision"] == "confirmed"
    alone = night(resident_roster=[roster()], death_certificates=[cert(method="attributes")])
    row = one(deaths_to_deregister(alone, AS_OF, POLICY))
    assert row["decision"] == "review" and "身份证号未核实" in row["reason"]
    weak = night(
        resident_roster=[roster()],
        medical_enrollment=[medical_dead()],
        death_certificates=[cert(method="attributes")],
    )
    row = one(deaths_to_deregister(weak, AS_OF, POLICY))
    assert row["decision"] == "review" and "身份证号核实的仅医保终止参保一个来源" in row["reason"]


def test_earlier_visit_and_homophone_name_do_not_block_confirmation():
    n = night(
        resident_roster=[roster(name="金香花")],
        hukou=[hukou_dead(name="金香华")],
        visits=[{"citizen_id": A, "visit_date": D("2026-03-01")}],
    )
    assert one(deaths_to_deregister(n, AS_OF, POLICY))["decision"] == "confirmed"


def test_certificate_date_wins_and_terminated_or_living_are_not_listed():
    n = night(
        resident_roster=[roster(), roster(pid=B, no="P2", status="终止")],
        hukou=[hukou_dead(date="2026-03-10"), hukou_dead(pid=B)],
        death_certificates=[cert(date="2026-03-12")],
    )
    row = one(deaths_to_deregister(n, AS_OF, POLICY))
    assert row["pension_no"] == "P1" and row["death_date"] == D("2026-03-12")


def test_same_named_visit_without_id_after_death_goes_to_review():
    n = night(
        resident_roster=[roster()],
        hukou=[hukou_dead()],
        death_certificates=[cert()],
        visits=[
            {
                "citizen_id": None,
                "person_id": None,
                "name": "金 顺姬",
                "visit_date": D("2026-04-02"),
            }
        ],
    )
    row = one(deaths_to_deregister(n, AS_OF, POLICY))
    assert row["decision"] == "review" and "同名就诊记录(2026-04-02)" in row["reason"]
    before = night(
        resident_roster=[roster()],
        hukou=[hukou_dead()],
        visits=[
            {"citizen_id": None, "person_id": None, "name": "金顺姬", "visit_date": D("2026-03-01")}
        ],
    )
    assert one(deaths_to_deregister(before, AS_OF, POLICY))["decision"] == "confirmed"
    # A readable ID two digits away from the deceased's is a namesake's visit.
    other = night(
        resident_roster=[roster()],
        hukou=[hukou_dead()],
        visits=[
            {"citizen_id": None, "person_id": None, "name": "金顺姬", "visit_date": D("2026-04-02")}
        ],
    ).copy()
    other["visits"] = other["visits"].with_columns(id_clean=pl.lit("222405194501010099"))
    assert one(deaths_to_deregister(other, AS_OF, POLICY))["decision"] == "confirmed"
    typo = dict(other)
    typo["visits"] = other["visits"].with_columns(id_clean=pl.lit("222405194501010012"))
    assert one(deaths_to_deregister(typo, AS_OF, POLICY))["decision"] == "review"


def test_suspension_after_the_death_keeps_the_subsidy():
    n = night(
        resident_roster=[roster(status="暂停")],
        hukou=[hukou_dead()],
        status_changes=[
            {
                "pension_no": "P1",
                "status_before": "待遇领取",
                "status_after": "暂停",
                "changed_date": D("2026-04-20"),  # suspended because of the death, later
            }
        ],
    )
    row = one(deaths_to_deregister(n, AS_OF, POLICY))
    assert row["status_at_death"] == "待遇领取"
    assert row["funeral_subsidy"] == Decimal("600.00")


def test_custody_ending_the_day_before_death_does_not_remove_the_subsidy():
    n = night(
        resident_roster=[roster()],
        hukou=[hukou_dead()],  # died 2026-03-15
        custody=[{"citizen_id": A, "start_date": D("2025-01-01"), "end_date": D("2026-03-14")}],
    )
    assert one(deaths_to_deregister(n, AS_OF, POLICY))["funeral_subsidy"] == Decimal("600.00")
    covering = night(
        resident_roster=[roster()],
        hukou=[hukou_dead()],
        custody=[{"citizen_id": A, "start_date": D("2025-01-01"), "end_date": D("2026-03-15")}],
    )
    assert one(deaths_to_deregister(covering, AS_OF, POLICY))["funeral_subsidy"] == Decimal("0.00")


@pytest.mark.parametrize(
    ("birth", "decision"), [("1950-06-01", "review"), ("1930-06-01", "confirmed")]
)
def test_death_before_the_hukou_birth_date_is_never_confirmed(birth, decision):
    # hukou 死亡 and a certificate agree on 1949-03-15; the register says born 1950-06-01
    born = {"birth_date": D(birth), "id_birth_date": D(birth)}
    n = night(
        resident_roster=[roster()],
        hukou=[{**hukou_dead(date="1949-03-15"), **born}],
        death_certificates=[cert(date="1949-03-15")],
    )
    row = one(deaths_to_deregister(n, AS_OF, POLICY))
    assert row["decision"] == decision
    assert (row["reason"] == "死亡日期早于出生日期") is (decision == "review")


def test_contradictory_history_gives_unknown_status_and_review():
    # 待遇领取 → 暂停 dated after the record's 暂停 → 终止, and the roster says 暂停.
    steps = [
        ("待遇领取", "暂停", "2026-01-10"),
        ("暂停", "终止", "2026-04-01"),
        ("待遇领取", "暂停", "2026-05-01"),
    ]
    n = night(
        resident_roster=[roster(status="暂停")],
        hukou=[hukou_dead()],
        death_certificates=[cert()],
        status_changes=[
            {"pension_no": "P1", "status_before": b, "status_after": a, "changed_date": D(d)}
            for b, a, d in steps
        ],
    )
    row = one(deaths_to_deregister(n, AS_OF, POLICY))
    assert row["status_at_death"] == "unknown"
    assert row["decision"] == "review" and "变更记录前后矛盾" in row["reason"]
    assert "死亡时参保状态无法确定" in row["reason"]


def test_roster_termination_for_death_lists_nobody_for_deregistration():
    termination = {
        "pension_no": "P1",
        "status_before": "待遇领取",
        "status_after": "终止",
        "changed_date": D("2026-02-17"),
        "reason": "死亡",
    }
    n = night(resident_roster=[roster(status="终止")], status_changes=[termination])
    assert deaths_to_deregister(n, AS_OF, POLICY).is_empty()
    # Even with hukou 死亡 beside it: the roster record is terminated already.
    both = night(
        resident_roster=[roster(status="终止")], status_changes=[termination], hukou=[hukou_dead()]
    )
    assert deaths_to_deregister(both, AS_OF, POLICY).is_empty()


def test_a_policy_file_decides_which_sources_confirm(tmp_path):
    n = night(resident_roster=[roster()], medical_enrollment=[medical_dead()])
    assert one(deaths_to_deregister(n, AS_OF, POLICY))["decision"] == "review"
    text = BUNDLED_POLICY.read_text(encoding="utf-8")
    assert 'value = [["hukou"], ["death_certificates"], ["funeral"]]' in text
    lenient = tmp_path / "policy.toml"
    lenient.write_text(
        text.replace(
            'value = [["hukou"], ["death_certificates"], ["funeral"]]',
            'value = [["hukou"], ["death_certificates"], ["funeral"], ["medical_enrollment"]]',
        ),
        encoding="utf-8",
    )
    policy = load_policy(AS_OF, lenient)
    assert ("medical_enrollment",) in policy.death_confirmation
    row = one(deaths_to_deregister(n, AS_OF, policy))
    assert (row["decision"], row["reason"]) == ("confirmed", None)
    # The other safeguards stay: a later visit still sends it to review.
    seen = night(
        resident_roster=[roster()],
        medical_enrollment=[medical_dead()],
        visits=[{"citizen_id": A, "visit_date": D("2026-04-01")}],
    )
    assert one(deaths_to_deregister(seen, AS_OF, policy))["decision"] == "review"
    # The rule before issue 13: a cremation record needed a second source.
    strict = tmp_path / "strict.toml"
    strict.write_text(
        text.replace(
            'value = [["hukou"], ["death_certificates"], ["funeral"]]',
            'value = [["hukou"], ["death_certificates"], ["funeral", "medical_enrollment"]]',
        ),
        encoding="utf-8",
    )
    funeral = night(
        resident_roster=[roster()],
        funeral=[{"citizen_id": A, "name": "金顺姬", "death_date": D("2026-03-15")}],
    )
    row = one(deaths_to_deregister(funeral, AS_OF, load_policy(AS_OF, strict)))
    assert row["decision"] == "review"
    assert "需公安户籍、死亡医学证明或民政火化记录+医保终止参保" in row["reason"]
