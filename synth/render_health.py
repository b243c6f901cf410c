"""医保局's and 卫健委's extracts rendered (医保参保, 死亡医学证明, 就诊): medical insurance
enrolment, death certificates and health visits (the wrongly dead keep visiting).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from pensionlink.synth.draws import between
from pensionlink.synth.population import VILLAGES
from pensionlink.synth.render import Extract, Renderer, extract
from pensionlink.synth.values import NEVER, dates_text

CITY_HOSPITALS = ("龙井市人民医院", "龙井市中医院", "延边大学附属医院")


def medical(r: Renderer, reports: dict) -> Extract:
    """Medical insurance enrolment (医保参保), with terminations for death."""
    p, life, rng = r.p, r.life, r.rng
    enrolled = rng.random(p.n) < 0.96
    enrolled |= reports["medical"] | (life.wrongly_dead & ~life.false_by_hukou)
    pid = rng.permutation(np.flatnonzero(enrolled))
    scheme = np.where(life.employee[pid], "职工基本医疗保险", "城乡居民基本医疗保险")
    dead_m = reports["medical"][pid]
    false_m = (life.wrongly_dead & ~life.false_by_hukou)[pid]
    moved = life.moved[pid]
    paused = rng.random(len(pid)) < 0.005
    status = np.select([dead_m | false_m | moved, paused], ["终止参保", "暂停"], "参保缴费").astype(
        object
    )
    end = np.select(
        [dead_m, false_m, moved],
        [reports["medical_day"][pid], life.false_death[pid], life.moved_day[pid]],
        NEVER,
    )
    reason = np.select([dead_m | false_m, moved], ["死亡", "转外地参保"], None).astype(object)
    return extract(
        "medical_enrollment",
        {
            "证件号码": r.ids("medical_enrollment", pid),
            "姓名": r.names(pid),
            "参保险种": scheme,
            "参保状态": status,
            "终止日期": dates_text(end, "%Y-%m-%d"),
            "终止原因": reason,
        },
        pid,
    )


def death_certificates(r: Renderer, reports: dict) -> Extract:
    """Medical death certificates (死亡医学证明), some without an ID."""
    p, rng = r.p, r.rng
    pid = rng.permutation(np.flatnonzero(reports["cert"]))
    ids = r.ids("death_certificates", pid, ~reports["hukou"][pid])
    ids[reports["cert_no_id"][pid]] = ""
    minutes = rng.integers(0, 24 * 60, len(pid))
    time_text = pl.Series(
        [f" {m // 60:02d}:{m % 60:02d}" for m in minutes.tolist()], dtype=pl.String
    )
    home = reports["cert_home"][pid]
    hospital = np.array(CITY_HOSPITALS, dtype=object)[rng.integers(0, 3, len(pid))]
    return extract(
        "death_certificates",
        {
            "死者身份证号": ids,
            "姓名": r.names(pid),
            "性别": r.sex[pid],
            "出生日期": dates_text(p.birth[pid], "%Y-%m-%d"),
            "死亡时间": dates_text(reports["cert_day"][pid], "%Y-%m-%d") + time_text,
            "死亡地点": np.where(home, "家中", hospital),
        },
        pid,
    )


def visits(r: Renderer) -> Extract:
    """Health visits of the last year (就诊); the wrongly dead keep visiting."""
    p, life, rng = r.p, r.life, r.rng
    as_of = p.as_of
    old = p.age >= 60
    visits = rng.random(p.n) < np.where(old, 0.6, 0.3)
    visits &= ~life.moved
    count = np.where(visits, 1 + rng.poisson(np.where(old, 3.0, 1.5)), 0)
    pid = np.repeat(np.arange(p.n), count)
    last = np.minimum(life.death, as_of) - 1
    first = as_of - 365
    keep = last[pid] >= first
    pid = pid[keep]
    day = between(rng, first, last[pid])
    # The wrongly dead visit a doctor after their reported death.
    wd = np.flatnonzero(life.wrongly_dead)
    extra = np.repeat(wd, rng.integers(1, 4, len(wd)))
    extra_day = between(rng, life.false_death[extra] + 1, as_of - 1)
    pid, day = np.concatenate([pid, extra]), np.concatenate([day, extra_day])
    order = rng.permutation(len(pid))
    pid, day = pid[order], day[order]
    own = np.array(
        [f"{t}卫生院" if not t.endswith("街道") else f"{t}社区卫生服务中心" for t in VILLAGES],
        dtype=object,
    )
    town_idx = {t: i for i, t in enumerate(VILLAGES)}
    t_of = np.array([town_idx[t] for t in p.township[pid]]) if len(pid) else np.zeros(0, int)
    local = rng.random(len(pid)) < 0.45
    facility = np.where(
        local, own[t_of], np.array(CITY_HOSPITALS, dtype=object)[rng.integers(0, 3, len(pid))]
    )
    return extract(
        "visits",
        {
            "身份证号": r.ids("visits", pid),
            "姓名": r.names(pid),
            "就诊日期": dates_text(day, "%Y-%m-%d"),
            "医疗机构": facility,
        },
        pid,
    )
