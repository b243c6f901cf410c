"""Write tiny agency files into a drop folder, as the agencies would (for the tests)."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter
from pensionlink.connectors import load_specs

HUKOU_HEADER = [
    "公民身份号码",
    "姓名",
    "性别",
    "出生日期",
    "民族",
    "户籍地址",
    "乡镇街道",
    "村社区",
    "人员状态",
    "死亡日期",
    "注销日期",
]
ROSTER_HEADER = [
    "个人编号",
    "公民身份号码",
    "姓名",
    "性别",
    "出生日期",
    "乡镇街道",
    "村社区",
    "参保状态",
    "参保日期",
    "月养老金",
    "个人账户余额",
]
# Valid IDs (check characters computed by GB 11643).
ID_MAN = "222405194708204151"
ID_WOMAN = "222405197205239743"
ID_X = "22240519590101002X"


def target(root: Path, source: str, suffix: str = ".csv") -> Path:
    path = root / (load_specs()[source].path + suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def csv_text(rows: list[list[str]]) -> str:
    return "".join(",".join(row) + "\r\n" for row in rows)


def write_csv(root: Path, source: str, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    """Rows (header first) as CRLF CSV in ``encoding`` (``utf-8-sig`` adds a BOM)."""
    path = target(root, source)
    path.write_bytes(csv_text(rows).encode(encoding))
    return path


def write_xlsx(root: Path, source: str, rows: list[list[str]]) -> Path:
    """Rows (header first) as text cells on the first sheet of a workbook."""
    path = target(root, source, ".xlsx")
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("导出")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value != "":
                sheet.write_string(r, c, value)
    book.add_worksheet("说明").write_string(0, 0, "not data")
    book.close()
    return path


def hukou_rows() -> list[list[str]]:
    return [
        HUKOU_HEADER,
        [
            ID_MAN,
            "池花亮",
            "男",
            "19470820",
            "朝鲜族",
            "龙井市龙门街道",
            "龙门街道",
            "新城社区",
            "正常",
            "",
            "",
        ],
        [
            ID_WOMAN,
            "具明敏",
            "女",
            "19720523",
            "汉族",
            "龙井市老头沟镇",
            "老头沟镇",
            "长仁村",
            "死亡",
            "20250301",
            "20250410",
        ],
    ]


def roster_rows() -> list[list[str]]:
    return [
        ROSTER_HEADER,
        [
            "2205000002",
            ID_WOMAN,
            "具明敏",
            "女",
            "1972-05-23",
            "老头沟镇",
            "长仁村",
            "参保缴费",
            "2016-08-01",
            "",
            "2360.77",
        ],
        [
            "2205000003",
            ID_MAN,
            "池花亮",
            "男",
            "1947-08-20",
            "龙门街道",
            "新城社区",
            "待遇领取",
            "2011-07-01",
            "147.65",
            "0",
        ],
    ]


def minimal_night(root: Path) -> Path:
    """A drop folder with only the two required sources."""
    write_csv(root, "hukou", hukou_rows(), "gb18030")
    write_csv(root, "resident_roster", roster_rows(), "utf-8-sig")
    return root
