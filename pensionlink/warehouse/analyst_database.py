"""The analysts' database (分析库): every finding and coverage table, de-identified.

Analysts need the findings, not identities (PIPL Art. 51: de-identification). Each night,
after the restricted database is published, this file beside it is rebuilt from it:
the citizen ID becomes a keyed pseudonym (`person_key`, HMAC-SHA256 with a key derived
from the database key, so the same person has the same key every night and trends can be
followed) plus the ID masked (前6后4); the pension number becomes `pension_key`; names are
masked (金*花); no birth dates, only ages. Tables with raw delivered values (linkage,
review queue, rejected rows, snapshots) are not copied at all. The file is not encrypted:
it is what analysts open (`duckdb -readonly pensionlink-analyst.duckdb`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pensionlink.cases.keys import PersonKeys, Pseudonyms
from pensionlink.connectors.citizen_id import mask_citizen_id
from pensionlink.warehouse.database_key import database_key, pseudonym_key
from pensionlink.warehouse.store import HISTORY_TABLES, open_warehouse, write_plain_database

__all__ = [
    "ANALYST_TABLES",
    "AnalystPseudonyms",
    "analyst_path",
    "deidentify",
    "mask_name",
    "publish_analyst_database",
]

log = logging.getLogger(__name__)

FINDINGS = HISTORY_TABLES  # the finding and coverage tables, each with its history
ANALYST_TABLES = (*FINDINGS, *(f"{t}_history" for t in FINDINGS), "case_events", "runs")
NEW_COLUMNS = {
    "person_key": "人员代码（公民身份号码的加密散列，各晚不变，可跨批次追踪同一人）",
    "citizen_id_masked": "公民身份号码（脱敏：前6位后4位）",
    "pension_key": "个人编号代码（加密散列）",
    "by": "经办人代码（加密散列）",
}
DROPPED = ("citizen_id", "pension_no", "birth_date", "extracts")


def analyst_path(db: Path) -> Path:
    """`pensionlink.duckdb` → `pensionlink-analyst.duckdb`, beside it."""
    db = Path(db)
    return db.with_name(f"{db.stem}-analyst{db.suffix}")


def mask_name(name: pl.Expr) -> pl.Expr:
    """金顺花 → 金*花, 金花 → 金*, 南宫明月 → 南**月; one character stays as it is."""
    n = name.str.len_chars()
    return (
        pl.when(n <= 1)
        .then(name)
        .when(n == 2)
        .then(pl.concat_str(name.str.slice(0, 1), pl.lit("*")))
        .otherwise(
            pl.concat_str(
                name.str.slice(0, 1),
                name.str.slice(1, (n - 2).clip(lower_bound=0)).str.replace_all(r"(?s).", "*"),
                name.str.slice(-1, 1),
            )
        )
    )


@dataclass(frozen=True)
class AnalystPseudonyms:
    """The copy's keyed pseudonyms (假名), one kind of value each: a value is hashed once
    however many tables carry it (a finding and its history, at a million people about
    half the copy's hashing). `person` is the case store's `person_key`."""

    person: Pseudonyms
    pension: Pseudonyms
    staff: Pseudonyms

    @classmethod
    def keyed(cls, key: bytes) -> AnalystPseudonyms:
        return cls(
            PersonKeys(key),
            Pseudonyms(key, b"pension_no\x00", "pension_key"),
            Pseudonyms(key, b"staff\x00", "by"),
        )

    @classmethod
    def of(cls, key: bytes | AnalystPseudonyms) -> AnalystPseudonyms:
        """`key`'s pseudonyms, or `key` itself when it already is the copy's."""
        return key if isinstance(key, AnalystPseudonyms) else cls.keyed(key)


def deidentify(frame: pl.DataFrame, key: bytes | AnalystPseudonyms) -> pl.DataFrame:
    """The analysts' version of a table: pseudonyms and masks in, identities out; `key`
    the pseudonym key, or the copy's `AnalystPseudonyms`."""
    pseudonyms = AnalystPseudonyms.of(key)
    out = frame
    if "citizen_id" in out.columns:
        out = out.with_columns(
            person_key=pseudonyms.person(out["citizen_id"]),
            citizen_id_masked=mask_citizen_id(pl.col("citizen_id")),
        )
    if "pension_no" in out.columns:
        out = out.with_columns(pension_key=pseudonyms.pension(out["pension_no"]))
    if "name" in out.columns:
        out = out.with_columns(name=mask_name(pl.col("name")))
    keys = [c for c in ("person_key", "citizen_id_masked", "pension_key") if c in out.columns]
    rest = [c for c in out.columns if c not in keys and c not in DROPPED]
    return out.select(*keys, *rest)


def deidentify_case_events(frame: pl.DataFrame, key: bytes | AnalystPseudonyms) -> pl.DataFrame:
    """Staff actions for analysts: who acted as a staff pseudonym, and no free-text note
    (a clerk's note may name a relative or carry a phone number)."""
    out = frame.drop("note", strict=False)
    if "by" in out.columns:
        out = out.with_columns(by=AnalystPseudonyms.of(key).staff(out["by"]))
    return out


def publish_analyst_database(db: Path, key: str | None = None) -> Path:
    """Rebuild the analysts' file from the restricted database and put it in place atomically."""
    key = database_key() if key is None else key
    pseudonyms = AnalystPseudonyms.keyed(pseudonym_key(key))
    with open_warehouse(Path(db), read_only=True) as warehouse:
        tables, comments = warehouse.export(ANALYST_TABLES)
    analyst_tables = {table: deidentify(frame, pseudonyms) for table, frame in tables.items()}
    if "case_events" in analyst_tables:
        events = deidentify_case_events(analyst_tables["case_events"], pseudonyms)
        analyst_tables["case_events"] = events
    analyst_comments = {
        table: {
            "": (comments.get((table, "")) or "") + "（分析库：已去标识化）",
            **{
                column: "姓名（脱敏）"
                if column == "name"
                else NEW_COLUMNS.get(column) or comments.get((table, column))
                for column in frame.columns
            },
        }
        for table, frame in analyst_tables.items()
    }
    target = analyst_path(db)
    write_plain_database(target, analyst_tables, analyst_comments)
    log.info("analyst database rebuilt: %d tables", len(analyst_tables))
    return target
