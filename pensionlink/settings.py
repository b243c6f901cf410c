"""Run settings: the policy in force on the as-of date, read once into typed objects.

The policy file is data (`policy.toml`): each parameter carries the dates from which its
values apply, so a run for any as-of date uses the values in force then (政策参数按日期生效).
A value may also carry an end date (`until`, inclusive): after it a parameter that may end
(the advance rule, 缴费资金垫付, provisional to 2021-12-31) is simply not in force (None);
any other parameter without a value in force stops the run.
"""

from __future__ import annotations

import datetime as dt
import logging
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path

from pensionlink.connectors.delivery_guard import DeliveryLimit
from pensionlink.connectors.spec import load_specs
from pensionlink.vocabulary import SOURCE_TITLES

__all__ = [
    "ADVANCE_NOT_IN_FORCE",
    "BUNDLED_POLICY",
    "Policy",
    "PolicyError",
    "Settings",
    "load_policy",
]

BUNDLED_POLICY = Path(__file__).with_name("policy.toml")

log = logging.getLogger(__name__)
CENT = Decimal("0.01")
#: The reason shown where the advance rule has no value in force (uninsured_eligible).
ADVANCE_NOT_IN_FORCE = "垫付政策不在执行期"
#: Parameters that may end (`until`) and then are simply not in force (None).
ENDING = ("advance_cap",)


class PolicyError(ValueError):
    """The policy file is unreadable or lacks a value in force on the as-of date."""


@dataclass(frozen=True)
class Policy:
    """Policy parameters in force on one date. Money is Decimal yuan, never float."""

    in_force_on: dt.date
    funeral_subsidy: Decimal
    advance_cap: Decimal | None  # None: the advance rule is not in force (see `ended`)
    required_years: int
    min_annual_contribution: Decimal
    benefit_age: int
    enrollment_min_age: int
    severe_disability_grades: tuple[int, ...]
    death_date_conflict_days: int
    delivery_limits: tuple[tuple[str, DeliveryLimit], ...]
    basic_pension: Decimal
    account_divisor: int
    death_confirmation: tuple[tuple[str, ...], ...]
    objection_window_days: int
    #: Parameters that may end and have ended on this date: (name, its last `until`).
    ended: tuple[tuple[str, dt.date], ...] = ()
    #: The policy file it was read from (None: the bundled one), to read another date's.
    source: Path | None = field(default=None, repr=False, compare=False)  # not a value

    def on(self, day: dt.date) -> Policy:
        """The same policy file's values in force on `day` (the date of a death, of an
        application); `PolicyError` when a parameter has none then."""
        return load_policy(day, self.source)

    def value_on(self, name: str) -> Callable[[dt.date], object | None]:
        """Parameter `name` of the same file as a function of the date (the file read
        once): its value in force on a day, None where it has none (before its first
        value, after an `until`). For many dates at once (each death's subsidy)."""
        path = self.source or BUNDLED_POLICY
        doc = _read(path)
        if name not in doc and name in _BUNDLED_FALLBACK and path != BUNDLED_POLICY:
            doc = _read(BUNDLED_POLICY)
        entries = doc.get(name, {}).get("values", [])
        _check_periods(entries, name, path)
        dated = sorted(
            (_start(e, name, path), _until(e, name, path), e.get("value")) for e in entries
        )

        def on(day: dt.date) -> object | None:
            now = [(start, until, v) for start, until, v in dated if start <= day]
            if not now or (now[-1][1] is not None and now[-1][1] < day):
                return None
            try:
                return _CONVERT[name](now[-1][2])
            except (ValueError, TypeError, ArithmeticError) as exc:
                raise PolicyError(f"{path}: parameter '{name}' has an unreadable value") from exc

        return on

    def not_in_force(self, name: str) -> str | None:
        """One line naming `name` and its end date when it has ended, else None."""
        until = dict(self.ended).get(name)
        if until is None:
            return None
        return (
            f"{ADVANCE_NOT_IN_FORCE}：{name} 执行至 {until.isoformat()} "
            f"not in force on {self.in_force_on.isoformat()} ({name} until {until.isoformat()});"
            " add a renewal to the policy file (see README)"
        )

    @property
    def back_payment(self) -> Decimal:
        """补缴金额: the missing years at the lowest grade, paid at once into the account."""
        return self.required_years * self.min_annual_contribution

    @property
    def advance_amount(self) -> Decimal | None:
        """缴费资金垫付额: min(required years × lowest grade, cap); None outside the
        advance rule's period (垫付政策不在执行期)."""
        if self.advance_cap is None:
            return None
        return min(self.back_payment, self.advance_cap)

    @property
    def monthly_pension_estimate(self) -> Decimal:
        """预计月养老金 of a new back-payer: 基础养老金 + 个人账户 ÷ 计发月数 (139)."""
        account = (self.back_payment / self.account_divisor).quantize(CENT, ROUND_HALF_UP)
        return self.basic_pension + account

    @property
    def repay_months(self) -> int | None:
        """垫付偿还月数: whole monthly pensions withheld until the advance is repaid;
        None when there is no advance."""
        advance = self.advance_amount
        if advance is None:
            return None
        months = advance / self.monthly_pension_estimate
        return int(months.to_integral_value(ROUND_CEILING))

    def delivery_limit(self, source: str) -> DeliveryLimit:
        """How far `source`'s delivery may move from its last accepted one (送达量检查)."""
        limits = dict(self.delivery_limits)
        return limits.get(source, limits["default"])


