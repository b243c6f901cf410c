"""The Chinese words staff read in the reports (报表用语), one place for all of them."""

from __future__ import annotations

from pensionlink.vocabulary import RESIDENT_SCHEME, SOURCE_TITLES

__all__ = [
    "CASE_ACTION",
    "CASE_KIND",
    "CASE_STATE",
    "CATEGORY",
    "CLOSE_REASON",
    "DECISION",
    "DISAGREEMENT_KIND",
    "EVIDENCE",
    "FUNERAL_DECISION",
    "FUNERAL_KIND",
    "SCHEME",
    "SUBSIDY_ELIGIBILITY",
]

CATEGORY = {
    "government_paid": "政府代缴",
    "back_payment": "补缴（垫付）",
    "standard": "普通参保",
}
DECISION = {"confirmed": "确认注销", "review": "人工核实"}
FUNERAL_KIND = {
    "duplicate_resident": "重复领取城乡居保丧葬补助金",
    "duplicate_other_scheme": "与职工丧葬补助金或抚恤金重复",
    "ineligible_suspended": "死亡时待遇已暂停或终止",
    "ineligible_custody": "死亡时在服刑或羁押",
}
EVIDENCE = SOURCE_TITLES
SCHEME = {
    RESIDENT_SCHEME: "城乡居保",
    "企业职工基本养老保险": "职工养老",
}
FUNERAL_DECISION = {"confirmed": "确认追回", "review": "人工核实（暂不追回）"}
DISAGREEMENT_KIND = {
    "roster_dead_hukou_alive": "社保局因死亡终止参保，户籍仍为正常",
    "medical_dead_hukou_alive": "医保因死亡终止参保，户籍仍为正常",
    "funeral_dead_hukou_alive": "有火化记录，户籍仍为正常",
    "certificate_dead_hukou_alive": "有死亡医学证明，户籍仍为正常",
    "hukou_dead_later_visit": "户籍已死亡注销，之后仍有本人就诊记录",
    "roster_dead_later_visit": "社保局因死亡终止参保，之后仍有本人就诊记录",
    "medical_dead_later_visit": "医保因死亡终止参保，之后仍有本人就诊记录",
    "funeral_dead_later_visit": "火化记录之后仍有该身份证号就诊记录",
    "certificate_dead_later_visit": "死亡医学证明之后仍有本人就诊记录",
    "death_dates_disagree": "各部门死亡日期不一致",
    "roster_terminated_before_death": "社保局终止日期早于其他部门的死亡日期",
    "death_reported_verified_alive": "经办人已核实本人在世，部门死亡记录有误",
}

# Cases (案件, issue 16): every kind, state, close reason and action code in staff words.
CASE_KIND = {
    "death": "死亡注销",
    "recovery": "待遇追回",
    "uninsured": "应保未保走访",
    "subsidy": "丧葬补助金申领",
    "advance": "缴费垫付",
}
CASE_STATE = {
    "to_verify": "待核实",
    "confirmed": "已核实死亡，待告知",
    "notified": "已告知，异议期内",
    "objection_passed": "异议期满，待暂停发放",
    "suspended": "已暂停发放",
    "outstanding": "待追回",
    "partly_recovered": "部分追回",
    "to_contact": "待走访",
    "contacted": "已走访",
    "to_apply": "待申领丧葬补助金",
    "applied": "已受理申请",
    "village_checked": "村级已初审",
    "township_checked": "乡镇已审核",
    "approved": "市级已审批，待发放",
    "paid": "已发放，待归档",
    "to_approve": "已申请垫付，待审核",
    "to_pay": "已审核，待拨付垫付资金",
    "repaying": "垫付已拨付，按月扣回中",
    "closed": "已办结",
}
CLOSE_REASON = {
    "alive": "核实在世",
    "deregistered": "已注销",
    "evidence_gone": "依据消失",
    "enrolled": "已参保",
    "covered_elsewhere": "已在外地参保",
    "recovered": "已追回",
    "written_off": "已核销",
    "death_not_confirmed": "死亡未认定，不再追回",
    "archived": "已发放归档",
    "refused": "不予发放",
    "repaid": "垫付已还清",
}
CASE_ACTION = {
    "opened": "立案",
    "verify_dead": "核实死亡",
    "verify_alive": "核实在世",
    "notify": "书面告知家属",
    "suspend": "暂停发放",
    "record_recovery": "登记追回款",
    "write_off": "核销",
    "contacted": "入户走访",
    "apply_advance": "申请缴费垫付",
    "apply": "受理丧葬补助金申请",
    "village_check": "村级初审",
    "township_check": "乡镇审核",
    "city_approve": "市级审批",
    "pay": "发放丧葬补助金",
    "archive": "归档",
    "subsidy_offset": "以丧葬补助金抵扣多领待遇",
    "approve": "审核垫付申请",
    "advance_paid": "垫付资金到账",
    "repay": "提前还款",
    "month_withheld": "按月扣回养老金",
    "month_paid_in_full": "异常：欠款未清却全额发放",
    "withheld_after_repaid": "异常：已还清仍扣发",
    "objection_passed": "异议期满",
    "confirmed_by_data": "数据确认死亡",
    "back_to_verify": "数据冲突，退回核实",
    "closed_alive": "办结：核实在世",
    "closed_deregistered": "办结：已注销",
    "closed_evidence_gone": "办结：依据消失",
    "closed_enrolled": "办结：已参保",
    "closed_covered_elsewhere": "办结：已在外地参保",
    "closed_recovered": "办结：已追回",
    "closed_written_off": "办结：已核销",
    "closed_death_not_confirmed": "办结：死亡未认定，不再追回",
    "closed_archived": "办结：已发放归档",
    "closed_refused": "办结：不予发放",
    "closed_repaid": "办结：垫付已还清",
}
#: What the night knew against a funeral subsidy claim (a subsidy case's `outcome`).
SUBSIDY_ELIGIBILITY = {
    "eligible": "符合领取条件",
    "not_receiving": "死亡时非待遇领取状态",
    "custody": "死亡时在服刑或羁押",
    "other_scheme": "已领职工丧葬补助金或抚恤金",
    "second_claim": "已领取过丧葬补助金（重复申领）",
}
