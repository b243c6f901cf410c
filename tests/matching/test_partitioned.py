"""Linkage in partitions gives exactly what one process gives (`matching.partitioned`)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from pensionlink.connectors import read_night
from pensionlink.matching import link_night
from pensionlink.matching.partitioned import hash_part, link_night_partitioned, split
from pensionlink.synth.generate import generate_night

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def frames(tmp_path_factory) -> dict[str, pl.DataFrame]:
    night = tmp_path_factory.mktemp("partitioned") / "night"
    generate_night(night, people=3000, seed=7, as_of=AS_OF, noise=3.0)
    return read_night(night, as_of=AS_OF).frames


def test_split_keeps_each_rows_order_and_gives_empty_parts_the_schema():
    frame = pl.DataFrame({"k": [5, 1, 4, 2, 3], "v": ["a", "b", "c", "d", "e"]})
    parts = split(frame, pl.col("k") % 4, 4)
    assert [p["v"].to_list() for p in parts] == [["c"], ["a", "b"], ["d"], ["e"]]
    assert split(frame, pl.lit(0), 2)[1].schema == frame.schema
    assert split(frame, pl.lit(0), 2)[1].is_empty()


def test_a_citizen_id_always_falls_in_the_same_part():
    ids = pl.DataFrame({"id": ["222405194408239619", "222405194201284607"] * 3})
    part = ids.select(hash_part(pl.col("id"), 3))["id"]
    assert part.to_list()[:2] * 3 == part.to_list()
    assert set(part.to_list()) <= {0, 1, 2}


def _decisions(queue: pl.DataFrame) -> pl.DataFrame:
    """A reviewer accepts the first pair of the queue and rejects the second."""
    rows = queue.head(2).select("source", "record_key", "person_id")
    return rows.with_columns(decision=pl.Series(["accept", "reject"][: rows.height]))


@pytest.mark.parametrize("parts", [1, 3])
def test_partitioned_linkage_is_identical_to_one_process(frames, parts):
    linked, links, queue = link_night(frames)
    assert queue.height >= 2  # the night leaves pairs to review (and probabilistic links)
    assert (links["link_method"] == "probabilistic").sum() > 0
    got = link_night_partitioned(frames, parts=parts)
    assert got[1].equals(links) and got[2].equals(queue)
    assert all(got[0][s].equals(linked[s]) for s in linked)
    decisions = _decisions(queue)
    expected = link_night(frames, decisions)
    assert expected[2].height < queue.height  # the decided pairs left the queue
    got = link_night_partitioned(frames, decisions, parts=parts)
    assert got[1].equals(expected[1]) and got[2].equals(expected[2])
    assert all(got[0][s].equals(expected[0][s]) for s in linked)


def test_no_parts_is_refused(frames):
    with pytest.raises(ValueError, match="parts"):
        link_night_partitioned(frames, parts=0)
