import datetime as dt
from decimal import Decimal

import pytest

from pensionlink.settings import BUNDLED_POLICY, PolicyError, load_policy

POLICY = """
[funeral_subsidy]
values = [{ from = 2021-01-01, value = "600.00" }, { from = 2027-01-01, value = "800.00" }]
[advance_cap]
values = [{ from = 2021-01-01, value = "1000.00" }]
[required_years]
values = [{ from = 2021-01-01, value = 15 }]
[min_annual_contribution]
values = [{ from = 2021-01-01, value = "100.00" }]
[benefit_age]
values = [{ from = 2021-01-01, value = 60 }]
[enrollment_min_age]
values = [{ from = 2021-01-01, value = 16 }]
[severe_disability_grades]
values = [{ from = 2021-01-01, value = [1, 2] }]
[death_date_conflict_days]
values = [{ from = 2021-01-01, value = 31 }]
"""


def test_bundled_policy_carries_the_seed_values():
    p = load_policy(dt.date(2026, 11, 28))
    assert p.funeral_subsidy == Decimal("600.00")
    assert (p.required_years, p.benefit_age, p.enrollment_min_age) == (15, 60, 16)
    assert p.severe_disability_grades == (1, 2)
    # Annex 3: the advance was provisional until 2021-12-31, so in 2026 it is not in force.
    assert (p.advance_cap, p.advance_amount, p.repay_months) == (None, None, None)
    p = load_policy(dt.date(2021, 6, 30))
    assert p.advance_cap == Decimal("1000.00")
    # 15 years × 100 yuan = 1500, capped at 1000
    assert p.advance_amount == Decimal("1000.00")


def test_value_in_force_is_chosen_by_date(tmp_path):
    f = tmp_path / "policy.toml"
    f.write_text(POLICY, encoding="utf-8")
    assert load_policy(dt.date(2026, 12, 31), f).funeral_subsidy == Decimal("600.00")
    assert load_policy(dt.date(2027, 1, 1), f).funeral_subsidy == Decimal("800.00")


def test_no_value_in_force_stops_with_a_clear_message(tmp_path):
    with pytest.raises(PolicyError, match=r"funeral_subsidy.*2020-06-30"):
        load_policy(dt.date(2020, 6, 30))
    f = tmp_path / "policy.toml"
    f.write_text(POLICY.replace("[benefit_age]\nvalues = [{ from = 2021-01-01, value = 60 }]", ""))
    with pytest.raises(PolicyError, match="benefit_age"):
        load_policy(dt.date(2026, 1, 1), f)


def test_back_payer_pension_estimate_and_repayment_by_date(tmp_path):
    # A policy whose advance never ends (POLICY); 基础养老金 from the bundled file.
    f = tmp_path / "policy.toml"
    f.write_text(POLICY, encoding="utf-8")
    # 2026: 基础养老金 143 + 1500 ÷ 139 (10.79) = 153.79; 1000 ÷ 153.79 = 6.50 → 7 months
    p = load_policy(dt.date(2026, 11, 28), f)
    assert (p.monthly_pension_estimate, p.repay_months) == (Decimal("153.79"), 7)
    # 2023: 103 + 10.79 = 113.79; 1000 ÷ 113.79 = 8.79 → 9 months
    p = load_policy(dt.date(2023, 6, 1), f)
    assert (p.monthly_pension_estimate, p.repay_months) == (Decimal("113.79"), 9)
    # The bundled policy: the estimate stands, but no advance is left to repay.
    p = load_policy(dt.date(2026, 11, 28))
    assert (p.monthly_pension_estimate, p.repay_months) == (Decimal("153.79"), None)


def test_file_without_operational_parameters_takes_the_bundled_ones(tmp_path, caplog):
    f = tmp_path / "policy.toml"
    f.write_text(POLICY, encoding="utf-8")  # no basic_pension / account_divisor
    p = load_policy(dt.date(2026, 11, 28), f)
    assert (p.basic_pension, p.account_divisor) == (Decimal("143.00"), 139)
    assert "basic_pension" in caplog.text
    # present but not yet in force still stops the run
    f.write_text(POLICY + '[basic_pension]\nvalues = [{ from = 2027-01-01, value = "150" }]\n')
    with pytest.raises(PolicyError, match="basic_pension"):
        load_policy(dt.date(2026, 11, 28), f)


