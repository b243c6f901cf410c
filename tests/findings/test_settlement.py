"""Settlement arithmetic: hand cases and the identity that must hold for any amounts."""

import datetime as dt
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from pensionlink.findings.settlement import MONEY, settle_deceased

money = st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False)


def _deceased(balance, status="待遇领取", custody=False, death=dt.date(2026, 3, 31)):
    return pl.DataFrame(
        {
            "pension_no": ["P"],
            "death_date": [death],
            "status_at_death": [status],
            "in_custody": [custody],
            "account_balance": [balance],
        },
        schema_overrides={"account_balance": MONEY},
    )


def _payments(amounts, start=dt.date(2026, 1, 1)):
    months = [
        dt.date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        for i in range(len(amounts))
    ]
    return pl.DataFrame(
        {"pension_no": ["P"] * len(amounts), "pay_month": months, "amount": amounts},
        schema={"pension_no": pl.String, "pay_month": pl.Date, "amount": MONEY},
    )


def test_month_of_death_is_due_and_later_months_are_not():
    # Died on the last day of March: January to March due, April and May overpaid.
    out = settle_deceased(
        _deceased(Decimal("0")), _payments([Decimal("10.00")] * 5), Decimal("600")
    )
    row = out.row(0, named=True)
    assert (row["overpaid_months"], row["overpaid_amount"]) == (2, Decimal("20.00"))
    assert row["net_to_heirs"] == Decimal("580.00")


@settings(max_examples=60, deadline=None)
@given(
    balance=money,
    subsidy=money,
    amounts=st.lists(money, max_size=24),
    status=st.sampled_from(["待遇领取", "暂停", "参保缴费"]),
    custody=st.booleans(),
)
def test_settlement_identity(balance, subsidy, amounts, status, custody):
    row = settle_deceased(_deceased(balance, status, custody), _payments(amounts), subsidy).row(
        0, named=True
    )
    due_subsidy = subsidy if status == "待遇领取" and not custody else Decimal("0")
    assert row["funeral_subsidy"] == due_subsidy
    net = row["funeral_subsidy"] + row["account_balance"] - row["overpaid_amount"]
    assert row["net_to_heirs"] - row["to_recover"] == net
    assert min(row["net_to_heirs"], row["to_recover"]) == 0
    assert row["overpaid_amount"] == sum(amounts[3:], Decimal("0"))
