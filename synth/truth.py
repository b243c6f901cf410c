"""Stage 3, the truth (真值): what the nightly findings should reproduce, computed from the
true story, never from the messy files, following shared/contract/RULES.md; written under
`out/truth/` with the column names `synth/evaluate.py` reads.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from pensionlink.synth.amounts import Amounts
from pensionlink.synth.files import PENSION_NO_KEYED
from pensionlink.synth.lives import ACTIVE, RECEIVING, STATUS, UNKNOWN, Lives
from pensionlink.synth.population import People
from pensionlink.synth.render import Extract
from pensionlink.synth.values import NEVER, dates_text, money_text, month_index


def truth_deaths(
    p: People, life: Lives, at_death: dict, pay: dict, funeral_subsidy: int
) -> pl.DataFrame:
    """deaths_to_deregister.csv: every roster record still active of a dead (or wrongly
    dead) person, with the settlement (结算) the rules should compute."""
    active = life.roster & np.isin(life.status, ACTIVE)
    dead = life.death < NEVER
    rows = np.flatnonzero(active & (dead | life.wrongly_dead))
    d = life.death[rows]
    truly = d < NEVER
    # Overpaid: payments for months after the month of death.
    over = pay["month"] > month_index(np.minimum(life.death, p.as_of))[pay["pid"]]
    over &= dead[pay["pid"]]
    months = np.bincount(pay["pid"][over], minlength=p.n)[rows]
    amount = np.bincount(pay["pid"][over], weights=pay["amount"][over], minlength=p.n)
    amount = amount.astype(np.int64)[rows]
    status = at_death["status"][rows]
    subsidy = np.where((status == RECEIVING) & ~at_death["custody"][rows], funeral_subsidy, 0)
    balance = life.balance[rows]
    net = subsidy + balance - amount
    reported = np.where(truly, d, life.false_death[rows])

    def only_dead(series: pl.Series) -> pl.Series:
        return series.set(pl.Series(~truly), None) if (~truly).any() else series

    status_text = np.where(
        status == UNKNOWN, "unknown", np.array(STATUS, dtype=object)[np.maximum(status, 0)]
    )
    return pl.DataFrame(
        {
            "citizen_id": p.cid[rows],
            "pension_no": life.pension_no[rows].astype(str),
            "name": p.name[rows],
            "death_date": dates_text(reported, "%Y-%m-%d"),
            "truly_dead": np.where(truly, "true", "false"),
            "status_at_death": only_dead(pl.Series(status_text, dtype=pl.String)),
            "overpaid_months": only_dead(pl.Series(months.astype(str))),
            "overpaid_amount": only_dead(money_text(amount)),
            "funeral_subsidy": only_dead(money_text(subsidy)),
            "account_balance": only_dead(money_text(balance)),
            "net_to_heirs": only_dead(money_text(np.maximum(net, 0))),
            "to_recover": only_dead(money_text(np.maximum(-net, 0))),
        },
        schema_overrides={"citizen_id": pl.String, "name": pl.String},
    ).sort("pension_no")


def truth_never_dead(p: People, life: Lives) -> pl.DataFrame:
    """never_confirm_dead.csv: the living some agency reports dead."""
    rows = np.flatnonzero(life.wrongly_dead)
    src = np.where(life.false_by_hukou[rows], "公安局户籍死亡", "医保局终止参保(死亡)")
    reason = [f"{s}，其后仍有就诊记录" for s in src]
    return pl.DataFrame(
        {"citizen_id": p.cid[rows], "name": p.name[rows], "reason": reason},
        schema={"citizen_id": pl.String, "name": pl.String, "reason": pl.String},
    ).sort("citizen_id")


def residents_and_insured(
    p: People, life: Lives, hukou_dead: np.ndarray, min_age: int
) -> tuple[np.ndarray, np.ndarray]:
    """(resident 16+ mask, insured mask) — the base of coverage and uninsured."""
    alive = life.death >= NEVER
    resident = alive & ~life.moved & ~hukou_dead & (p.age >= min_age)
    active = life.roster & np.isin(life.status, ACTIVE)
    insured = active | life.employee
    return resident, insured


def truth_uninsured(
    p: People, resident, insured, special: np.ndarray, amounts: Amounts
) -> pl.DataFrame:
    """uninsured_eligible.csv: residents 16+ on no roster, with category and advance."""
    rows = np.flatnonzero(resident & ~insured)
    groups = special[rows]
    old = p.age[rows] >= amounts.benefit_age
    category = np.where(groups != "", "government_paid", np.where(old, "back_payment", "standard"))
    fen = amounts.advance_amount  # None: no advance outside the rule's period
    advance_text = None if fen is None else f"{fen // 100}.{fen % 100:02d}"
    advance = pl.Series(
        [advance_text if c == "back_payment" else None for c in category.tolist()], dtype=pl.String
    )
    return pl.DataFrame(
        {
            "citizen_id": p.cid[rows],
            "name": p.name[rows],
            "township": p.township[rows],
            "village": p.village[rows],
            "age": p.age[rows],
            "category": category,
            "special_groups": [g or None for g in groups.tolist()],
            "advance_amount": advance,
        },
        schema_overrides={
            k: pl.String for k in ("citizen_id", "name", "township", "village", "special_groups")
        },
    ).sort("township", "village", "citizen_id")


def truth_coverage(p: People, resident, insured) -> pl.DataFrame:
    """coverage_by_area.csv: residents 16+, insured and the rate per village."""
    frame = (
        pl.DataFrame(
            {
                "township": p.township[resident],
                "village": p.village[resident],
                "insured": insured[resident],
            },
            schema={"township": pl.String, "village": pl.String, "insured": pl.Boolean},
        )
        .group_by("township", "village")
        .agg(
            residents_16_plus=pl.len(),
            insured=pl.col("insured").sum(),
            uninsured_eligible=(~pl.col("insured")).sum(),
        )
        .sort("township", "village")
    )
    rate = [
        f"{a / b:.4f}"
        for a, b in zip(
            frame["insured"].to_list(), frame["residents_16_plus"].to_list(), strict=True
        )
    ]
    return frame.with_columns(coverage_rate=pl.Series(rate, dtype=pl.String))


def truth_funeral(
    p: People, life: Lives, at_death: dict, benefits: dict, funeral_subsidy: int
) -> pl.DataFrame:
    """Rows per deceased and kind; the first payment is recovered under one kind only."""
    sub = benefits["funeral_subsidies"]
    res = sub["resident"]
    pid = sub["pid"][res]
    other = np.zeros(p.n, bool)
    other[sub["pid"][~res]] = True
    other[benefits["pension_fuxu"]["pid"]] = True
    count = np.bincount(pid, minlength=p.n)
    people = np.unique(pid)
    rows: list[tuple[int, str, int]] = []
    for x in people.tolist():
        n_paid = int(count[x])
        kinds = []
        if n_paid > 1:
            rows.append((x, "duplicate_resident", (n_paid - 1) * funeral_subsidy))
        if at_death["custody"][x]:
            kinds.append("ineligible_custody")
        if at_death["status"][x] not in (RECEIVING, UNKNOWN):
            kinds.append("ineligible_suspended")
        if other[x]:
            kinds.append("duplicate_other_scheme")
        for i, kind in enumerate(kinds):
            rows.append((x, kind, funeral_subsidy if i == 0 else 0))
    pids = np.array([r[0] for r in rows], dtype=np.int64)
    return pl.DataFrame(
        {
            "citizen_id": pl.Series(p.cid[pids], dtype=pl.String),
            "pension_no": life.pension_no[pids].astype(str),
            "name": pl.Series(p.name[pids], dtype=pl.String),
            "kind": pl.Series([r[1] for r in rows], dtype=pl.String),
            "amount_to_recover": money_text(np.array([r[2] for r in rows], dtype=np.int64)),
        }
    ).sort("pension_no", "kind")


def truth_record_links(extracts: dict[str, Extract], cid: np.ndarray) -> pl.DataFrame:
    """source, line_no (1 = first data row below the header), true citizen_id of every row.

    Files keyed by the pension number alone (status changes, payments) are left out: their
    person follows from 个人编号 on the roster.
    """
    parts = []
    for source, ex in extracts.items():
        if source in PENSION_NO_KEYED:
            continue
        parts.append(
            pl.DataFrame(
                {
                    "source": pl.Series([source]).repeat_by(len(ex.pid)).explode()
                    if len(ex.pid)
                    else pl.Series([], dtype=pl.String),
                    "line_no": np.arange(1, len(ex.pid) + 1, dtype=np.int64),
                    "citizen_id": pl.Series(cid[ex.pid], dtype=pl.String),
                }
            )
        )
    return pl.concat(parts)
