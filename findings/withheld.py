"""What tonight's rejected rows mean for the findings (被拒收记录).

The connectors reject a row whose values are outside the contract, and keep in memory
whom it was about (`connectors.NightExtract.withheld`: source, line, the normalised
citizen ID, and the 人员状态/终止原因 words). The flow hands it to the findings under the
key :data:`WITHHELD`. A rejected row is never evidence either way, so the person is
*unknown* to that source tonight, and the safe reading is:

- a rejected residents' or employee roster row: whether the person is insured is unknown,
  so they are left out of the uninsured list and of coverage (not told to enrol); so is
  a person proposed for a roster record in the clerical-review queue (key
  :data:`REVIEW_QUEUE`), until a reviewer decides;
- a rejected residents' roster row of someone an agency reports dead: the person cannot
  drop off the deaths list because their roster row was refused, so they are listed for
  review with the reason (`rejected_roster_people`);
- a rejected death report (hukou 死亡, a death certificate, a funeral record, medical
  insurance 终止原因 死亡): the death is neither taken nor dropped; a pensioner with one
  goes to review, never `confirmed`, until the agency corrects the row.

Rows whose ID is not usable cannot be attributed to anyone and change nothing.
"""

from __future__ import annotations

import polars as pl
from pensionlink.matching.link import build_spine, link_source

__all__ = [
    "REVIEW_QUEUE",
    "ROSTER_SOURCES",
    "WITHHELD",
    "attributed_withheld",
    "insurance_unknown",
    "rejected_roster_people",
    "withheld_death_reports",
]

#: Key, in the night's linked frames, of the connectors' withheld rows.
WITHHELD = "withheld"
#: Key, in the night's linked frames, of the matcher's review queue (`review_queue` rows).
REVIEW_QUEUE = "review_queue"
ROSTER_SOURCES = ("resident_roster", "employee_roster")
DEATH = "死亡"
# What a rejected row does not tell the matcher (so only the ID passes can resolve it).
_ABSENT = ("sex", "birth_date")


def attributed_withheld(linked: dict[str, pl.DataFrame]) -> pl.DataFrame | None:
    """The withheld rows attributed to a person (`citizen_id` holds the person's ID).

    A valid ID is the person; an ID with a typo is resolved as the matcher would (one
    typo or swap from a same-named person on the register). Nothing else is tried: a
    name alone never attributes a rejected row.
    """
    frame = linked.get(WITHHELD)
    if frame is None or frame.is_empty():
        return None
    typos = frame.filter(pl.col("citizen_id").is_null() & (pl.col("id_status") == "invalid"))
    if typos.height:
        spine = build_spine(linked["hukou"])
        nulls = {c: pl.lit(None, pl.Date if c == "birth_date" else pl.String) for c in _ABSENT}
        resolved = link_source(typos.with_columns(**nulls, line_no="line"), spine)
        repaired = resolved.filter(pl.col("link_method") == "id_repaired")
        frame = pl.concat(
            [frame, repaired.with_columns(citizen_id="person_id").select(frame.columns)]
        )
    return frame.filter(pl.col("citizen_id").is_not_null())


def insurance_unknown(linked: dict[str, pl.DataFrame]) -> pl.Series:
    """IDs of people a pension-roster row of tonight's was rejected for, or proposed for
    a roster record that waits in the clerical-review queue (its ID unusable, a number in
    a workbook say): until the row is corrected or the pair decided, it is not known
    whether they are insured."""
    rows = attributed_withheld(linked)
    queue = linked.get(REVIEW_QUEUE)
    ids = [pl.Series("citizen_id", [], pl.String)]
    if rows is not None:
        ids.append(rows.filter(pl.col("source").is_in(ROSTER_SOURCES))["citizen_id"])
    if queue is not None:
        ids.append(queue.filter(pl.col("source").is_in(ROSTER_SOURCES))["person_id"])
    return pl.concat([s.rename("citizen_id") for s in ids]).drop_nulls().unique()


def withheld_death_reports(linked: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """person_id → the sources whose death report of the person was rejected tonight."""
    schema = {"person_id": pl.String, "withheld_reports": pl.List(pl.String)}
    rows = attributed_withheld(linked)
    if rows is None:
        return pl.DataFrame(schema=schema)
    source = pl.col("source")
    reports = rows.filter(
        source.is_in(["death_certificates", "funeral"])
        | ((source == "hukou") & (pl.col("hukou_status") == DEATH))
        | ((source == "medical_enrollment") & (pl.col("end_reason") == DEATH))
    )
    return (
        reports.group_by(pl.col("citizen_id").alias("person_id"))
        .agg(withheld_reports=source.unique().sort())
        .cast(schema)
    )


def rejected_roster_people(linked: dict[str, pl.DataFrame]) -> pl.Series:
    """IDs of the people whose residents' roster row was rejected tonight (参保登记记录
    被拒收): their 参保状态 is unknown until the bureau corrects the row."""
    rows = attributed_withheld(linked)
    if rows is None:
        return pl.Series("person_id", [], pl.String)
    return (
        rows.filter(pl.col("source") == "resident_roster")["citizen_id"]
        .unique()
        .rename("person_id")
    )
