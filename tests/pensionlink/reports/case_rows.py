"""Tiny hand-made cases and death rows for the case reports' tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from pensionlink.reports.case_data import CASE_COLUMNS

WHOLE_ID = "222405194708204151"
MASKED = "222405********4151"
OTHER_ID = "22240519500101123X"


def case(**values) -> dict:
    """One case row with every column (defaults: an open death case in 龙门街道)."""
    row = dict.fromkeys(CASE_COLUMNS)
    row.update(
        kind="death",
        state="confirmed",
        township="龙门街道",
        village="龙山村",
        nights_open=1,
        new_tonight=False,
        citizen_id=WHOLE_ID,
        name="金顺子",
    )
    row.update(values)
    return row


def cases(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=CASE_COLUMNS)


def death(**values) -> dict:
    """One deaths_to_deregister row (+ case id), settled by hand:
    600 + 3210.50 − 525.33 = 3285.17 to the heirs."""
    row = {
        "case_id": "D000123",
        "state": "confirmed",
        "notice_date": None,
        "objection_until": None,
        "nights_open": 1,
        "citizen_id": WHOLE_ID,
        "pension_no": "2224050012345",
        "name": "金顺子",
        "township": "龙门街道",
        "village": "龙山村",
        "roster_status": "待遇领取",
        "death_date": dt.date(2026, 8, 14),
        "evidence": ["hukou", "funeral"],
        "decision": "confirmed",
        "reason": None,
        "status_at_death": "待遇领取",
        "overpaid_months": 3,
        "overpaid_amount": Decimal("525.33"),
        "funeral_subsidy": Decimal("600.00"),
        "account_balance": Decimal("3210.50"),
        "net_to_heirs": Decimal("3285.17"),
        "to_recover": Decimal("0.00"),
    }
    row.update(values)
    return row
