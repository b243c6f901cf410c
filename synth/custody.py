"""Stage 2, custody terms (羁押): ordinary terms of living adults, and the pensioners who
died in custody (not eligible for the funeral subsidy).
"""

from __future__ import annotations

import numpy as np
from pensionlink.synth.draws import between, chance
from pensionlink.synth.lives import Lives
from pensionlink.synth.population import People
from pensionlink.synth.values import NEVER


def draw_custody(rng: np.random.Generator, p: People, life: Lives, at_death: np.ndarray) -> dict:
    """Custody terms: ordinary ones for living adults, plus people who died in custody."""
    alive = life.death >= NEVER
    rate = np.where(p.male, 0.004, 0.0008)
    base = np.flatnonzero(chance(rng, rate, alive & (p.age >= 18) & (p.age < 75)))
    start = between(rng, p.as_of - 1500, p.as_of - 5, len(base))
    length = between(rng, 20, 1800, len(base))
    end = np.where(start + length < p.as_of, start + length, NEVER)
    died = np.flatnonzero(at_death)
    d = life.death[died]
    d_start = d - between(rng, 30, 900, len(died))
    d_end = np.where(rng.random(len(died)) < 0.5, d, NEVER)
    pid = np.concatenate([base, died])
    start, end = np.concatenate([start, d_start]), np.concatenate([end, d_end])
    short = (np.minimum(end, p.as_of) - start) < 365
    facility = np.where(
        short,
        "龙井市看守所",
        np.where(rng.random(len(pid)) < 0.8, "吉林监狱", "延边监狱"),
    ).astype(object)
    return {"pid": pid, "start": start, "end": end, "facility": facility}


def in_custody(custody: dict, pid: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Whether each (pid, day) falls inside a custody term (ends inclusive)."""
    out = np.zeros(len(pid), bool)
    if len(pid) == 0 or len(custody["pid"]) == 0:
        return out
    pos = {int(x): i for i, x in enumerate(pid)}
    for c_pid, s, e in zip(custody["pid"], custody["start"], custody["end"], strict=True):
        i = pos.get(int(c_pid))
        if i is not None and s <= day[i] <= e:
            out[i] = True
    return out
