"""Stage 2, each person's true life (生平): who moved away, who died and when, the
employee roster, the residents' roster with its pension numbers, enrolment, the month the
pension starts, and the living pensioners some agency wrongly reports dead.

Roster statuses are held as codes into `STATUS` (the vocabulary's 参保状态).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from pensionlink.synth.amounts import Amounts
from pensionlink.synth.draws import between, chance
from pensionlink.synth.population import People
from pensionlink.synth.values import NEVER, add_years, day_number, month_index, month_start

from pensionlink import vocabulary

#: The roster statuses the codes below index (the vocabulary's, in its order).
STATUS = vocabulary.ROSTER_STATUSES
CONTRIB, RECEIVING, SUSPENDED, TERMINATED = (
    STATUS.index(s)
    for s in (
        vocabulary.CONTRIBUTING,
        vocabulary.RECEIVING,
        vocabulary.SUSPENDED,
        vocabulary.TERMINATED,
    )
)
#: Codes of a record still on the roster (the vocabulary's ACTIVE_STATUSES).
ACTIVE = tuple(STATUS.index(s) for s in vocabulary.ACTIVE_STATUSES)
#: Status at death from a history that does not hold together (truth: review, no clawback).
UNKNOWN = -2

HISTORY_DAYS = 3 * 365  # deaths and status changes reach back this far

#: Share of living pensioners falsely reported dead (by hukou, else by medical insurance).
WRONGLY_DEAD_RATE = 0.002


@dataclass
class Lives:
    """The true story. Person-indexed arrays unless noted; NEVER = no such date."""

    moved: np.ndarray
    moved_day: np.ndarray
    death: np.ndarray
    employee: np.ndarray
    employee_retired: np.ndarray
    roster: np.ndarray
    pension_no: np.ndarray
    enrolled: np.ndarray
    receiving_from: np.ndarray  # first day of the first month paid (NEVER if never)
    pension: np.ndarray  # fen a month
    balance: np.ndarray  # fen
    initial_status: np.ndarray
    # status history, one row per change (sorted by person, date)
    ch_pid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ch_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ch_after: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ch_reason: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    status: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    wrongly_dead: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    false_death: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    false_by_hukou: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    tables: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


_MORTALITY = ((40, 0.0008), (60, 0.004), (70, 0.012), (80, 0.035), (90, 0.10), (200, 0.22))


def _deaths(rng: np.random.Generator, p: People) -> np.ndarray:
    """True death day (NEVER if alive on as_of) within the last three years."""
    q = np.select([p.age < a for a, _ in _MORTALITY], [r for _, r in _MORTALITY])
    dies = rng.random(p.n) < 1 - (1 - q) ** (HISTORY_DAYS / 365)
    day = between(rng, p.as_of - HISTORY_DAYS, p.as_of - 1, p.n)
    day = np.maximum(day, p.birth + 30)
    return np.where(dies & (day < p.as_of), day, NEVER)


def draw_lives(rng: np.random.Generator, p: People, amounts: Amounts) -> Lives:
    """Deaths, moves, both rosters, enrolment and the pension of everyone."""
    death = _deaths(rng, p)
    alive = death >= NEVER
    moved = chance(rng, 0.015, alive & (p.age >= 16) & (p.age < 60))
    moved_day = np.where(moved, between(rng, p.as_of - HISTORY_DAYS, p.as_of - 10, p.n), NEVER)
    adult = p.age >= 18
    employee = chance(rng, np.where(p.age < 60, 0.26, 0.2), adult & ~moved)
    # An employee who died long ago has left the roster.
    employee &= death >= p.as_of - 90
    retire_age = np.where(p.male, 60, 55)
    employee_retired = employee & (p.age >= retire_age)
    # Residents' roster: most adults not in the employee scheme, a few on both (重复参保).
    share = np.select([p.age < 25, p.age < 60], [0.45, 0.8], 0.92)
    roster = chance(rng, share, (p.age >= amounts.enrollment_min_age) & ~employee)
    roster |= chance(rng, 0.04, employee)
    n_roster = int(roster.sum())
    order = rng.permutation(np.flatnonzero(roster))
    pension_no = np.full(p.n, -1, np.int64)
    pension_no[order] = 2205000000 + np.cumsum(rng.integers(1, 8, n_roster))
    sixteen = add_years(p.birth, amounts.enrollment_min_age)
    latest = np.minimum(np.minimum(p.as_of - 60, death - 30), moved_day - 30)
    earliest = np.maximum(sixteen, day_number(dt.date(2011, 1, 1)))
    enrolled = month_start(month_index(between(rng, earliest, latest)))
    # Pension from the month after the birthday of benefit age (or after a late enrolment).
    start = np.maximum(
        month_start(month_index(add_years(p.birth, amounts.benefit_age)) + 1),
        month_start(month_index(enrolled) + 1),
    )
    receives = roster & (start <= p.as_of) & (start < death)
    receiving_from = np.where(receives, start, NEVER)
    pension = np.where(
        receives, np.clip(10_000 + rng.gamma(2.0, 2_500, p.n), 10_000, 30_000), 0
    ).astype(np.int64)
    balance = np.where(
        receives,
        np.where(rng.random(p.n) < 0.08, 0, rng.uniform(0, 900_000, p.n)),
        rng.uniform(30_000, 1_500_000, p.n),
    ).astype(np.int64)
    initial = np.where(receives & (start <= p.as_of - HISTORY_DAYS), RECEIVING, CONTRIB)
    return Lives(
        moved=moved,
        moved_day=moved_day,
        death=death,
        employee=employee,
        employee_retired=employee_retired,
        roster=roster,
        pension_no=pension_no,
        enrolled=np.where(roster, enrolled, NEVER),
        receiving_from=receiving_from,
        pension=pension,
        balance=np.where(roster, balance, 0),
        initial_status=np.where(roster, initial, -1),
    )


def draw_wrongly_dead(rng: np.random.Generator, p: People, life: Lives) -> None:
    """Living pensioners some agency reports dead (they keep visiting doctors)."""
    alive = (life.death >= NEVER) & ~life.moved
    pool = alive & life.roster & np.isin(life.status, (RECEIVING, CONTRIB))
    rate = np.where(life.status == RECEIVING, WRONGLY_DEAD_RATE, WRONGLY_DEAD_RATE / 6)
    life.wrongly_dead = chance(rng, rate, pool)
    life.false_death = np.where(
        life.wrongly_dead, between(rng, p.as_of - 330, p.as_of - 20, p.n), NEVER
    )
    life.false_by_hukou = life.wrongly_dead & (rng.random(p.n) < 0.8)
