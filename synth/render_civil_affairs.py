"""民政局's extracts rendered (救助, 火化, 抚恤金): assistance, cremation records (with a
relative's ID typed in now and then) and 抚恤金 payments.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from pensionlink.synth.draws import pick, shuffled
from pensionlink.synth.render import Extract, Renderer, extract
from pensionlink.synth.values import NEVER, dates_text, money_text

#: Share of cremation records carrying a living relative's ID instead of the deceased's.
FUNERAL_RELATIVE_ID = 0.03

FUNERAL_HOMES = (("龙井市殡仪馆", 0.85), ("延吉市殡仪馆", 0.12), ("和龙市殡仪馆", 0.03))

FUXU_CATEGORIES = ("伤残军人", "在乡复员军人", "带病回乡退伍军人")


def assistance(r: Renderer, a: dict, protect: np.ndarray) -> Extract:
    """低保/特困 terms (救助); IDs of the uninsured (`protect`) never destroyed."""
    order = shuffled(r.rng, a["pid"])
    pid = a["pid"][order]
    return extract(
        "assistance",
        {
            "身份证号": r.ids("assistance", pid, protect[pid]),
            "姓名": r.names(pid),
            "救助类别": a["category"][order],
            "起始日期": dates_text(a["start"][order], "%Y/%m/%d"),
            "终止日期": dates_text(a["end"][order], "%Y/%m/%d"),
            "乡镇街道": r.p.township[pid],
        },
        pid,
    )


def funeral(r: Renderer, reports: dict) -> Extract:
    """Cremation records (火化), now and then with a living relative's ID."""
    p, rng = r.p, r.rng
    pid = rng.permutation(np.flatnonzero(reports["funeral"]))
    death = reports["funeral_day"][pid]
    # Cremated 1-4 days after the death, and never after the night itself.
    cremation = np.minimum(death + rng.integers(1, 5, len(pid)), p.as_of - 1)
    protect = reports.get("funeral_protect", np.zeros(p.n, bool))[pid]
    ids = r.ids("funeral", pid, protect)
    relative = (rng.random(len(pid)) < FUNERAL_RELATIVE_ID * r.noise) & ~protect
    ids[relative] = p.cid[_relatives(r, pid[relative])]
    return extract(
        "funeral",
        {
            "逝者身份证号": ids,
            "逝者姓名": r.names(pid),
            "性别": r.sex[pid],
            "死亡日期": _loose_dates(r, death),
            "火化日期": _loose_dates(r, cremation),
            "殡仪馆": np.array([h for h, _ in FUNERAL_HOMES], dtype=object)[
                pick(rng, FUNERAL_HOMES, len(pid))
            ],
        },
        pid,
    )


def _loose_dates(r: Renderer, days: np.ndarray) -> pl.Series:
    """YYYY/M/D for most rows, YYYY/MM/DD for the rest."""
    padded = pl.Series(r.rng.random(len(days)) < 0.4)
    return pl.select(
        pl.when(padded).then(dates_text(days, "%Y/%m/%d")).otherwise(dates_text(days, "%Y/%-m/%-d"))
    ).to_series()


def _relatives(r: Renderer, pid: np.ndarray) -> np.ndarray:
    """A living person of the same village (a relative typed in by mistake)."""
    p, life = r.p, r.life
    living = np.flatnonzero((life.death >= NEVER) & ~life.moved)
    living = living[np.argsort(p.village_idx[living], kind="stable")]
    v = p.village_idx[living]
    first = np.searchsorted(v, p.village_idx[pid], side="left")
    count = np.searchsorted(v, p.village_idx[pid], side="right") - first
    return living[first + (r.rng.random(len(pid)) * count).astype(np.int64)]


def pension_fuxu(r: Renderer, f: dict) -> Extract:
    """抚恤金 payments in three date formats."""
    pid = f["pid"]
    fmt = r.rng.integers(0, 3, len(pid))
    day = f["day"]
    dates = pl.select(
        pl.when(pl.Series(fmt == 0))
        .then(dates_text(day, "%Y-%m-%d"))
        .when(pl.Series(fmt == 1))
        .then(dates_text(day, "%Y/%m/%d"))
        .otherwise(dates_text(day, "%Y%m%d"))
    ).to_series()
    return extract(
        "pension_fuxu",
        {
            "身份证号": r.ids("pension_fuxu", pid),
            "姓名": r.names(pid),
            "抚恤类别": np.array(FUXU_CATEGORIES, dtype=object)[
                r.rng.integers(0, len(FUXU_CATEGORIES), len(pid))
            ],
            "发放日期": dates,
            "金额": money_text(f["amount"]),
        },
        pid,
    )
