"""Run settings: the policy in force on the as-of date, read once into typed objects.

The policy file is data (`policy.toml`): each parameter carries the dates from which its
values apply, so a run for any as-of date uses the values in force then (政策参数按日期生效).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

__all__ = ["BUNDLED_POLICY", "Policy", "PolicyError", "Settings", "load_policy"]

BUNDLED_POLICY = Path(__file__).with_name("policy.toml")


class PolicyError(ValueError):
    """The policy file is unreadable or lacks a value in force on the as-of date."""


@dataclass(frozen=True)
class Policy:
    """Policy parameters in force on one date. Money is Decimal yuan, never float."""

    in_force_on: dt.date
    funeral_subsidy: Decimal
    advance_cap: Decimal
    required_years: int
    min_annual_contribution: Decimal
    benefit_age: int
    enrollment_min_age: int
    severe_disability_grades: tuple[int, ...]
    death_date_conflict_days: int

    @property
    def advance_amount(self) -> Decimal:
        """缴费资金垫付额: min(required years × lowest grade, cap)."""
        return min(self.required_years * self.min_annual_contribution, self.advance_cap)


_CONVERT = {
    "funeral_subsidy": Decimal,
    "advance_cap": Decimal,
    "required_years": int,
    "min_annual_contribution": Decimal,
    "benefit_age": int,
    "enrollment_min_age": int,
    "severe_disability_grades": lambda v: tuple(int(g) for g in v),
    "death_date_conflict_days": int,
}


def load_policy(as_of: dt.date, path: Path | None = None) -> Policy:
    """Read the policy file and pick each parameter's value in force on `as_of`."""
    path = path or BUNDLED_POLICY
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: policy file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML ({exc})") from exc
    values: dict[str, object] = {}
    for name, convert in _CONVERT.items():
        entries = doc.get(name, {}).get("values", [])
        in_force = [e for e in entries if _start(e, name, path) <= as_of]
        if not in_force:
            raise PolicyError(
                f"{path}: parameter '{name}' has no value in force on {as_of.isoformat()}"
            )
        latest = max(in_force, key=lambda e: _start(e, name, path))
        try:
            values[name] = convert(latest["value"])
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
            raise PolicyError(f"{path}: parameter '{name}' has an unreadable value") from exc
    return Policy(in_force_on=as_of, **values)  # type: ignore[arg-type]


def _start(entry: dict, name: str, path: Path) -> dt.date:
    start = entry.get("from")
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise PolicyError(f"{path}: parameter '{name}' has a value without a 'from' date")
    return start


@dataclass(frozen=True)
class Settings:
    """Everything one nightly run needs to know, fixed before it starts."""

    extracts: Path
    db: Path
    as_of: dt.date
    policy: Policy
