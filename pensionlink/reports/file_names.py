"""Report file names (报表文件名): nothing delivered by an agency ever names a file.

A township's workbook is called after the township only when it is one of Longjing's
nine townships (乡镇街道) below; any other 乡镇街道 value — a typo, a new township, or a
hostile `../../pwned`, `/etc/x` or `a/b` — gets a fixed prefix and a short hash of the
value (`其他乡镇-1a2b3c4d5e`), which is only [0-9a-f] after a fixed CJK prefix. The final
path is checked to lie inside the reports folder before anything is written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["TOWNSHIPS", "UnsafeReportPath", "report_path", "township_file_stem"]

# Longjing City's nine townships and subdistricts (龙井市乡镇街道), as in the hukou.
TOWNSHIPS = (
    "安民街道",
    "龙门街道",
    "东盛涌镇",
    "智新镇",
    "老头沟镇",
    "三合镇",
    "开山屯镇",
    "白金乡",
    "德新乡",
)
OTHER_PREFIX = "其他乡镇"


class UnsafeReportPath(ValueError):
    """A report path that would leave the reports folder (never expected: a defence)."""


def township_file_stem(township: str) -> str:
    """The file-name part for a township: its own name if it is one of the nine, else a
    fixed prefix and the first 10 hex digits of the value's SHA-256."""
    if township in TOWNSHIPS:
        return township
    digest = hashlib.sha256(township.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{OTHER_PREFIX}-{digest}"


def report_path(out: Path, file_name: str) -> Path:
    """`out / file_name`, refused unless it is a plain file name directly inside `out`."""
    path = Path(out) / file_name
    if Path(file_name).name != file_name or path.resolve().parent != Path(out).resolve():
        raise UnsafeReportPath(f"report file name {file_name!r} would leave {out}")
    return path
