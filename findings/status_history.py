"""Status histories that hold together (参保状态变更记录校验).

The status at death is read from the roster's history of status changes, so the history
must be one chain: sorted by date, each change's 变更前状态 is the previous change's
变更后状态 (an empty 变更前状态 is unreported, not a contradiction), every change has a
date, and the roster's current 参保状态 is the last change's 变更后状态. Changes on the
same day may come in any order in the file: they hold together when some order of them
continues the chain. A record starts in 参保缴费 or 待遇领取 (enrolled past benefit age), so
a first change from 暂停 or 终止 has lost the change that led there. A history that does
not hold together gives status `unknown` at
death: what depends on it goes to review, never to a clawback (RULES.md §1).
"""

from __future__ import annotations

import itertools

import polars as pl

from pensionlink.vocabulary import CONTRIBUTING, RECEIVING

__all__ = ["CONTRADICTORY", "history_problems"]

CONTRADICTORY = "变更记录前后矛盾"
START_STATES = (CONTRIBUTING, RECEIVING)  # the states a roster record can start in
_SCHEMA = {"pension_no": pl.String, "history_problem": pl.String}
_MAX_SAME_DAY = 6  # more changes than this on one day are not searched for an order


def _same_day_chains(changes: pl.DataFrame, today: dict[str, str]) -> pl.DataFrame:
    """Per pension_no (those with two or more changes on one day): whether some order of
    each day's changes continues the chain, and the after-state that order ends on. The
    orders of a day can end on different states (A→B, B→A, B→B: on A or on B); each
    possible end is carried on, and the roster's status today (`today`) is the end when
    some order reaches it, so a history that holds is never called broken."""
    rows = []
    for (pension_no,), history in changes.sort("changed_date").group_by(
        "pension_no", maintain_order=True
    ):
        states: list[str | None] = [None]  # the first day: any start
        broken = False
        for (_day,), day in history.group_by("changed_date", maintain_order=True):
            pairs = list(zip(day["status_before"], day["status_after"], strict=True))
            ends = list(dict.fromkeys(e for state in states for e in _chain_ends(state, pairs)))
            if not ends:
                broken = True
                states = [pairs[-1][1]]
                break
            states = ends
        now = today.get(pension_no)
        last = now if now in states else states[0]
        rows.append({"pension_no": pension_no, "broken": broken, "last_after": last})
    return pl.DataFrame(
        rows, schema={"pension_no": pl.String, "broken": pl.Boolean, "last_after": pl.String}
    )


def _chain_ends(state: str | None, pairs: list[tuple[str | None, str | None]]) -> list:
    """The after-states the orders of one day's (before, after) pairs that continue from
    `state` (None: the first day, any start) end on, in the order first found; none when
    no order does."""
    if len(pairs) > _MAX_SAME_DAY:
        return []
    ends = {}
    for order in itertools.permutations(pairs):
        current = state
        ok = True
        for before, after in order:
            if current is not None and before is not None and before != current:
                ok = False
                break
            current = after
        if ok:
            ends[current] = None
    return list(ends)


def history_problems(roster: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """One row per pension number whose status history does not hold together:
    pension_no, history_problem (Chinese, '；'-joined: what does not hold).

    `roster` gives pension_no and status (today's); `changes` pension_no, status_before,
    status_after, changed_date.
    """
    changes = changes.filter(pl.col("pension_no").is_not_null()).select(
        "pension_no", "status_before", "status_after", "changed_date"
    )
    if changes.is_empty():
        return pl.DataFrame(schema=_SCHEMA)
    undated = (
        changes.filter(pl.col("changed_date").is_null())
        .select("pension_no")
        .unique()
        .with_columns(problem=pl.lit("变更日期缺失"))
    )
    dated = changes.filter(pl.col("changed_date").is_not_null())
    same_day = (
        dated.group_by("pension_no", "changed_date").len().filter(pl.col("len") > 1)["pension_no"]
    )
    multi = dated.filter(pl.col("pension_no").is_in(same_day.implode()))
    chains = (
        dated.filter(~pl.col("pension_no").is_in(same_day.implode()))
        .sort("pension_no", "changed_date")
        .with_columns(_previous=pl.col("status_after").shift(1).over("pension_no"))
        .group_by("pension_no")
        .agg(
            broken=(
                pl.col("_previous").is_not_null()
                & pl.col("status_before").is_not_null()
                & (pl.col("status_before") != pl.col("_previous"))
            ).any(),
            last_after=pl.col("status_after").last(),
        )
    )
    today = (  # the roster's status now, by pension number: two columns, not all copied
        roster.lazy()
        .filter(pl.col("pension_no").is_not_null())
        .unique("pension_no", keep="first")
        .select("pension_no", "status")
        .collect()
    )
    if not multi.is_empty():
        asked = today.filter(pl.col("pension_no").is_in(multi["pension_no"].implode()))
        status_now = dict(zip(asked["pension_no"], asked["status"], strict=True))
        chains = pl.concat([chains, _same_day_chains(multi, status_now)])
    broken = chains.filter("broken").select(
        "pension_no", problem=pl.lit("变更前状态与上一次变更后状态不符或日期顺序矛盾")
    )
    first_day = dated.filter(
        pl.col("changed_date") == pl.col("changed_date").min().over("pension_no")
    )
    unstarted = (
        first_day.group_by("pension_no")
        .agg(
            # some change of the first day starts from a state a record can start in
            _starts=pl.col("status_before").is_in(START_STATES).any(),
            _known=pl.col("status_before").is_not_null().all(),
        )
        .filter(~pl.col("_starts") & pl.col("_known"))
        .select("pension_no", problem=pl.lit("首次变更前状态为暂停或终止，缺少此前的变更记录"))
    )
    mismatched = today.join(
        chains.select("pension_no", "last_after"), on="pension_no", how="inner"
    ).filter(pl.col("status") != pl.col("last_after"))
    # The few texts are made in Python: polars 2.1's string formatting on these joined
    # columns panicked now and then (binview index assertion) on the linked roster.
    current = pl.DataFrame(
        {
            "pension_no": mismatched["pension_no"].to_list(),
            "problem": [
                f"当前参保状态{now}与最后一次变更后状态{last}不符"
                for now, last in zip(
                    mismatched["status"].to_list(), mismatched["last_after"].to_list(), strict=True
                )
            ],
        },
        schema={"pension_no": pl.String, "problem": pl.String},
    )
    return (
        pl.concat([undated, broken, unstarted, current])
        .group_by("pension_no", maintain_order=True)
        .agg(history_problem=pl.col("problem").unique(maintain_order=True).str.join("；"))
        .cast(_SCHEMA)
        .sort("pension_no")
    )
