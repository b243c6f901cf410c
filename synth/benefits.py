"""Stage 2, the benefits paid at death (丧葬补助金与抚恤金): residents' funeral subsidies
(with the duplicates and improper ones the rules look for), the employee scheme's grants
and 抚恤金.
"""

from __future__ import annotations

import numpy as np
from pensionlink.synth.draws import between, chance
from pensionlink.synth.lives import CONTRIB, RECEIVING, SUSPENDED, Lives
from pensionlink.synth.population import People
from pensionlink.synth.status_history import termination_day
from pensionlink.synth.values import NEVER


def draw_benefits(rng: np.random.Generator, p: People, life: Lives, at_death: dict) -> dict:
    """Funeral subsidies paid (both schemes, with the improper ones) and 抚恤金."""
    as_of, death = p.as_of, life.death
    dead = death < NEVER
    status, custody = at_death["status"], at_death["custody"]
    term = termination_day(life)
    processed = term < NEVER
    eligible = (status == RECEIVING) & ~custody
    prob = np.select(
        [eligible, custody, status == SUSPENDED, status == CONTRIB], [0.93, 0.5, 0.4, 0.08], 0
    )
    paid = chance(rng, prob, life.roster & dead & processed)
    pay_day = term + between(rng, 3, 45, p.n)
    paid &= pay_day < as_of
    twice = chance(rng, 0.05, paid)
    again = pay_day + between(rng, 15, 120, p.n)
    twice &= again < as_of
    r_pid = np.concatenate([np.flatnonzero(paid), np.flatnonzero(twice)])
    r_day = np.concatenate([pay_day[paid], again[twice]])

    grant = chance(rng, 0.75, dead & life.employee)
    g_day = death + between(rng, 20, 90, p.n)
    grant &= g_day < as_of
    e_pid = np.flatnonzero(grant)
    subsidies = {
        "pid": np.concatenate([r_pid, e_pid]),
        "day": np.concatenate([r_day, g_day[grant]]),
        "resident": np.concatenate([np.ones(len(r_pid), bool), np.zeros(len(e_pid), bool)]),
    }
    fuxu = chance(rng, 0.04, dead & p.male & (p.age >= 65))
    f_day = death + between(rng, 15, 120, p.n)
    fuxu &= f_day < as_of
    f_pid = np.flatnonzero(fuxu)
    f_amount = rng.integers(8, 51, len(f_pid)) * 1_000_00
    pension_fuxu = {"pid": f_pid, "day": f_day[fuxu], "amount": f_amount}
    return {"funeral_subsidies": subsidies, "pension_fuxu": pension_fuxu}