def test_death_confirmation_bundled_fallback_and_bad_values(tmp_path, caplog):
    bundled = load_policy(dt.date(2026, 11, 28)).death_confirmation
    assert bundled == (("hukou",), ("death_certificates",), ("funeral",))
    f = tmp_path / "policy.toml"
    f.write_text(POLICY, encoding="utf-8")  # written before the parameter existed
    assert load_policy(dt.date(2026, 11, 28), f).death_confirmation == bundled
    assert "death_confirmation" in caplog.text
    dated = (
        POLICY
        + "[death_confirmation]\nvalues = [\n"
        + '  { from = 2021-01-01, value = [["hukou"]] },\n'
        + '  { from = 2027-01-01, value = [["hukou"], ["funeral", "medical_enrollment"]] },\n]\n'
    )
    f.write_text(dated, encoding="utf-8")
    assert load_policy(dt.date(2026, 12, 31), f).death_confirmation == (("hukou",),)
    assert load_policy(dt.date(2027, 1, 1), f).death_confirmation[1] == (
        "funeral",
        "medical_enrollment",
    )
    f.write_text(
        POLICY + '[death_confirmation]\nvalues = [{ from = 2021-01-01, value = [["hukuo"]] }]\n',
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match=r"death_confirmation.*hukuo"):
        load_policy(dt.date(2026, 11, 28), f)
    f.write_text(
        POLICY + '[death_confirmation]\nvalues = [{ from = 2021-01-01, value = "hukou" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="death_confirmation"):
        load_policy(dt.date(2026, 11, 28), f)


def _with_advance(tmp_path, values: str, name: str = "advance_cap"):
    """POLICY with `name`'s values replaced by `values` (a TOML array)."""
    head = POLICY.index(f"[{name}]")
    start = POLICY.index("values = ", head)
    end = POLICY.index("\n", start)
    f = tmp_path / "policy.toml"
    f.write_text(POLICY[:start] + f"values = {values}" + POLICY[end:], encoding="utf-8")
    return f


def test_until_is_inclusive_and_the_advance_then_ends(tmp_path):
    f = _with_advance(tmp_path, '[{ from = 2021-01-01, until = 2021-12-31, value = "1000.00" }]')
    last = load_policy(dt.date(2021, 12, 31), f)
    assert (last.advance_amount, last.ended, last.not_in_force("advance_cap")) == (
        Decimal("1000.00"),
        (),
        None,
    )
    after = load_policy(dt.date(2022, 1, 1), f)
    assert (after.advance_cap, after.advance_amount, after.repay_months) == (None, None, None)
    assert after.ended == (("advance_cap", dt.date(2021, 12, 31)),)
    line = after.not_in_force("advance_cap")
    assert line.startswith("垫付政策不在执行期") and "advance_cap until 2021-12-31" in line
    assert "\n" not in line
    assert after.funeral_subsidy == Decimal("600.00")  # the others are untouched


def test_a_renewal_brings_the_advance_back_and_a_gap_has_none(tmp_path):
    f = _with_advance(
        tmp_path,
        '[{ from = 2021-01-01, until = 2021-12-31, value = "1000.00" },'
        ' { from = 2027-01-01, until = 2027-12-31, value = "1200.00" }]',
    )
    assert load_policy(dt.date(2026, 12, 31), f).advance_amount is None
    assert load_policy(dt.date(2027, 1, 1), f).advance_amount == Decimal("1200.00")
    assert load_policy(dt.date(2027, 12, 31), f).advance_amount == Decimal("1200.00")
    gone = load_policy(dt.date(2028, 1, 1), f)
    assert gone.ended == (("advance_cap", dt.date(2027, 12, 31)),)


@pytest.mark.parametrize(
    "values",
    [
        '[{ from = 2021-01-01, until = 2021-12-31, value = "1" },'
        ' { from = 2021-12-31, value = "2" }]',  # starts on the other's last day
        '[{ from = 2021-01-01, value = "1" }, { from = 2021-01-01, value = "2" }]',
        '[{ from = 2022-01-01, value = "2" },'
        ' { from = 2021-01-01, until = 2022-06-30, value = "1" }]',  # in any order
    ],
)
def test_overlapping_periods_are_refused(tmp_path, values):
    f = _with_advance(tmp_path, values)
    with pytest.raises(PolicyError, match=r"advance_cap.*overlaps"):
        load_policy(dt.date(2026, 1, 1), f)


def test_until_before_from_or_not_a_date_is_refused(tmp_path):
    f = _with_advance(tmp_path, '[{ from = 2021-06-01, until = 2021-05-31, value = "1" }]')
    with pytest.raises(PolicyError, match=r"advance_cap.*ends \(2021-05-31\) before"):
        load_policy(dt.date(2021, 6, 1), f)
    f = _with_advance(tmp_path, '[{ from = 2021-06-01, until = "2021-12-31", value = "1" }]')
    with pytest.raises(PolicyError, match=r"advance_cap.*'until'"):
        load_policy(dt.date(2021, 6, 1), f)
    # A value that starts and ends on one day is in force that day.
    f = _with_advance(tmp_path, '[{ from = 2021-06-01, until = 2021-06-01, value = "1" }]')
    assert load_policy(dt.date(2021, 6, 1), f).advance_cap == Decimal("1")


def test_an_ended_parameter_that_may_not_end_still_stops_the_run(tmp_path):
    f = _with_advance(
        tmp_path, "[{ from = 2021-01-01, until = 2025-12-31, value = 60 }]", name="benefit_age"
    )
    assert load_policy(dt.date(2025, 12, 31), f).benefit_age == 60
    with pytest.raises(
        PolicyError, match=r"'benefit_age' has no value in force on 2026-01-01.*ended 2025-12-31"
    ):
        load_policy(dt.date(2026, 1, 1), f)


def test_value_on_reads_one_parameter_over_time_with_its_end(tmp_path):
    policy = load_policy(dt.date(2026, 11, 28))
    advance = policy.value_on("advance_cap")
    assert advance(dt.date(2021, 12, 31)) == Decimal("1000.00")
    assert advance(dt.date(2022, 1, 1)) is None  # `until` is inclusive
    assert advance(dt.date(2020, 12, 31)) is None  # before its first value
    assert policy.value_on("funeral_subsidy")(dt.date(2026, 1, 1)) == Decimal("600.00")
    copy = tmp_path / "copy.toml"  # the run's inputs fingerprint is of the values, not the path
    copy.write_text(BUNDLED_POLICY.read_text(encoding="utf-8"), encoding="utf-8")
    elsewhere = load_policy(dt.date(2026, 11, 28), copy)
    assert elsewhere.source == copy and repr(elsewhere) == repr(policy)
    assert elsewhere.value_on("advance_cap")(dt.date(2021, 6, 1)) == Decimal("1000.00")
