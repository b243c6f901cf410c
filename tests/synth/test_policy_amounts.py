"""A generated night follows the policy file (synth.amounts): edit an amount in
policy.toml and the truth the night carries changes with it, so a policy edit can never
silently leave the generator's truth behind the rules'."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from pensionlink.synth import generate_night

from pensionlink.settings import BUNDLED_POLICY, load_policy
from tests.synth.test_generate import _read, _truth

AS_OF = dt.date(2026, 11, 28)
PEOPLE = 4000


def _edited_policy(tmp: Path) -> Path:
    """The bundled policy with a new funeral subsidy (880 元) and a renewed advance, cap
    1200 元, in force from 2026-01-01; the old values stay (they explain past nights)."""
    text = BUNDLED_POLICY.read_text(encoding="utf-8")
    for name, old, new in (
        ("funeral_subsidy", 'value = "600.00"', '"880.00"'),
        ("advance_cap", 'until = 2021-12-31, value = "1000.00"', '"1200.00"'),
    ):
        line = f"values = [{{ from = 2021-01-01, {old} }}]"
        head = text.index(f"[{name}]")
        at = text.index(line, head)
        edited = line.replace(" }]", f" }}, {{ from = 2026-01-01, value = {new} }}]")
        text = text[:at] + edited + text[at + len(line) :]
    path = tmp / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("policy")
    policy = load_policy(AS_OF, _edited_policy(tmp))
    assert policy.funeral_subsidy == Decimal("880.00")
    assert policy.advance_amount == Decimal("1200.00")  # min(15 × 100, 1200)
    bundled, edited = tmp / "bundled", tmp / "edited"
    generate_night(bundled, people=PEOPLE, seed=5, as_of=AS_OF)
    generate_night(edited, people=PEOPLE, seed=5, as_of=AS_OF, policy=policy)
    return bundled, edited


def _dead(night: Path) -> pl.DataFrame:
    return _truth(night, "deaths_to_deregister").filter(pl.col("truly_dead") == "true")


def test_settlements_carry_the_policys_funeral_subsidy(nights) -> None:
    bundled, edited = nights
    for night, subsidy in ((bundled, "600.00"), (edited, "880.00")):
        dead = _dead(night)
        receiving = dead.filter(pl.col("funeral_subsidy") != "0.00")
        assert receiving.height > 0
        assert set(receiving["funeral_subsidy"]) == {subsidy}
        # Net to heirs minus the amount to recover is subsidy + balance − overpaid.
        for row in dead.iter_rows(named=True):
            net = Decimal(row["net_to_heirs"]) - Decimal(row["to_recover"])
            expected = (
                Decimal(row["funeral_subsidy"])
                + Decimal(row["account_balance"])
                - Decimal(row["overpaid_amount"])
            )
            assert net == expected


def test_the_same_people_get_the_edited_subsidy(nights) -> None:
    bundled, edited = nights
    keys = ["citizen_id", "funeral_subsidy"]
    before = _dead(bundled).select(keys)
    after = _dead(edited).select(keys)
    joined = before.join(after, on="citizen_id", suffix="_edited")
    assert joined.height == before.height == after.height
    changed = joined.filter(pl.col("funeral_subsidy") != "0.00")
    assert (changed["funeral_subsidy_edited"] == "880.00").all()
    assert (
        joined.filter(pl.col("funeral_subsidy") == "0.00")["funeral_subsidy_edited"] == "0.00"
    ).all()


def test_paid_subsidies_and_recoveries_follow_the_policy(nights) -> None:
    _, edited = nights
    paid = _read(edited, "funeral_subsidies")
    resident = paid.filter(pl.col("险种") == "城乡居民基本养老保险")
    assert resident.height > 0
    assert set(resident["金额"]) == {"880.00"}
    funeral = _truth(edited, "duplicate_funeral_benefits")
    assert funeral.height > 0
    assert set(funeral["amount_to_recover"]) <= {"880.00", "0.00"}
    assert "880.00" in set(funeral["amount_to_recover"])


def test_back_payers_advance_follows_the_policy(nights) -> None:
    bundled, edited = nights
    # The bundled advance ended on 2021-12-31 (annex 3): no advance in 2026; the renewal
    # in the edited policy brings it back for the same people.
    for night, advance in ((bundled, None), (edited, "1200.00")):
        uninsured = _truth(night, "uninsured_eligible")
        back = uninsured.filter(pl.col("category") == "back_payment")
        assert back.height > 0
        assert set(back["advance_amount"]) == {advance}
    people = [
        set(
            _truth(n, "uninsured_eligible").filter(pl.col("category") == "back_payment")[
                "citizen_id"
            ]
        )
        for n in (bundled, edited)
    ]
    assert people[0] == people[1]


def test_the_advance_stops_after_its_period(tmp_path) -> None:
    """Nights on the advance's last day and the day after (bundled policy, `until`
    2021-12-31): the same back-payers, with the advance and then without."""
    truths = []
    for day in (dt.date(2021, 12, 31), dt.date(2022, 1, 1)):
        generate_night(tmp_path / day.isoformat(), people=1500, seed=5, as_of=day)
        truth = _truth(tmp_path / day.isoformat(), "uninsured_eligible")
        truths.append(truth.filter(pl.col("category") == "back_payment"))
    inside, outside = truths
    assert inside.height > 0
    assert set(inside["advance_amount"]) == {"1000.00"}
    assert outside.height > 0 and outside["advance_amount"].is_null().all()


def test_the_generate_command_follows_a_policy_file(tmp_path) -> None:
    """`pensionlink generate --policy FILE` hands the edited policy to the generator."""
    from typer.testing import CliRunner

    from pensionlink.cli import app

    out = tmp_path / "night"
    args = ["generate", "--out", str(out), "--people", "2000", "--seed", "5"]
    args += ["--as-of", AS_OF.isoformat(), "--policy", str(_edited_policy(tmp_path))]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    subsidies = set(_dead(out).filter(pl.col("funeral_subsidy") != "0.00")["funeral_subsidy"])
    assert subsidies == {"880.00"}


def test_the_generate_command_refuses_a_policy_with_nothing_in_force(tmp_path) -> None:
    from typer.testing import CliRunner

    from pensionlink.cli import app

    args = ["generate", "--out", str(tmp_path / "n"), "--people", "200"]
    args += ["--as-of", "2010-01-01", "--policy", str(_edited_policy(tmp_path))]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
