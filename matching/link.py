"""Resolve every source record to a person on the hukou register (人员比对).

The hukou register (户籍) is the spine: a person is a hukou record's normalised citizen
ID. Each source record is resolved to at most one person, in two passes:

1. **ID pass** — the record's normalised ID equals a hukou ID *and* the name agrees
   (after removing spaces, traditional→simplified, or by pinyin for homophones), and sex
   and birth date agree where the source has them. An ID whose name plainly differs is a
   conflict (a relative's ID typed by mistake, say): it is not linked on the ID.
   A valid ID that is not on the register resolves to itself (`id_unregistered`): the
   person is known to the agencies but not resident here.
2. **Repair pass** — an 18-character ID that fails its check character links to the one
   person with the same name pinyin whose ID is one typo or one swap of neighbouring
   digits away (sex and birth date agreeing where present).
3. **Attribute pass** — records left over (no ID, a typo, a mangled or conflicting ID)
   link only when exactly one hukou person has the same name pinyin, sex and birth date
   (or, for funeral records that carry no birth date, the same date of death on the
   register). Namesakes that share those fields are left unlinked, never guessed.

The result keeps the source's columns and adds `person_id`, `link_method` and
`link_note`; `person_links` lists the decision for every record.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from pensionlink.matching.names import add_name_keys
from pensionlink.matching.probabilistic import Resolver, probabilistic_pass, resolve_scored
from pensionlink.matching.review import DECISION_SCHEMA, apply_decisions, record_keys, review_id
from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = [
    "QUEUE_SCHEMA",
    "build_spine",
    "id_pass",
    "link_night",
    "link_source",
    "link_sources",
    "person_links",
    "prepare_records",
    "resolve_rest",
    "resolve_source",
    "with_name_keys",
]

_SPINE_COLUMNS = ("sex", "birth_date", "death_date", "hukou_status", "township", "village")
QUEUE_SCHEMA = {
    "review_id": pl.String,
    "source": pl.String,
    "line_no": pl.Int64,
    "record_key": pl.String,
    "person_id": pl.String,
    "probability": pl.Float64,
    "weight": pl.Float64,
    "runner_up": pl.Float64,
    "comparison": pl.String,
    "reason": pl.String,
}
# What the probabilistic pass compares, when a source has it.
_PROBABILISTIC_FIELDS = ("sex", "birth_date", "death_date", "id_clean", "township", "village")
_EMPTY_DECISIONS = pl.DataFrame(
    schema={
        "_row": pl.UInt32,
        "person_id": pl.String,
        "link_method": pl.String,
        "link_note": pl.String,
    }
)


def build_spine(hukou: pl.DataFrame) -> pl.DataFrame:
    """One row per hukou person: its ID as `person_id`, with the fields we compare on."""
    used = ["citizen_id", "name", *[c for c in _SPINE_COLUMNS if c in hukou.columns]]
    spine = (  # the columns compared only: not the whole hukou copied
        hukou.select(used)
        .filter(pl.col("citizen_id").is_not_null())
        .unique("citizen_id", keep="first", maintain_order=True)
    )
    spine = add_name_keys(spine)
    return spine.select(
        pl.col("citizen_id").alias("person_id"),
        "name_key",
        "pinyin_key",
        *[c for c in _SPINE_COLUMNS if c in spine.columns],
    )


def link_source(frame: pl.DataFrame, spine: pl.DataFrame) -> pl.DataFrame:
    """Add `person_id`, `link_method`, `link_note`, `score` to one source's records."""
    return resolve_source(frame, spine)[0]


