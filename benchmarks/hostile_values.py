"""Values outside the contract on a generated night (issue 14, cases 3-5): what each does.

Copies a night, spoils it one way at a time, and runs read → link → findings (the flow's
functions, without Prefect or publishing), printing the counts that a bad value used to
move. Run after `pensionlink generate --out DIR --people 20000 --seed 3 --as-of 2026-11-28`:

    .venv/bin/python benchmarks/hostile_values.py --night DIR
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import xlsxwriter
from pensionlink.connectors import read_night
from pensionlink.connectors.encoding import decode_to_utf8
from pensionlink.findings import night_findings
from pensionlink.findings.withheld import REVIEW_QUEUE, WITHHELD
from pensionlink.matching import link_night

from pensionlink.settings import load_policy
from pensionlink.vocabulary import RECEIVING

AS_OF = dt.date(2026, 11, 28)
ROSTER = "social_security/resident_roster.csv"
N = 50


def _rows(path: Path) -> tuple[list[list[str]], str]:
    decoded = decode_to_utf8(path.read_bytes())
    return list(csv.reader(io.StringIO(decoded.data.decode("utf-8")))), decoded.encoding


def _write(path: Path, rows: list[list[str]], encoding: str) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))


def _edit(file: str, change: Callable[[list[str], list[list[str]]], None]) -> Callable:
    def spoil(night: Path) -> None:
        rows, encoding = _rows(night / file)
        change(rows[0], rows)
        _write(night / file, rows, encoding)

    return spoil


def _status(word: str):
    def change(header, rows):
        col = header.index("参保状态")
        hit = [r for r in rows[1:] if r[col] == RECEIVING][:N]
        for r in hit:
            r[col] = word

    return _edit(ROSTER, change)


def _negative_payments(header, rows):
    col = header.index("发放金额")
    for r in rows[1 : N + 1]:
        r[col] = "-" + r[col]


def _reversed_subsidies(header, rows):
    col = header.index("金额")
    resident = [r for r in rows[1:] if r[col] == "600.00"][:20]
    rows.extend([*r[:col], "-600.00", *r[col + 1 :]] for r in resident)


def _birth_2030(header, rows):
    col = header.index("出生日期")
    for r in rows[1 : 20 + 1]:
        r[col] = "2030" + r[col][4:]


def _death_before_birth(header, rows):
    status, death, birth = (header.index(h) for h in ("人员状态", "死亡日期", "出生日期"))
    for r in [r for r in rows[1:] if r[status] == "死亡"][:20]:
        r[death] = f"{int(r[birth][:4]) - 1}0101"


def _numeric_roster_ids(night: Path) -> None:
    rows, _ = _rows(night / ROSTER)
    (night / ROSTER).unlink()
    book = xlsxwriter.Workbook(night / ROSTER.replace(".csv", ".xlsx"), {"constant_memory": True})
    sheet = book.add_worksheet()
    id_col = rows[0].index("公民身份号码")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if r and c == id_col and value.isdigit():
                sheet.write_number(r, c, int(value))
            elif value:
                sheet.write_string(r, c, value)
    book.close()


CASES: dict[str, Callable[[Path], None] | None] = {
    "baseline": None,
    f"参保状态 正常 ({N} pensioners)": _status("正常"),
    f'参保状态 "待遇 领取" ({N} pensioners)': _status("待遇 领取"),
    f"negative monthly payments ({N} rows)": _edit(
        "social_security/pension_payments.csv", _negative_payments
    ),
    "-600 beside +600 subsidies (20 pairs)": _edit(
        "social_security/funeral_subsidies.csv", _reversed_subsidies
    ),
    "hukou birth year 2030 (20 rows)": _edit("public_security/hukou.csv", _birth_2030),
    "hukou death before birth (20 dead)": _edit("public_security/hukou.csv", _death_before_birth),
    "roster IDs as xlsx numbers (all)": _numeric_roster_ids,
}


def findings_of(night: Path) -> dict:
    read = read_night(night, as_of=AS_OF)
    linked, _, queue = link_night(read.frames)
    unknown = {WITHHELD: read.withheld, REVIEW_QUEUE: queue}
    tables = night_findings({**linked, **unknown}, AS_OF, load_policy(AS_OF))
    deaths = tables["deaths_to_deregister"]
    funeral = tables["duplicate_funeral_benefits"]
    return {
        "rejected": read.rejected["line"].len(),
        "uninsured": tables["uninsured_eligible"].height,
        "confirmed": (deaths["decision"] == "confirmed").sum(),
        "review": (deaths["decision"] == "review").sum(),
        "overpaid": deaths["overpaid_amount"].sum(),
        "funeral_recover": funeral["amount_to_recover"].sum(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--night", type=Path, required=True)
    args = parser.parse_args()
    keys = ("rejected", "uninsured", "confirmed", "review", "overpaid", "funeral_recover")
    print("| case | " + " | ".join(keys) + " |")
    print("| --- |" + " ---: |" * len(keys))
    for name, spoil in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            night = Path(tmp) / "night"
            shutil.copytree(args.night, night, ignore=shutil.ignore_patterns("truth"))
            if spoil is not None:
                spoil(night)
            counts = findings_of(night)
        print(f"| {name} | " + " | ".join(str(counts[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
