"""公安局's extracts rendered (户籍, 羁押): the hukou with its 死亡/迁出 records and the
custody terms.
"""

from __future__ import annotations

import numpy as np
from pensionlink.synth.draws import between, shuffled
from pensionlink.synth.render import Extract, Renderer, extract
from pensionlink.synth.values import NEVER, dates_text


def hukou(r: Renderer, reports: dict) -> Extract:
    """The hukou (户籍) of everyone, with its 死亡 and 迁出 records."""
    p, life = r.p, r.life
    pid = np.arange(p.n)
    dead_h = reports["hukou"] | (life.wrongly_dead & life.false_by_hukou)
    death_day = np.where(reports["hukou"], reports["hukou_day"], NEVER)
    death_day = np.where(life.wrongly_dead & life.false_by_hukou, life.false_death, death_day)
    dereg = np.where(reports["hukou"], reports["hukou_dereg"], NEVER)
    lag = between(r.rng, 3, 60, p.n)
    false_dereg = np.minimum(life.false_death + lag, p.as_of - 1)
    dereg = np.where(life.wrongly_dead & life.false_by_hukou, false_dereg, dereg)
    dereg = np.where(life.moved, life.moved_day, dereg)
    status = np.where(dead_h, "死亡", np.where(life.moved, "迁出", "正常")).astype(object)
    address = "吉林省龙井市" + p.township + p.village
    return extract(
        "hukou",
        {
            "公民身份号码": r.ids("hukou", pid),
            "姓名": r.names(pid, 0.1),
            "性别": r.sex,
            "出生日期": dates_text(p.birth, "%Y%m%d"),
            "民族": np.where(p.korean, "朝鲜族", "汉族"),
            "户籍地址": address,
            "乡镇街道": p.township,
            "村社区": p.village,
            "人员状态": status,
            "死亡日期": dates_text(death_day, "%Y%m%d"),
            "注销日期": dates_text(dereg, "%Y%m%d"),
        },
        pid,
    )


def custody(r: Renderer, custody: dict) -> Extract:
    """Custody terms (羁押)."""
    order = shuffled(r.rng, custody["pid"])
    pid = custody["pid"][order]
    return extract(
        "custody",
        {
            "公民身份号码": r.ids("custody", pid),
            "姓名": r.names(pid),
            "入所日期": dates_text(custody["start"][order], "%Y-%m-%d"),
            "出所日期": dates_text(custody["end"][order], "%Y-%m-%d"),
            "羁押场所": custody["facility"][order],
        },
        pid,
    )
