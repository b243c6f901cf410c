"""Settlement of a deceased pensioner (死亡待遇结算).

Payment is due up to and including the month of death (国发〔2014〕8号); every payment
for a later month is overpaid. The funeral subsidy (丧葬补助金) is due where the status at
death was 待遇领取 and the person was not in custody. The subsidy first offsets the
overpayment, then the individual account balance does; what is left goes to the heirs:
`net = funeral_subsidy + account_balance - overpaid_amount`,
`net_to_heirs = max(net, 0)`, `to_recover = max(-net, 0)`.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from pensionlink.vocabulary import MONEY, RECEIVING

__all__ = ["MONEY", "overpayments", "settle_deceased"]


def overpayments(deceased: pl.DataFrame, payments: pl.DataFrame) -> pl.DataFrame:
    """Add overpaid_months and overpaid_amount to `deceased` (pension_no, death_date)."""
    q = deceased.with_row_index("_q")
    over = (
        q.select("_q", "pension_no", "death_date")
        .join(payments.select("pension_no", "pay_month", "amount"), on="pension_no")
        .filter(pl.col("pay_month") > pl.col("death_date").dt.month_start())
        .group_by("_q")
        .agg(_months=pl.len(), _amount=pl.col("amount").sum())
    )
    return (
        q.join(over, on="_q", how="left")
        .with_columns(
            overpaid_months=pl.col("_months").fill_null(0).cast(pl.Int32),
            overpaid_amount=pl.col("_amount").cast(MONEY).fill_null(Decimal("0.00")),
        )
        .sort("_q")
        .drop("_q", "_months", "_amount")
    )


def settle_deceased(
    deceased: pl.DataFrame, payments: pl.DataFrame, funeral_subsidy: Decimal
) -> pl.DataFrame:
    """Add the settlement columns to `deceased`.

    Needs pension_no, death_date, status_at_death, in_custody and account_balance;
    `funeral_subsidy` is the policy amount in force.
    """
    zero = Decimal("0.00")
    out = overpayments(deceased, payments).with_columns(
        funeral_subsidy=pl.when(
            (pl.col("status_at_death") == RECEIVING) & ~pl.col("in_custody").fill_null(False)
        )
        .then(pl.lit(funeral_subsidy, MONEY))
        .otherwise(pl.lit(zero, MONEY)),
        account_balance=pl.col("account_balance").cast(MONEY).fill_null(zero),
    )
    net = pl.col("funeral_subsidy") + pl.col("account_balance") - pl.col("overpaid_amount")
    return out.with_columns(
        net_to_heirs=pl.when(net > 0).then(net).otherwise(pl.lit(zero)).cast(MONEY),
        to_recover=pl.when(net < 0).then(-net).otherwise(pl.lit(zero)).cast(MONEY),
    )
