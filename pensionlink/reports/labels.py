"""The Chinese words staff read in the reports (报表用语), one place for all of them."""

from __future__ import annotations

from findings.deaths import SOURCE_TITLES

__all__ = [
    "CATEGORY",
    "DECISION",
    "EVIDENCE",
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
    "城乡居民基本养老保险": "城乡居保",
    "企业职工基本养老保险": "职工养老",
}
