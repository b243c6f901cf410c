"""The guards' limits are dated policy, read once into the typed Policy."""

import datetime as dt

import pytest
from pensionlink.connectors.delivery_guard import DeliveryLimit

from pensionlink.settings import BUNDLED_POLICY, PolicyError, load_policy

DAY = dt.date(2026, 11, 28)


def test_bundled_limits_never_let_the_registers_shrink_and_loosen_event_files():
    p = load_policy(DAY)
    assert p.delivery_limit("hukou") == DeliveryLimit(0, 20, 0, id_fall_percent=5)
    assert p.delivery_limit("resident_roster") == DeliveryLimit(0, 20, 0, id_fall_percent=5)
    assert p.delivery_limit("employee_roster") == DeliveryLimit(20, 20, 0)
    assert p.delivery_limit("visits") == DeliveryLimit(50, 100, 50)  # the default


def _policy_with(tmp_path, limits: str):
    text = BUNDLED_POLICY.read_text(encoding="utf-8")
    start = text.index("[delivery_limits]")
    end = text.index("\n[", text.index("[delivery_limits.values.value]"))
    path = tmp_path / "policy.toml"
    path.write_text(text[:start] + limits + text[end:], encoding="utf-8")
    return path


def test_a_later_dated_limit_applies_from_its_date(tmp_path):
    path = _policy_with(
        tmp_path,
        """[delivery_limits]
[[delivery_limits.values]]
from = 2021-01-01
[delivery_limits.values.value]
default = { fall_percent = 50, rise_percent = 100 }
[[delivery_limits.values]]
from = 2027-01-01
[delivery_limits.values.value]
default = { fall_percent = 10, rise_percent = 10, min_change = 5 }
""",
    )
    assert load_policy(DAY, path).delivery_limit("hukou") == DeliveryLimit(50, 100, 0)
    assert load_policy(dt.date(2027, 1, 1), path).delivery_limit("hukou") == DeliveryLimit(
        10, 10, 5
    )


@pytest.mark.parametrize(
    "value",
    [
        "hukou = { fall_percent = 0, rise_percent = 20 }",  # no default
        "default = { fall_percent = 5, rise_percent = 5 }\n"
        "roster = { fall_percent = 0, rise_percent = 0 }",  # no such source
        "default = { fall_percent = -5, rise_percent = 5 }",
        "default = { rise_percent = 5 }",
    ],
)
def test_unreadable_limits_stop_with_the_parameter_named(tmp_path, value):
    path = _policy_with(
        tmp_path,
        "[delivery_limits]\n[[delivery_limits.values]]\nfrom = 2021-01-01\n"
        f"[delivery_limits.values.value]\n{value}\n",
    )
    with pytest.raises(PolicyError, match="delivery_limits"):
        load_policy(DAY, path)


def test_a_policy_file_without_limits_takes_the_bundled_ones(tmp_path, caplog):
    path = _policy_with(tmp_path, "")
    assert load_policy(DAY, path).delivery_limit("hukou").fall_percent == 0
    assert "delivery_limits" in caplog.text
