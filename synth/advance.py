"""A back-payer repaying the city's advance (垫付扣回), written into a generated night.

`repay_advance(night, citizen_id, …)` turns one uninsured back-payer of a generated night
into a pensioner whose contributions the city advanced: a 待遇领取 row on the residents'
roster (identity from the hukou) and, from the first benefit month to the night's month,
the pension payments as the bureau's system makes them — the whole monthly pension
withheld (发放金额 0.00) until the advance is repaid, the last month's pension less what
was left, full payments after — except in the months given as `paid_in_full`, where the
system paid the pension out although the advance was owed (what the ledger must flag).
The truth of the ledger is appended to `truth/advance_repayments.csv`.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import polars as pl
from pensionlink.synth.files import FILES

__all__ = ["repay_advance", "repayment_schedule"]


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return out


def repayment_schedule(
    advance_fen: int,
    pension_fen: int,
    first_month: dt.date,
    last_month: dt.date,
    paid_in_full: tuple[dt.date, ...] = (),
) -> list[tuple[dt.date, int, int]]:
    """(month, paid out, withheld) in fen for each benefit month, the whole pension
    withheld until the advance is repaid (the last month the rest), none in the months
    `paid_in_full`."""
    balance, rows = advance_fen, []
    full = {m.replace(day=1) for m in paid_in_full}
    for month in _months(first_month, last_month):
        withheld = 0 if month in full else min(pension_fen, balance)
        balance -= withheld
        rows.append((month, pension_fen - withheld, withheld))
    return rows


def _fen_text(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def repay_advance(
    night: Path,
    citizen_id: str,
    pension_no: str,
    advance_fen: int,
    pension_fen: int,
    first_month: dt.date,
    last_month: dt.date,
    paid_in_full: tuple[dt.date, ...] = (),
) -> pl.DataFrame:
    """Write the person's roster row and payments into `night` (see the module); returns
    the schedule (month, paid_fen, withheld_fen) and appends its truth."""
    stem, encoding, *_ = FILES["hukou"]
    text = (night / f"{stem}.csv").read_bytes().decode(encoding).lstrip("\ufeff")
    hukou = pl.read_csv(io.StringIO(text), infer_schema=False)
    person = hukou.filter(pl.col("公民身份号码") == citizen_id).row(0, named=True)
    birth = person["出生日期"]
    schedule = repayment_schedule(advance_fen, pension_fen, first_month, last_month, paid_in_full)
    roster_row = {
        "个人编号": pension_no,
        "公民身份号码": citizen_id,
        "姓名": person["姓名"],
        "性别": person["性别"],
        "出生日期": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
        "乡镇街道": person["乡镇街道"],
        "村社区": person["村社区"],
        "参保状态": "待遇领取",
        "参保日期": first_month.replace(day=1).isoformat(),
        "月养老金": _fen_text(pension_fen),
        "个人账户余额": _fen_text(advance_fen),
    }
    _append(night, "resident_roster", [roster_row])
    _append(
        night,
        "pension_payments",
        [
            {"个人编号": pension_no, "发放年月": m.strftime("%Y%m"), "发放金额": _fen_text(paid)}
            for m, paid, _ in schedule
        ],
    )
    frame = pl.DataFrame(
        {
            "citizen_id": [citizen_id] * len(schedule),
            "month": [m.strftime("%Y-%m") for m, _, _ in schedule],
            "paid_fen": [p for _, p, _ in schedule],
            "withheld_fen": [w for _, _, w in schedule],
            "flagged": [m in {d.replace(day=1) for d in paid_in_full} for m, _, _ in schedule],
        }
    )
    truth = night / "truth" / "advance_repayments.csv"
    truth.parent.mkdir(parents=True, exist_ok=True)
    if truth.exists():
        frame = pl.concat([pl.read_csv(truth, schema=frame.schema), frame])
    frame.write_csv(truth)
    return frame


def _append(night: Path, source: str, rows: list[dict]) -> None:
    """Append rows to a source's CSV as its agency writes it (encoding, line ends)."""
    stem, encoding, _bom, eol, headers = FILES[source]
    path = night / f"{stem}.csv"
    lines = [",".join(str(r.get(h) or "") for h in headers) for r in rows]
    raw = path.read_bytes()
    tail = b"" if raw.endswith(eol.encode()) else eol.encode()
    path.write_bytes(raw + tail + (eol.join(lines) + eol).encode(encoding))
