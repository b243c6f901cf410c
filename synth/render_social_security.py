"""社保局's own extracts rendered (居民养老保险): the residents' roster, its status changes,
pension payments, funeral subsidies (both schemes) and the employee roster.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from pensionlink.synth.amounts import EMPLOYEE_FUNERAL_GRANT
from pensionlink.synth.draws import pick
from pensionlink.synth.lives import STATUS
from pensionlink.synth.render import Extract, Renderer, extract
from pensionlink.synth.values import NEVER, dates_text, money_text

from pensionlink.vocabulary import RESIDENT_SCHEME

EMPLOYERS = (
    ("龙井市建筑公司", 0.25),
    ("龙井市供电公司", 0.22),
    ("龙井市自来水公司", 0.2),
    ("龙井市商贸公司", 0.2),
    ("龙井市第一中学", 0.05),
    ("龙井市人民医院", 0.05),
    ("延边烟草公司龙井分公司", 0.03),
)


EMPLOYEE_SCHEME = "企业职工基本养老保险"


def resident_roster(r: Renderer) -> Extract:
    """The residents' roster (参保人员), by pension number."""
    p, life = r.p, r.life
    pid = np.flatnonzero(life.roster)
    pid = pid[np.argsort(life.pension_no[pid])]
    rec = life.receiving_from[pid] < NEVER
    return extract(
        "resident_roster",
        {
            "个人编号": life.pension_no[pid].astype(str),
            "公民身份号码": r.ids("resident_roster", pid),
            "姓名": r.names(pid),
            "性别": r.sex[pid],
            "出生日期": dates_text(p.birth[pid], "%Y-%m-%d"),
            "乡镇街道": p.township[pid],
            "村社区": p.village[pid],
            "参保状态": np.array(STATUS, dtype=object)[life.status[pid]],
            "参保日期": dates_text(life.enrolled[pid], "%Y-%m-%d"),
            "月养老金": money_text(life.pension[pid]).set(pl.Series(~rec), None),
            "个人账户余额": money_text(life.balance[pid]),
        },
        pid,
    )


def status_changes(r: Renderer) -> Extract:
    """The recorded status changes (参保状态变更), by pension number and date."""
    life = r.life
    pid = life.ch_pid
    before = np.empty(len(pid), np.int64)
    same = np.zeros(len(pid), bool)
    same[1:] = pid[1:] == pid[:-1]
    before[~same] = life.initial_status[pid[~same]]
    before[1:][same[1:]] = life.ch_after[:-1][same[1:]]
    order = np.lexsort((life.ch_day, life.pension_no[pid]))
    names = np.array(STATUS, dtype=object)
    return extract(
        "status_changes",
        {
            "个人编号": life.pension_no[pid][order].astype(str),
            "变更前状态": names[before[order]],
            "变更后状态": names[life.ch_after[order]],
            "变更日期": dates_text(life.ch_day[order], "%Y-%m-%d"),
            "变更原因": life.ch_reason[order],
        },
        pid[order],
    )


def pension_payments(r: Renderer, pay: dict) -> Extract:
    """Pension payments (养老金发放), by pension number and month."""
    order = np.lexsort((pay["month"], r.life.pension_no[pay["pid"]]))
    pid, month = pay["pid"][order], pay["month"][order]
    yyyymm = (month // 12 + 1970) * 100 + month % 12 + 1
    return extract(
        "pension_payments",
        {
            "个人编号": r.life.pension_no[pid].astype(str),
            "发放年月": yyyymm.astype(str),
            "发放金额": money_text(pay["amount"][order]),
        },
        pid,
    )


def funeral_subsidies(r: Renderer, s: dict, funeral_subsidy: int) -> Extract:
    """Both schemes' funeral payments; a resident's is `funeral_subsidy` fen."""
    order = np.argsort(s["day"], kind="stable")
    pid, res, day = s["pid"][order], s["resident"][order], s["day"][order]
    pension_no = np.where(res, r.life.pension_no[pid].astype(str), None).astype(object)
    return extract(
        "funeral_subsidies",
        {
            "个人编号": pension_no,
            "公民身份号码": r.ids("funeral_subsidies", pid),
            "姓名": r.names(pid),
            "险种": np.where(res, RESIDENT_SCHEME, EMPLOYEE_SCHEME),
            "发放日期": dates_text(day, "%Y-%m-%d"),
            "金额": money_text(np.where(res, funeral_subsidy, EMPLOYEE_FUNERAL_GRANT)),
        },
        pid,
    )


def employee_roster(r: Renderer) -> Extract:
    """The employee scheme's roster (企业职工)."""
    life, rng = r.life, r.rng
    pid = rng.permutation(np.flatnonzero(life.employee))
    return extract(
        "employee_roster",
        {
            "公民身份号码": r.ids("employee_roster", pid),
            "姓名": r.names(pid),
            "参保状态": np.where(life.employee_retired[pid], "退休", "在职"),
            "单位名称": np.array([e for e, _ in EMPLOYERS], dtype=object)[
                pick(rng, EMPLOYERS, len(pid))
            ],
        },
        pid,
    )
