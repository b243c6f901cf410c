"""The Chinese words staff read in the reports (报表用语), one place for all of them."""

from __future__ import annotations

from pensionlink.vocabulary import RESIDENT_SCHEME, SOURCE_TITLES

__all__ = [
    "CATEGORY",
    "DECISION",
    "DISAGREEMENT_KIND",
    "EVIDENCE",
    "FUNERAL_DECISION",
    "FUNERAL_KIND",
    "SCHEME",
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
}
