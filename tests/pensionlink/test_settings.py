import datetime as dt
from decimal import Decimal

import pytest

from pensionlink.settings import PolicyError, load_policy

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
    assert p.advance_cap == Decimal("1000.00")
    assert (p.required_years, p.benefit_age, p.enrollment_min_age) == (15, 60, 16)
    assert p.severe_disability_grades == (1, 2)
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


def test_back_payer_pension_estimate_and_repayment_by_date():
    # 2026: 基础养老金 143 + 1500 ÷ 139 (10.79) = 153.79; 1000 ÷ 153.79 = 6.50 → 7 months
    p = load_policy(dt.date(2026, 11, 28))
    assert (p.monthly_pension_estimate, p.repay_months) == (Decimal("153.79"), 7)
    # 2023: 103 + 10.79 = 113.79; 1000 ÷ 113.79 = 8.79 → 9 months
    p = load_policy(dt.date(2023, 6, 1))
    assert (p.monthly_pension_estimate, p.repay_months) == (Decimal("113.79"), 9)


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
