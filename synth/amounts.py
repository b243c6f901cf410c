"""The policy amounts a generated night follows (政策参数): read from the policy in force
on the night's as-of date (`pensionlink.settings.load_policy`), so the truth follows an
edited policy.toml instead of numbers copied into the generator.

Money is int fen, as everywhere in the generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pensionlink.settings import Policy

__all__ = ["EMPLOYEE_FUNERAL_GRANT", "Amounts"]

#: 企业职工 funeral grant in fen: the employee scheme's, not in this bureau's policy file.
EMPLOYEE_FUNERAL_GRANT = 500_000


def _fen(yuan: Decimal) -> int:
    return int((yuan * 100).to_integral_value())


@dataclass(frozen=True)
class Amounts:
    """The policy parameters the true story and its truth use, in the generator's units."""

    funeral_subsidy: int  # fen: 丧葬补助金 of a pensioner who dies while receiving
    advance_amount: int | None  # fen: 缴费资金垫付额, min(required years × lowest grade, cap);
    # None outside the advance rule's period (垫付政策不在执行期)
    benefit_age: int  # 待遇领取年龄
    enrollment_min_age: int  # 参保年龄下限
    severe_disability_grades: tuple[int, ...]  # 重度残疾
    death_date_conflict_days: int  # 死亡日期冲突

    @classmethod
    def from_policy(cls, policy: Policy) -> Amounts:
        """The amounts of `policy` (the one in force on the night's as-of date)."""
        advance = policy.advance_amount
        return cls(
            funeral_subsidy=_fen(policy.funeral_subsidy),
            advance_amount=None if advance is None else _fen(advance),
            benefit_age=policy.benefit_age,
            enrollment_min_age=policy.enrollment_min_age,
            severe_disability_grades=policy.severe_disability_grades,
            death_date_conflict_days=policy.death_date_conflict_days,
        )
