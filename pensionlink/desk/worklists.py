"""A user's worklists (工作清单): which cases wait for them, how many, filtered and paged.

Pure polars on the desk's case frame (the case store's cases with who they are about from
the published night: `case_id, kind, state, township, village, citizen_id, name,
opened_on, new_tonight, …`). A worklist is a kind and the states in which it waits for
someone of the user's role; the home page counts each, new tonight apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from pensionlink.desk.accounts import DeskUser

__all__ = [
    "PAGE_SIZE",
    "WORKLISTS",
    "Worklist",
    "ages",
    "filter_cases",
    "in_area",
    "page_of",
    "worklist_counts",
]

PAGE_SIZE = 50
OPEN = "*open*"  # every state but closed (a kind whose states are still growing)


@dataclass(frozen=True)
class Worklist:
    key: str
    title: str
    kind: str
    #: desk role → the states in which the list waits for that role
    states: dict[str, tuple[str, ...]]


_ALL = ("village", "township", "city")
WORKLISTS = (
    Worklist("deaths", "待核实死亡", "death", dict.fromkeys(_ALL, ("to_verify",))),
    Worklist(
        "notices",
        "待送达告知书",
        "death",
        dict.fromkeys(_ALL, ("confirmed",)),
    ),
    Worklist("suspend", "异议期满待暂停发放", "death", {"city": ("objection_passed",)}),
    Worklist(
        "subsidy",
        "丧葬补助金申领（到本级）",
        "subsidy",
        {
            "village": ("to_apply", "applied"),
            "township": ("village_checked",),
            "city": ("township_checked", "approved", "paid"),
        },
    ),
    Worklist(
        "recoveries",
        "待追回多领待遇",
        "recovery",
        dict.fromkeys(_ALL, ("outstanding", "partly_recovered")),
    ),
    Worklist("uninsured", "应保未保待走访", "uninsured", dict.fromkeys(_ALL, ("to_contact",))),
    Worklist(
        "advances",
        "缴费垫付",
        "advance",
        dict.fromkeys(_ALL, (OPEN,)),
    ),
)
_BY_KEY = {w.key: w for w in WORKLISTS}


def _waiting(w: Worklist, role: str) -> pl.Expr:
    states = w.states.get(role, ())
    if OPEN in states:
        return (pl.col("kind") == w.kind) & (pl.col("state") != "closed")
    return (pl.col("kind") == w.kind) & pl.col("state").is_in(states)


def in_area(cases: pl.DataFrame, user: DeskUser) -> pl.DataFrame:
    """Only the cases of people in the user's area (the city: all; admin: none)."""
    if user.role == "city":
        return cases
    if user.role == "township":
        return cases.filter(pl.col("township") == user.township)
    if user.role == "village":
        return cases.filter(
            (pl.col("township") == user.township) & (pl.col("village") == user.village)
        )
    return cases.clear()


def ages(citizen_ids: pl.Expr, on: dt.date) -> pl.Expr:
    """Whole years of age on `on` from the birth date an 18-character ID carries."""
    born = citizen_ids.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    years = pl.lit(on.year) - born.dt.year()
    month_day = born.dt.month().cast(pl.Int32) * 100 + born.dt.day().cast(pl.Int32)
    before_birthday = month_day > (on.month * 100 + on.day)
    return years - before_birthday.cast(pl.Int32)


def filter_cases(
    cases: pl.DataFrame,
    user: DeskUser,
    *,
    worklist: str | None = None,
    kind: str | None = None,
    state: str | None = None,
    village: str | None = None,
    township: str | None = None,
    age_min: int | None = None,
    age_max: int | None = None,
    on: dt.date | None = None,
) -> pl.DataFrame:
    """The user's cases narrowed by a worklist and the filters, newest first."""
    frame = in_area(cases, user)
    if worklist in _BY_KEY:
        w = _BY_KEY[worklist]
        frame = frame.filter(_waiting(w, user.role))
    for column, value in (
        ("kind", kind),
        ("state", state),
        ("village", village),
        ("township", township),
    ):
        if value:
            frame = frame.filter(pl.col(column) == value)
    if (age_min is not None or age_max is not None) and on is not None:
        age = ages(pl.col("citizen_id"), on)
        if age_min is not None:
            frame = frame.filter(age >= age_min)
        if age_max is not None:
            frame = frame.filter(age <= age_max)
    return frame.sort(["new_tonight", "case_id"], descending=[True, False])


def page_of(frame: pl.DataFrame, page: int, size: int = PAGE_SIZE) -> tuple[pl.DataFrame, int]:
    """One page (1-based, clamped) and the number of pages."""
    pages = max(1, -(-frame.height // size))
    page = min(max(page, 1), pages)
    return frame.slice((page - 1) * size, size), pages


def worklist_counts(cases: pl.DataFrame, user: DeskUser) -> list[dict]:
    """Each worklist that waits for the user's role: title, count, new tonight."""
    mine = in_area(cases, user)
    out = []
    for w in WORKLISTS:
        states = w.states.get(user.role)
        if not states:
            continue
        rows = mine.filter(_waiting(w, user.role))
        out.append(
            {
                "key": w.key,
                "title": w.title,
                "count": rows.height,
                "new": int(rows["new_tonight"].sum()) if rows.height else 0,
            }
        )
    return out
