"""Stage 2, the special groups (特殊群体): assistance (低保/特困), disability cards and the
poverty registry, and each person's groups on the as-of date (the government pays their
contributions).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from pensionlink.synth.draws import between, chance
from pensionlink.synth.lives import Lives
from pensionlink.synth.population import People
from pensionlink.synth.values import NEVER, day_number, month_index, month_start


def draw_groups(rng: np.random.Generator, p: People, life: Lives) -> dict[str, dict]:
    """Assistance (低保/特困), disability cards and the poverty registry."""
    as_of = p.as_of
    street = np.char.endswith(p.township.astype(str), "街道")
    aid = np.flatnonzero(chance(rng, np.where(p.age >= 60, 0.05, 0.03), ~life.moved))
    old = p.age[aid] >= 60
    category = np.where(
        old & (rng.random(len(aid)) < 0.3),
        "特困供养",
        np.where(street[aid], "城市低保", "农村低保"),
    ).astype(object)
    latest = np.minimum(as_of - 20, life.death[aid] - 30)
    start = month_start(month_index(between(rng, day_number(dt.date(2018, 1, 1)), latest)))
    u = rng.random(len(aid))
    ended = between(rng, start + 60, as_of - 1)
    future = between(rng, as_of + 1, as_of + 365, len(aid))
    end = np.select([u < 0.15, u < 0.2], [ended, future], NEVER)
    d = life.death[aid]
    end = np.where((d < NEVER) & (rng.random(len(aid)) < 0.7), np.maximum(d, start), end)
    assistance = {"pid": aid, "category": category, "start": start, "end": end}

    dis = np.flatnonzero(chance(rng, np.where(p.age >= 60, 0.04, 0.02), ~life.moved))
    grade = rng.choice(4, len(dis), p=[0.1, 0.2, 0.33, 0.37]) + 1
    disabled = {"pid": dis, "category": rng.integers(1, 8, len(dis)), "grade": grade}

    pov = np.flatnonzero(chance(rng, 0.04, ~street & ~life.moved))
    kind = np.where(rng.random(len(pov)) < 0.67, "脱贫户", "监测户").astype(object)
    poverty = {"pid": pov, "kind": kind}
    return {"assistance": assistance, "disabled": disabled, "poverty": poverty}


def special_groups_on(p: People, groups: dict, severe_grades: tuple[int, ...]) -> np.ndarray:
    """Per person, the sorted ';'-joined special groups on as_of ('' for none)."""
    labels = np.full(p.n, "", object)
    a = groups["assistance"]
    active = (a["start"] <= p.as_of) & (a["end"] > p.as_of)
    entries = [
        (a["pid"][active], a["category"][active]),
        (
            groups["disabled"]["pid"][np.isin(groups["disabled"]["grade"], severe_grades)],
            "重度残疾",
        ),
        (groups["poverty"]["pid"], groups["poverty"]["kind"]),
    ]
    found: dict[int, set[str]] = {}
    for pids, label in entries:
        lab = np.broadcast_to(np.asarray(label, dtype=object), pids.shape)
        for x, g in zip(pids.tolist(), lab.tolist(), strict=True):
            found.setdefault(x, set()).add(g)
    for x, gs in found.items():
        labels[x] = ";".join(sorted(gs))
    return labels
