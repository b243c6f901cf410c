"""`pensionlink review`: the clerical-review queue for social-security staff (人工复核).

`list` shows tonight's undecided pairs, `show ID` one pair side by side with the
comparison and its weights, `decide ID --accept|--reject --by NAME` records the decision,
which later nights apply while the record is unchanged. IDs are shown masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from pensionlink.cases.keys import person_keys
from pensionlink.cases.store import case_store_location, open_case_store
from pensionlink.connectors.citizen_id import mask_one
from pensionlink.warehouse.database_key import database_key, pseudonym_key
from pensionlink.warehouse.queries import open_review_items, queued_review_item

review_app = typer.Typer(no_args_is_help=True, help=__doc__)

DB = Annotated[Path, typer.Option(help="the warehouse")]
_FIELDS = (
    ("姓名 name", "name"),
    ("性别 sex", "sex"),
    ("出生日期 birth date", "birth_date"),
    ("死亡日期 death date", "death_date"),
    ("乡镇 township", "township"),
    ("村 village", "village"),
    ("身份证号 ID", "citizen_id_raw"),
)


def _open(db: Path, read_only: bool):
    """Read the live file, or write through a staged copy published atomically."""
    from pensionlink.warehouse.store import open_warehouse, write_warehouse

    if not db.exists():
        typer.echo(f"pensionlink: {db}: no such database (run a night first)", err=True)
        raise typer.Exit(2)
    return open_warehouse(db, read_only=True) if read_only else write_warehouse(db)


@review_app.command("list")
def list_items(db: DB = Path("data/pensionlink.duckdb")) -> None:
    """Tonight's pairs waiting for a decision."""
    with _open(db, read_only=True) as warehouse:
        queue = warehouse.frame(open_review_items())
    queue = queue.filter(~pl.col("review_id").is_in(_decided_ids(db).implode()))
    if queue.is_empty():
        typer.echo("复核队列为空 nothing to review")
        return
    typer.echo(f"待复核 {queue.height} 项 items to review (review show ID for details)")
    for r in queue.iter_rows(named=True):
        typer.echo(
            f"  {r['review_id']}  {r['source']}:{r['line_no']}  → {mask_one(r['person_id'])}"
            f"  p={r['probability'] or 0:.3f}  {r['reason']}"
        )


def _shown(value) -> str:
    if value is None:
        return "—"
    text = str(value)
    return mask_one(text) if len(text.replace(" ", "")) >= 15 else text


@review_app.command()
def show(review_id: str, db: DB = Path("data/pensionlink.duckdb")) -> None:
    """One pair side by side, with each comparison and its weight."""
    with _open(db, read_only=True) as warehouse:
        try:
            item, record, person = warehouse.review_detail(review_id)
        except LookupError as exc:
            typer.echo(f"pensionlink: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"复核 {review_id}: {item['source']} 第{item['line_no']}行 ↔ 户籍人员")
    typer.echo(f"  原因 reason: {item['reason']}")
    if item["probability"] is not None:
        typer.echo(
            f"  匹配概率 p={item['probability']:.4f}, 权重 weight={item['weight']:.1f}, "
            f"次优 runner-up p={item['runner_up'] or 0:.4f}"
        )
    typer.echo(f"  {'':<22}{'来源记录 record':<24}户籍 hukou")
    for label, key in _FIELDS:
        left = _shown((record or {}).get(key))
        right = _shown((person or {}).get(key))
        typer.echo(f"  {label:<22}{left:<24}{right}")
    if item["comparison"]:
        typer.echo("  逐项比对 comparison (log2 weight):")
        for part in item["comparison"].split(";"):
            typer.echo(f"    {part.strip()}")


@review_app.command()
def decide(
    review_id: str,
    by: Annotated[str, typer.Option(help="who decides (姓名)")],
    accept: Annotated[bool, typer.Option("--accept", help="same person")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="not the same person")] = False,
    note: Annotated[str | None, typer.Option(help="why")] = None,
    db: DB = Path("data/pensionlink.duckdb"),
) -> None:
    """Record a decision; later nights apply it while the record is unchanged."""
    if accept == reject:
        typer.echo("pensionlink: give exactly one of --accept or --reject", err=True)
        raise typer.Exit(2)
    by = by.strip()
    if not by:
        typer.echo("pensionlink: --by: 请填写复核人姓名 expected who decides (not empty)", err=True)
        raise typer.Exit(2)
    try:
        record_review(db, review_id, "accept" if accept else "reject", by, note)
    except LookupError as exc:
        typer.echo(f"pensionlink: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"已记录 recorded: {review_id} {'accept' if accept else 'reject'} by {by}")


def _decided_ids(db: Path) -> pl.Series:
    with open_case_store(case_store_location(db)) as store:
        return store.review_decisions()["review_id"]


def record_review(db: Path, review_id: str, decision: str, by: str, note: str | None) -> None:
    """Store a reviewer's decision on tonight's queued item in the case store (by the
    candidate's person key, never the ID); LookupError if not queued or decided before."""
    with _open(db, read_only=True) as warehouse:
        item = warehouse.frame(queued_review_item(review_id))
    if item.is_empty():
        raise LookupError(f"no review item {review_id} in tonight's queue")
    row = item.row(0, named=True)
    secret = pseudonym_key(database_key())
    key = person_keys(pl.Series([row["person_id"]], dtype=pl.String), secret)[0]
    with open_case_store(case_store_location(db)) as store:
        store.record_review(
            {
                "review_id": review_id,
                "source": row["source"],
                "record_key": row["record_key"],
                "person_key": key,
                "decision": decision,
                "decided_by": by,
                "note": note,
            }
        )
