"""The extract files as the agencies send them (交换文件): path, encoding, byte-order mark,
line terminator and headers of each source (shared/contract/EXTRACTS.md), and writing one.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

#: source -> (path without suffix, encoding, byte-order mark, line terminator, headers).
#: Encodings and marks as the agencies send them (see the sample night): 公安局 and
#: 乡村振兴局 GB18030, 民政局 UTF-8 with a BOM (抚恤金 with CRLF), the rest plain UTF-8.
FILES: dict[str, tuple[str, str, bool, str, tuple[str, ...]]] = {
    source: (stem, encoding, bom, eol, tuple(headers.split()))
    for source, stem, encoding, bom, eol, headers in (
        ("hukou", "public_security/hukou", "gb18030", False, "\n",
         "公民身份号码 姓名 性别 出生日期 民族 户籍地址 乡镇街道 村社区 人员状态 死亡日期 "
         "注销日期"),
        ("custody", "public_security/custody", "gb18030", False, "\n",
         "公民身份号码 姓名 入所日期 出所日期 羁押场所"),
        ("assistance", "civil_affairs/assistance", "utf-8", True, "\n",
         "身份证号 姓名 救助类别 起始日期 终止日期 乡镇街道"),
        ("funeral", "civil_affairs/funeral", "utf-8", True, "\n",
         "逝者身份证号 逝者姓名 性别 死亡日期 火化日期 殡仪馆"),
        ("pension_fuxu", "civil_affairs/pension_fuxu", "utf-8", False, "\r\n",
         "身份证号 姓名 抚恤类别 发放日期 金额"),
        ("medical_enrollment", "medical_insurance/enrollment", "utf-8", False, "\n",
         "证件号码 姓名 参保险种 参保状态 终止日期 终止原因"),
        ("death_certificates", "health/death_certificates", "utf-8", False, "\n",
         "死者身份证号 姓名 性别 出生日期 死亡时间 死亡地点"),
        ("visits", "health/visits", "utf-8", False, "\n",
         "身份证号 姓名 就诊日期 医疗机构"),
        ("disabled", "disabled/disabled_persons", "utf-8", False, "\n",
         "残疾人证号 姓名 性别 残疾类别 残疾等级 乡镇街道"),
        ("poverty", "poverty/registry", "gb18030", False, "\n",
         "证件号码 姓名 户类型 乡镇 村"),
        ("resident_roster", "social_security/resident_roster", "utf-8", False, "\n",
         "个人编号 公民身份号码 姓名 性别 出生日期 乡镇街道 村社区 参保状态 参保日期 月养老金 "
         "个人账户余额"),
        ("status_changes", "social_security/status_changes", "utf-8", False, "\n",
         "个人编号 变更前状态 变更后状态 变更日期 变更原因"),
        ("pension_payments", "social_security/pension_payments", "utf-8", False, "\n",
         "个人编号 发放年月 发放金额"),
        ("funeral_subsidies", "social_security/funeral_subsidies", "utf-8", False, "\n",
         "个人编号 公民身份号码 姓名 险种 发放日期 金额"),
        ("employee_roster", "social_security/employee_roster", "utf-8", False, "\n",
         "公民身份号码 姓名 参保状态 单位名称"),
    )
}  # fmt: skip


#: Sources written as .xlsx when `xlsx=True`.
XLSX_SOURCES = ("assistance", "poverty")

#: Sources keyed by the pension number only (not listed in truth/record_links.csv).
PENSION_NO_KEYED = ("status_changes", "pension_payments")


def _write_csv(frame: pl.DataFrame, path: Path, encoding: str, bom: bool, eol: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.write_csv(line_terminator=eol)
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def write_source(out: Path, source: str, frame: pl.DataFrame, xlsx: bool) -> Path:
    """Write one extract where and as its agency sends it; returns the path."""
    stem, encoding, bom, eol, _ = FILES[source]
    if xlsx and source in XLSX_SOURCES:
        path = out / f"{stem}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_excel(path, worksheet="Sheet1", autofit=False)
        return path
    path = out / f"{stem}.csv"
    _write_csv(frame, path, encoding, bom, eol)
    return path