def _source_sets(value: object) -> tuple[tuple[str, ...], ...]:
    """`death_confirmation`: a list of source sets, each a list of death-evidence source
    names (the keys of vocabulary.SOURCE_TITLES) that together confirm a death."""
    if not isinstance(value, list) or not all(isinstance(s, list) and s for s in value):
        raise ValueError("death_confirmation must be a list of non-empty lists of sources")
    unknown = {x for s in value for x in s} - set(SOURCE_TITLES)
    if unknown:
        raise ValueError(f"unknown death sources {sorted(unknown)}")
    return tuple(tuple(s) for s in value)


_CONVERT = {
    "funeral_subsidy": Decimal,
    "advance_cap": Decimal,
    "required_years": int,
    "min_annual_contribution": Decimal,
    "benefit_age": int,
    "enrollment_min_age": int,
    "severe_disability_grades": lambda v: tuple(int(g) for g in v),
    "death_date_conflict_days": int,
    "basic_pension": Decimal,
    "account_divisor": int,
    "death_confirmation": _source_sets,
    "objection_window_days": int,
}
# Operational parameters the contract does not list: a policy file without them takes
# the bundled values (with a warning) rather than stopping the night.
_BUNDLED_FALLBACK = (
    "death_date_conflict_days",
    "basic_pension",
    "account_divisor",
    "death_confirmation",
    "objection_window_days",
)


def _delivery_limits(value: dict) -> tuple[tuple[str, DeliveryLimit], ...]:
    """`{source or "default": {fall_percent, rise_percent, min_change, id_fall_percent}}`
    → sorted pairs;
    whole non-negative numbers, known sources, and a `default` for the others."""
    if not isinstance(value, dict) or "default" not in value:
        raise ValueError("delivery_limits needs a 'default'")
    limits = []
    for source, raw in sorted(value.items()):
        id_fall = raw.get("id_fall_percent")
        limit = DeliveryLimit(
            int(raw["fall_percent"]),
            int(raw["rise_percent"]),
            int(raw.get("min_change", 0)),
            None if id_fall is None else int(id_fall),
        )
        if min(limit.fall_percent, limit.rise_percent, limit.min_change, id_fall or 0) < 0:
            raise ValueError(f"delivery_limits.{source}: negative limit")
        if source != "default" and source not in load_specs():
            raise ValueError(f"delivery_limits.{source}: unknown source")
        limits.append((source, limit))
    return tuple(limits)


_CONVERT["delivery_limits"] = _delivery_limits  # 送达量检查 (connectors.delivery_guard)
_BUNDLED_FALLBACK += ("delivery_limits",)


def load_policy(as_of: dt.date, path: Path | None = None) -> Policy:
    """Read the policy file and pick each parameter's value in force on `as_of`."""
    path = path or BUNDLED_POLICY
    doc = _read(path)
    values: dict[str, object] = {}
    ended: list[tuple[str, dt.date]] = []
    for name, convert in _CONVERT.items():
        if name not in doc and name in _BUNDLED_FALLBACK and Path(path) != BUNDLED_POLICY:
            log.warning("%s: no '%s'; using the bundled policy's value", path, name)
            values[name] = getattr(load_policy(as_of), name)
            continue
        entries = doc.get(name, {}).get("values", [])
        _check_periods(entries, name, path)
        in_force = [e for e in entries if _start(e, name, path) <= as_of]
        if not in_force:
            raise PolicyError(
                f"{path}: parameter '{name}' has no value in force on {as_of.isoformat()}"
            )
        latest = max(in_force, key=lambda e: _start(e, name, path))
        until = _until(latest, name, path)
        if until is not None and until < as_of:
            if name not in ENDING:
                raise PolicyError(
                    f"{path}: parameter '{name}' has no value in force on "
                    f"{as_of.isoformat()} (its last value ended {until.isoformat()})"
                )
            values[name] = None
            ended.append((name, until))
            continue
        try:
            values[name] = convert(latest["value"])
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
            raise PolicyError(
                f"{path}: parameter '{name}' has an unreadable value ({exc})"
            ) from exc
    source = None if Path(path) == BUNDLED_POLICY else Path(path)
    return Policy(  # type: ignore[arg-type]
        in_force_on=as_of, ended=tuple(ended), source=source, **values
    )


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: policy file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML ({exc})") from exc


def _start(entry: dict, name: str, path: Path) -> dt.date:
    start = entry.get("from")
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise PolicyError(f"{path}: parameter '{name}' has a value without a 'from' date")
    return start


def _until(entry: dict, name: str, path: Path) -> dt.date | None:
    until = entry.get("until")
    if until is None:
        return None
    if not isinstance(until, dt.date) or isinstance(until, dt.datetime):
        raise PolicyError(f"{path}: parameter '{name}' has an 'until' that is not a date")
    return until


def _check_periods(entries: list[dict], name: str, path: Path) -> None:
    """Each value's `until` is on or after its `from`, and no value starts before the
    one it follows has ended (a value without `until` runs until the next one starts)."""
    dated = sorted(entries, key=lambda e: _start(e, name, path))
    for entry in dated:
        until = _until(entry, name, path)
        if until is not None and until < _start(entry, name, path):
            raise PolicyError(
                f"{path}: parameter '{name}': a value ends ({until.isoformat()}) before it "
                f"starts ({_start(entry, name, path).isoformat()})"
            )
    for before, after in pairwise(dated):
        until, start = _until(before, name, path), _start(after, name, path)
        if start == _start(before, name, path) or (until is not None and start <= until):
            raise PolicyError(
                f"{path}: parameter '{name}': the value from {start.isoformat()} overlaps "
                f"the one from {_start(before, name, path).isoformat()}"
            )


@dataclass(frozen=True)
class Settings:
    """Everything one nightly run needs to know, fixed before it starts."""

    extracts: Path
    db: Path
    as_of: dt.date
    policy: Policy
