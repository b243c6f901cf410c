"""The cases as the warehouse publishes them (案件台账): identities mapped back, states
explained. Pure.

The case store holds person keys only; the night maps them back to citizen ID, name,
township and village from the night's own frames (the hukou spine and the findings), so
the restricted warehouse carries whole rows and the analysts' copy its pseudonyms.
"""

from __future__ import annotations

import polars as pl

from pensionlink.cases.keys import PersonKeys, person_keys
from pensionlink.cases.model import CLOSED
from pensionlink.vocabulary import MONEY

__all__ = ["CASES_COLUMNS", "EVENTS_COLUMNS", "NEXT_STEP", "identities", "warehouse_cases"]

#: 下一步 of each state, for the worklist.
NEXT_STEP = {
    ("death", "to_verify"): "核实是否死亡（verify_dead / verify_alive）",
    ("death", "confirmed"): "书面告知家属并送达告知书（notify）",
    ("death", "notified"): "异议期内，等待期满",
    ("death", "objection_passed"): "暂停发放待遇（suspend）",
    ("death", "suspended"): "办理注销，待参保记录终止",
    ("recovery", "outstanding"): "追回多领款项（record_recovery）",
    ("recovery", "partly_recovered"): "继续追回余额（record_recovery）",
    ("uninsured", "to_contact"): "入户走访动员参保（contacted）",
    ("uninsured", "contacted"): "跟进参保办理",
    ("subsidy", "to_apply"): "告知家属申领丧葬补助金，受理申请（apply）",
    ("subsidy", "applied"): "村级初审（village_check）",
    ("subsidy", "village_checked"): "乡镇审核（township_check）",
    ("subsidy", "township_checked"): "市级审批（city_approve）",
    ("subsidy", "approved"): "发放至社保卡或银行账户（pay）",
    ("subsidy", "paid"): "归档（archive）",
    ("advance", "to_approve"): "审核垫付申请（approve）",
    ("advance", "to_pay"): "拨付垫付资金（advance_paid）",
    ("advance", "repaying"): "按月扣回养老金直至还清（可提前还款 repay）",
}
#: Kinds whose amounts are money owed back: recovered so far and the balance.
_OWED = ("recovery", "advance")
CASES_COLUMNS = (
    "case_id",
    "kind",
    "citizen_id",
    "name",
    "township",
    "village",
    "state",
    "opened_run",
    "last_seen_run",
    "closed_run",
    "close_reason",
    "nights_open",
    "new_tonight",
    "next_step",
    "notice_date",
    "objection_until",
    "amount_due",
    "amount_recovered",
    "balance",
    "balance_since",
    "outcome",
    "months_repaid",
    "months_left",
    "months_flagged",
    "flagged_months",
)
EVENTS_COLUMNS = (
    "case_id",
    "at",
    "by",
    "role",
    "action",
    "from_state",
    "to_state",
    "note",
    "amount",
    "outcome",
)
_LEDGER = {
    "case_id": pl.String,
    "months_repaid": pl.Int32,
    "months_left": pl.Int32,
    "months_flagged": pl.Int32,
    "flagged": pl.String,
}
_ID = {"citizen_id": pl.String, "name": pl.String, "township": pl.String, "village": pl.String}


