"""What the desk reads (办理数据): the cases as they are now, with who they are about.

The case store is the truth for states and events (staff act all day); the published
night says who each case is about (the store holds person keys only). The people are
read once per published file and keyed by person key, so a case opened during the day
(an advance) still finds its person and area. IDs and names leave here whole only for a
person's own page; lists carry them masked.
"""

from __future__ import annotations

import threading

import polars as pl

from pensionlink.cases.keys import person_keys
from pensionlink.cases.store import CaseStore
from pensionlink.connectors.citizen_id import mask_citizen_id
from pensionlink.warehouse.analyst_database import mask_name
from pensionlink.warehouse.database_key import database_key, pseudonym_key
from pensionlink.warehouse.published import LatestNight
from pensionlink.warehouse.queries import case_people, desk_review_items, has_table

__all__ = [
    "LiveCases",
    "people_by_key",
    "review_items",
]

_PEOPLE = {
    "person_key": pl.String,
    "citizen_id": pl.String,
    "name": pl.String,
    "township": pl.String,
    "village": pl.String,
}


def people_by_key(night: LatestNight) -> pl.DataFrame:
    """person_key → citizen_id, name, township, village of the published night's cases
    (read once per published file)."""

    with night.read() as (warehouse, cache, _):

        def compute() -> pl.DataFrame:
            if not warehouse.frame(has_table("cases"))["n"][0]:
                return pl.DataFrame(schema=_PEOPLE)
            people = (
                warehouse.frame(case_people())
                .drop("case_id")
                .filter(pl.col("citizen_id").is_not_null())
                .unique("citizen_id", keep="first", maintain_order=True)
            )
            key = pseudonym_key(database_key())
            return people.with_columns(person_keys(people["citizen_id"], key)).select(list(_PEOPLE))

        return night.cached(cache, "people", compute)


def _with_people(cases: pl.DataFrame, people: pl.DataFrame, latest: str | None) -> pl.DataFrame:
    return cases.join(people, on="person_key", how="left").with_columns(
        citizen_id_masked=mask_citizen_id(pl.col("citizen_id")),
        name_masked=mask_name(pl.col("name")),
        new_tonight=(pl.col("opened_on") == latest).fill_null(False),
    )


class LiveCases:
    """Every case as the store has it now, with its person (whole and masked) and
    `new_tonight` (opened on the newest night that moved cases) — kept in memory and
    brought up to date from the store's events: each read asks the store for its change
    mark (newest event, nights), and re-reads only the cases with newer events; a new
    night, or a new published file, reads them all again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mark: tuple[int, int] | None = None
        self._people: pl.DataFrame | None = None
        self._latest: str | None = None
        self._frame: pl.DataFrame | None = None

    def frame(self, store: CaseStore, night: LatestNight) -> pl.DataFrame:
        people = people_by_key(night)
        with self._lock:
            mark = store.change_mark()
            if self._frame is not None and mark == self._mark and people is self._people:
                return self._frame
            whole = (
                self._frame is None
                or people is not self._people
                or self._mark is None
                or mark[1] != self._mark[1]
                or mark[0] < self._mark[0]
            )
            if whole:
                self._latest = store.nights().filter(pl.col("moved") == 1)["as_of"].max()
                frame = _with_people(store.cases(), people, self._latest)
            else:
                touched = _with_people(
                    store.cases_touched_after(self._mark[0]), people, self._latest
                )
                frame = pl.concat(
                    [
                        self._frame.filter(~pl.col("case_id").is_in(touched["case_id"].implode())),
                        touched,
                    ]
                ).sort("case_id")
            self._mark, self._people, self._frame = mark, people, frame
            return frame


def review_items(store: CaseStore, night: LatestNight) -> pl.DataFrame:
    """Tonight's doubtful pairs nobody has decided (in the store or the warehouse), with
    the candidate's township and village, ID masked."""
    with night.read() as (warehouse, cache, _):
        queue = night.cached(cache, "review", lambda: warehouse.frame(desk_review_items()))
    decided = store.review_decisions()["review_id"]
    return queue.filter(~pl.col("review_id").is_in(decided.implode())).with_columns(
        person_id_masked=mask_citizen_id(pl.col("person_id"))
    )