def resolve_source(
    frame: pl.DataFrame,
    spine: pl.DataFrame,
    source: str = "",
    decisions: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Resolve one source's records to people; returns the linked frame and the records
    left for clerical review (`review_queue` rows without run_id)."""
    work = prepare_records(frame)
    return resolve_rest(frame, work, id_pass(work, spine), spine, source, decisions)


def prepare_records(frame: pl.DataFrame) -> pl.DataFrame:
    """One source's records with `_row` (their place in the source) and the name keys
    every pass compares on."""
    return with_name_keys(frame.with_row_index("_row"))


def with_name_keys(numbered: pl.DataFrame) -> pl.DataFrame:
    """Records already numbered by `_row` (all of a source, or a part of it) with their
    name keys, in the same order."""
    if "citizen_id" not in numbered.columns:
        raise ValueError("link_source needs the normalised citizen_id column")
    if "name" in numbered.columns:
        return add_name_keys(numbered)
    return numbered.with_columns(
        name_key=pl.lit(None, pl.String), pinyin_key=pl.lit(None, pl.String)
    )


def id_pass(work: pl.DataFrame, spine: pl.DataFrame) -> pl.DataFrame:
    """The ID pass over `prepare_records` output: (_row, person_id, link_method, link_note)
    of the records linked on their normalised citizen ID. It needs only the spine rows of
    the same IDs, so records and spine can be split alike by the ID (`matching.partitioned`)."""
    has = set(work.columns) - {"_row", "name_key", "pinyin_key"}
    return _id_pass(work, spine, has)


def resolve_rest(
    frame: pl.DataFrame,
    work: pl.DataFrame,
    by_id: pl.DataFrame,
    spine: pl.DataFrame,
    source: str = "",
    decisions: pl.DataFrame | None = None,
    resolver: Resolver = resolve_scored,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Everything after the ID pass (repair, reviewers' decisions, unique attributes,
    Fellegi–Sunter, conflicts) over the whole spine; `resolver` scores and resolves the
    probabilistic pass's candidate pairs (in partitions, with `matching.partitioned`).
    `work` is `frame`'s records, one each, numbered by `_row` (their place in `frame`)."""
    has = set(frame.columns)
    rest = work.join(by_id, on="_row", how="anti")
    by_repair = _repair_pass(rest, spine, has)
    rest = rest.join(by_repair, on="_row", how="anti")
    rest = rest.with_columns(record_keys(rest.select(frame.columns), source))
    by_reviewer, rejected = apply_decisions(
        rest, source, decisions if decisions is not None else pl.DataFrame(schema=DECISION_SCHEMA)
    )
    reviewed = pl.concat(
        [
            by_reviewer.select("_row", "person_id", accepted=pl.lit(True)),
            rejected.select("_row", "person_id", accepted=pl.lit(False)),
        ]
    )
    reviewed_records = rest.join(reviewed.select("_row").unique(), on="_row")
    rest = rest.join(by_reviewer, on="_row", how="anti")
    by_attributes = _attribute_pass(rest, spine, has).join(
        rejected, on=["_row", "person_id"], how="anti"
    )
    rest = rest.join(by_attributes, on="_row", how="anti")
    by_chance, queue = _probabilistic_pass(
        rest, spine, rejected, source, (reviewed_records, reviewed), resolver
    )
    rest = rest.join(by_chance, on="_row", how="anti")
    queue = pl.concat([queue, _conflicts(rest, spine, rejected, source)]).unique(
        "review_id", keep="first", maintain_order=True
    )
    decided = pl.concat(
        [by_id, by_repair, by_reviewer, by_attributes, by_chance], how="diagonal_relaxed"
    )
    # Each record's outcome in the source's order, added to the source's own columns: a
    # join of the whole `work` would copy every column of it (a million visits: 0.2 GB).
    links = work.select("_row", "citizen_id").sort("_row")
    links = links.join(decided, on="_row", how="left", maintain_order="left")
    unlinked = pl.col("person_id").is_null()
    links = links.with_columns(
        link_note=pl.when(unlinked & pl.col("citizen_id").is_null())
        .then(pl.lit("无可用身份证号且无唯一匹配"))
        .when(unlinked)
        .then(pl.lit("身份证号与姓名、性别或出生日期不符"))
        .otherwise(pl.col("link_note")),
        score=pl.col("score") if "score" in links.columns else pl.lit(None, pl.Float64),
    )
    return frame.hstack(links.drop("_row", "citizen_id").get_columns()), queue


def _conflicts(
    rest: pl.DataFrame, spine: pl.DataFrame, rejected: pl.DataFrame, source: str
) -> pl.DataFrame:
    """Records whose valid ID belongs to a registered person with another name (or sex,
    or birth date), still unlinked: a reviewer decides — a relative's ID typed into a
    funeral record must never link by itself."""
    owners = (
        rest.filter(pl.col("citizen_id").is_not_null())
        .join(spine.select("person_id"), left_on="citizen_id", right_on="person_id")
        .with_columns(person_id=pl.col("citizen_id"))
        .join(rejected, on=["_row", "person_id"], how="anti")
    )
    return _queue_rows(
        owners,
        source,
        reason="身份证号属于另一登记人员（姓名、性别或出生日期不符），可能误填亲属身份证号",
    )


def _queue_rows(rows: pl.DataFrame, source: str, reason: str | None = None) -> pl.DataFrame:
    """`review_queue` rows for records and their candidate person; scores and the reason
    are taken from `rows` when it has them."""

    def column(name: str, dtype: pl.DataType) -> pl.Expr:
        return pl.col(name) if name in rows.columns else pl.lit(None, dtype)

    return rows.select(
        review_id=pl.struct("record_key", "person_id").map_elements(
            lambda r: review_id(source, r["record_key"], r["person_id"]), return_dtype=pl.String
        ),
        source=pl.lit(source),
        line_no="line_no",
        record_key="record_key",
        person_id="person_id",
        probability=column("probability", pl.Float64),
        weight=column("weight", pl.Float64),
        runner_up=column("runner_up", pl.Float64),
        comparison=column("comparison", pl.String),
        reason=pl.lit(reason) if reason is not None else column("reason", pl.String),
    ).cast(QUEUE_SCHEMA)


def _probabilistic_pass(
    rest: pl.DataFrame,
    spine: pl.DataFrame,
    rejected: pl.DataFrame,
    source: str,
    reviewed: tuple[pl.DataFrame, pl.DataFrame] | None = None,
    resolver: Resolver = resolve_scored,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fellegi–Sunter on what the exact passes left (see `matching.probabilistic`):
    confident, clearly-ahead candidates link; doubtful ones go to the review queue.
    `reviewed` (records, (_row, person_id, accepted)) refines the weights."""
    fields = [c for c in _PROBABILISTIC_FIELDS if c in rest.columns]

    def usable(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(pl.col("pinyin_key").is_not_null()).select(
            "_row", "name_key", "pinyin_key", *fields
        )

    records = usable(rest)
    if records.is_empty():
        return _EMPTY_DECISIONS, pl.DataFrame(schema=QUEUE_SCHEMA)
    if reviewed is not None:
        reviewed = (usable(reviewed[0]), reviewed[1])
    resolved = _hold_foreign_ids(
        probabilistic_pass(records, spine, rejected, reviewed, resolver), rest
    )
    links = resolved.filter(pl.col("decision") == "link").select(
        pl.col("_row").cast(pl.UInt32),
        "person_id",
        link_method=pl.lit("probabilistic"),
        link_note="reason",
        score="probability",
    )
    doubtful = (
        resolved.filter(pl.col("decision") == "review")
        .with_columns(pl.col("_row").cast(pl.UInt32))
        .join(rest.select("_row", "line_no", "record_key"), on="_row")
    )
    return links, _queue_rows(doubtful, source)


FOREIGN_ID_REASON = "身份证号属于另一登记人员（可能误填亲属身份证号），概率匹配不自动关联"


def _hold_foreign_ids(resolved: pl.DataFrame, rest: pl.DataFrame) -> pl.DataFrame:
    """A record whose valid ID belongs to a registered person (so the ID pass found the
    name, sex or birth date differ: a relative's ID) is never linked by probability: its
    'link' becomes 'review', the reason saying why. (Every ID left in `rest` that is on
    the register is such a conflict: the ID pass linked the others.)"""
    if "citizen_id" not in rest.columns:
        return resolved
    foreign = rest.filter(pl.col("citizen_id").is_not_null())["_row"].cast(pl.UInt32)
    held = (pl.col("decision") == "link") & pl.col("_row").cast(pl.UInt32).is_in(foreign.implode())
    return resolved.with_columns(
        reason=pl.when(held)
        .then(pl.concat_str(pl.lit(FOREIGN_ID_REASON + "；"), pl.col("reason")))
        .otherwise(pl.col("reason")),
        decision=pl.when(held).then(pl.lit("review")).otherwise(pl.col("decision")),
    )


def _agreement_columns(has: set[str]) -> list[str]:
    """The record's columns `_agrees` compares (each with its spine twin `<column>_h`)."""
    return ["name_key", "pinyin_key", *[c for c in ("sex", "birth_date") if c in has]]


def _agrees(has: set[str]) -> pl.Expr:
    """Name agrees (characters or pinyin); sex and birth date agree where present."""
    name_ok = (pl.col("name_key") == pl.col("name_key_h")) | (
        pl.col("pinyin_key") == pl.col("pinyin_key_h")
    )
    ok = name_ok.fill_null(False)
    if "sex" in has:
        ok = ok & (pl.col("sex").is_null() | (pl.col("sex") == pl.col("sex_h")).fill_null(True))
    if "birth_date" in has:
        ok = ok & (
            pl.col("birth_date").is_null()
            | (pl.col("birth_date") == pl.col("birth_date_h")).fill_null(True)
        )
    return ok


def _id_pass(work: pl.DataFrame, spine: pl.DataFrame, has: set[str]) -> pl.DataFrame:
    compared = _agreement_columns(has)  # only these, on both sides: a join copies what it is given
    with_id = work.select("_row", "citizen_id", *compared).filter(
        pl.col("citizen_id").is_not_null()
    )
    # A source a tenth of the spine's size or less takes the spine's rows of its IDs
    # first: the join hashes the whole spine (a 3,000-record source on a million-person
    # hukou: 0.09 → 0.02 s, 0.14 GB less); for a large one the filter costs more than it saves.
    near = spine
    if with_id.height * 10 <= spine.height:
        near = spine.filter(pl.col("person_id").is_in(with_id["citizen_id"].implode()))
    on_register = pl.col("person_id").is_not_null()
    return (  # streamed: the candidate pairs are never all in memory at once
        with_id.lazy()
        .join(
            near.lazy().select("person_id", *[pl.col(c).alias(f"{c}_h") for c in compared]),
            left_on="citizen_id",
            right_on="person_id",
            how="left",
            coalesce=False,
        )
        .filter(~on_register | _agrees(has))
        .select(
            "_row",
            person_id=pl.coalesce("person_id", "citizen_id"),
            link_method=pl.when(on_register)
            .then(pl.lit("id"))
            .otherwise(pl.lit("id_unregistered")),
            link_note=pl.when(on_register)
            .then(pl.lit(None, pl.String))
            .otherwise(pl.lit("身份证号不在本市户籍")),
        )
        .collect(engine="streaming")
        .sort("_row")
    )


def _repair_pass(rest: pl.DataFrame, spine: pl.DataFrame, has: set[str]) -> pl.DataFrame:
    """Link a mistyped ID (failed check character) to the one same-named person whose ID
    it is one typo or one swap of neighbouring digits away from."""
    if "id_clean" not in has:
        return _EMPTY_DECISIONS
    compared = _agreement_columns(has)
    typed = rest.select("_row", "id_status", "id_clean", *compared).filter(
        (pl.col("id_status") == "invalid")
        & (pl.col("id_clean").str.len_chars() == 18)
        & pl.col("pinyin_key").is_not_null()
    )
    if typed.is_empty():
        return _EMPTY_DECISIONS
    pairs = (  # streamed, and filtered before the distances: sex and birth date cut most
        typed.lazy()
        .join(
            spine.lazy().select(*[pl.col(c).alias(f"{c}_h") for c in ("person_id", *compared)]),
            left_on="pinyin_key",
            right_on="pinyin_key_h",
        )
        .with_columns(pinyin_key_h=pl.col("pinyin_key"))
        .filter(_agrees(has))
        .collect(engine="streaming")
    )
    if pairs.is_empty():
        return _EMPTY_DECISIONS
    distance = process.cpdist(
        pairs["id_clean"].to_list(), pairs["person_id_h"].to_list(), scorer=OSA.distance
    )
    close = pairs.with_columns(_distance=pl.Series(distance)).filter(pl.col("_distance") <= 1)
    unique = (
        close.group_by("_row")
        .agg(pl.col("person_id_h").unique())
        .filter(pl.col("person_id_h").list.len() == 1)
    )
    return unique.select(
        "_row",
        person_id=pl.col("person_id_h").list.first(),
        link_method=pl.lit("id_repaired"),
        link_note=pl.lit("身份证号有一位录错或相邻两位颠倒，按姓名唯一匹配"),
    )


def _attribute_pass(rest: pl.DataFrame, spine: pl.DataFrame, has: set[str]) -> pl.DataFrame:
    empty = _EMPTY_DECISIONS
    if "birth_date" in has:
        date_key = "birth_date"
    elif "death_date" in has:
        date_key = "death_date"
    else:
        return empty
    keys = ["pinyin_key", date_key] + (["sex"] if "sex" in has else [])
    unique_people = (
        spine.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
        .group_by(keys)
        .agg(pl.col("person_id").first(), pl.len().alias("_n"))
        .filter(pl.col("_n") == 1)
        .drop("_n")
    )
    return (
        rest.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
        .join(unique_people, on=keys, how="inner")
        .select(
            "_row",
            "person_id",
            link_method=pl.lit("attributes"),
            link_note=pl.lit(
                "姓名、性别、"
                + ("出生日期" if date_key == "birth_date" else "死亡日期")
                + "唯一匹配"
            ),
        )
    )


def person_links(source: str, linked: pl.DataFrame) -> pl.DataFrame:
    """The `person_links` rows of one linked source: who each record was resolved to."""
    return linked.select(
        pl.lit(source).alias("source"),
        "line_no",
        "id_status",
        "person_id",
        "link_method",
        "link_note",
        "score",
    )


def link_night(
    frames: dict[str, pl.DataFrame], decisions: pl.DataFrame | None = None
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
    """Link every ID-bearing source of a night to the hukou spine.

    Returns the frames with `person_id`/`link_method`/`link_note`/`score` added (sources
    without identities, such as payments keyed by pension number, pass through
    unchanged), the night's `person_links` rows and its `review_queue` rows. Reviewers'
    `decisions` (source, record_key, person_id, decision) are applied first.
    """
    spine = build_spine(frames["hukou"])
    return link_sources(
        frames, lambda source, frame: resolve_source(frame, spine, source, decisions)
    )


def link_sources(
    frames: dict[str, pl.DataFrame],
    resolve_one: Callable[[str, pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]],
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
    """`link_night`'s frames, `person_links` and `review_queue`, with `resolve_one(source,
    frame)` resolving each ID-bearing source other than the hukou (`resolve_source`, or
    its partitioned equivalent in `matching.partitioned`)."""
    linked: dict[str, pl.DataFrame] = {}
    links: list[pl.DataFrame] = []
    queues: list[pl.DataFrame] = [pl.DataFrame(schema=QUEUE_SCHEMA)]
    for source, frame in frames.items():
        if "citizen_id" not in frame.columns:
            linked[source] = frame
            continue
        if source == "hukou":
            out = frame.with_columns(
                person_id=pl.col("citizen_id"),
                link_method=pl.when(pl.col("citizen_id").is_not_null()).then(pl.lit("id")),
                link_note=pl.when(pl.col("citizen_id").is_null()).then(pl.lit("户籍身份证号无效")),
                score=pl.lit(None, pl.Float64),
            )
        else:
            out, queue = resolve_one(source, frame)
            queues.append(queue)
        linked[source] = out
        links.append(person_links(source, out))
    return (
        linked,
        pl.concat(links, how="vertical_relaxed"),
        pl.concat(queues, how="vertical_relaxed"),
    )