def identities(
    frames: list[pl.DataFrame], key: bytes | PersonKeys, wanted: pl.Series | None = None
) -> pl.DataFrame:
    """person_key → citizen ID, name, township, village, from the frames that carry them:
    each field from the first frame that has it for the person (a funeral finding carries
    no township, so the hukou's fills it: a case with no township reaches no clerk).
    `wanted`: only the people of these person keys (the cases'), so the hukou's million are
    keyed (once a night, `PersonKeys`) but not grouped."""
    parts = [
        f.select(
            *[
                pl.col(c).cast(t) if c in f.columns else pl.lit(None, t).alias(c)
                for c, t in _ID.items()
            ]
        ).filter(pl.col("citizen_id").is_not_null())
        for f in frames
        if "citizen_id" in f.columns
    ]
    if not parts:
        return pl.DataFrame(schema={"person_key": pl.String, **_ID})
    ids = pl.concat([p["citizen_id"] for p in parts]).unique()
    keyed = pl.DataFrame([ids, person_keys(ids, key)])
    if wanted is not None:
        keyed = keyed.filter(pl.col("person_key").is_in(wanted.implode()))
        parts = [p.join(keyed, on="citizen_id", how="semi", maintain_order="left") for p in parts]
    people = (
        pl.concat(parts)
        .group_by("citizen_id", maintain_order=True)
        .agg(pl.col(c).drop_nulls().first() for c in _ID if c != "citizen_id")
    )
    return people.join(keyed, on="citizen_id", how="left", maintain_order="left")


def _money(fen: pl.Expr) -> pl.Expr:
    """Whole fen → DECIMAL(12,2) yuan, exactly (through the digits, never a float)."""
    text = pl.concat_str(
        (fen // 100).cast(pl.String), pl.lit("."), (fen % 100).cast(pl.String).str.zfill(2)
    )
    return text.cast(MONEY)


def warehouse_cases(
    cases: pl.DataFrame,
    events: pl.DataFrame,
    nights: pl.DataFrame,
    people: pl.DataFrame,
    ledger: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The warehouse's `cases` and `case_events` (without run_id): `new_tonight` is a case
    opened on the newest night that moved cases (so a re-run of it still says so).
    `ledger` (`advance.advance_ledger`): an advance's months repaid, left and flagged."""
    if ledger is None:
        ledger = pl.DataFrame(schema=_LEDGER)
    moved = nights.filter(pl.col("moved") == 1).select("as_of").unique()
    latest = moved["as_of"].max()  # the newest night that moved cases (a re-run included)
    opened_nights = (
        cases.select("case_id", "opened_on", "closed_on", "last_seen_on")
        .join(moved, how="cross")
        .filter(
            (pl.col("as_of") >= pl.col("opened_on"))
            & (pl.col("as_of") <= pl.coalesce("closed_on", pl.col("as_of")))
        )
        .group_by("case_id")
        .agg(nights_open=pl.len().cast(pl.Int32))
    )
    step = pl.concat_str("kind", pl.lit(":"), "state").replace_strict(
        {f"{k}:{st}": text for (k, st), text in NEXT_STEP.items()},
        default=None,
        return_dtype=pl.String,
    )
    out = (
        cases.join(people, on="person_key", how="left")
        .join(opened_nights, on="case_id", how="left")
        .join(ledger.select(list(_LEDGER)).cast(_LEDGER), on="case_id", how="left")
        .with_columns(
            nights_open=pl.col("nights_open").fill_null(0),
            new_tonight=(pl.col("opened_on") == latest).fill_null(False),
            next_step=pl.when(pl.col("state") == CLOSED).then(None).otherwise(step),
            notice_date=pl.col("notice_date").str.to_date(),
            objection_until=pl.col("objection_until").str.to_date(),
            balance_since=pl.col("balance_since").str.to_date(),
            amount_due=_money(pl.col("amount_due_fen")),
            amount_recovered=pl.when(pl.col("kind").is_in(_OWED)).then(
                _money(pl.col("amount_recovered_fen"))
            ),
            balance=pl.when(pl.col("kind").is_in(_OWED)).then(
                _money(pl.col("amount_due_fen") - pl.col("amount_recovered_fen"))
            ),
            flagged_months=pl.col("flagged"),
        )
        .select(CASES_COLUMNS)
        .sort("case_id")
    )
    log = events.select(
        "case_id",
        at=pl.col("at").str.to_datetime(),
        by="by_name",
        role="role",
        action="action",
        from_state="from_state",
        to_state="to_state",
        note="note",
        amount=_money(pl.col("amount_fen")),
        outcome="outcome",
    )
    return out, log
