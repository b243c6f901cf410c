"""Score a published night against a generated night's truth (准确率评估).

Precision and recall per finding, the number of living people confirmed dead (must be
zero), the share of true deaths confirmed rather than sent to review, and how many
confirmed settlements are exact to the fen.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pensionlink.store import connect_database

__all__ = ["evaluate_night", "format_report"]

_SETTLEMENT = ("overpaid_amount", "funeral_subsidy", "net_to_heirs", "to_recover")


def _truth(night: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(night / "truth" / f"{name}.csv", infer_schema=False)


def _published(db: Path, query: str) -> pl.DataFrame:
    con = connect_database(db)
    try:
        return con.execute(query).pl()
    finally:
        con.close()


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


def _pr(predicted: set, expected: set) -> dict:
    hit = len(predicted & expected)
    return {
        "predicted": len(predicted),
        "expected": len(expected),
        "precision": _ratio(hit, len(predicted)),
        "recall": _ratio(hit, len(expected)),
    }


def evaluate_night(night: Path, db: Path) -> dict[str, dict]:
    """Compare the latest published findings in `db` with `night/truth/`."""
    night, db = Path(night), Path(db)
    return {
        "deaths_to_deregister": _deaths(night, db),
        "uninsured_eligible": _uninsured(night, db),
        "duplicate_funeral_benefits": _funeral(night, db),
        "person_links": _links(night, db),
    }


def _links(night: Path, db: Path) -> dict:
    """Links against the true person of every record (truth counts data rows from 1)."""
    path = night / "truth" / "record_links.csv"
    if not path.exists():
        return {}
    truth = pl.read_csv(path, schema_overrides={"line_no": pl.Int64}, infer_schema=False).select(
        "source", (pl.col("line_no").cast(pl.Int64) + 1).alias("line_no"), "citizen_id"
    )
    links = _published(db, "SELECT source, line_no, person_id, link_method FROM person_links")
    queued = _published(db, "SELECT count(*) AS n FROM review_queue")["n"][0]
    both = links.filter(pl.col("source") != "hukou").join(
        truth, on=["source", "line_no"], how="inner"
    )
    made = both.filter(pl.col("person_id").is_not_null())
    right = made.filter(pl.col("person_id") == pl.col("citizen_id")).height
    return {
        "records": both.height,
        "linked": made.height,
        "precision": _ratio(right, made.height),
        "recall": _ratio(right, both.height),
        "review_share": _ratio(int(queued), both.height),
        "wrong_links": made.height - right,
    }


def _money(frame: pl.DataFrame, columns) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(c).cast(pl.String).str.strip_chars().replace("", None).cast(pl.Decimal(12, 2))
        for c in columns
    )


def _deaths(night: Path, db: Path) -> dict:
    truth = _truth(night, "deaths_to_deregister")
    dead = truth.filter(pl.col("truly_dead").str.to_lowercase() == "true")
    living = set(_truth(night, "never_confirm_dead")["citizen_id"].to_list())
    pred = _published(
        db,
        "SELECT citizen_id, decision, "
        + ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in _SETTLEMENT)
        + " FROM deaths_to_deregister",
    )
    found = set(pred["citizen_id"].to_list())
    confirmed = set(pred.filter(pl.col("decision") == "confirmed")["citizen_id"].to_list())
    dead_ids = set(dead["citizen_id"].to_list())
    exact = (
        _money(pred.filter(pl.col("decision") == "confirmed"), _SETTLEMENT)
        .join(_money(dead, _SETTLEMENT), on="citizen_id", suffix="_true")
        .select(pl.all_horizontal(pl.col(c) == pl.col(f"{c}_true") for c in _SETTLEMENT))
        .to_series()
    )
    return {
        **_pr(found, set(truth["citizen_id"].to_list())),
        "recall_of_true_deaths": _ratio(len(found & dead_ids), len(dead_ids)),
        "confirmed": len(confirmed),
        "confirmed_precision": _ratio(len(confirmed & dead_ids), len(confirmed)),
        "living_confirmed": len(confirmed & living),
        "confirmed_share": _ratio(len(confirmed & dead_ids), len(found & dead_ids)),
        "settlement_exact": _ratio(int(exact.sum()), exact.len()),
    }


def _uninsured(night: Path, db: Path) -> dict:
    truth = _truth(night, "uninsured_eligible")
    pred = _published(db, "SELECT citizen_id, category FROM uninsured_eligible")
    both = pred.join(truth.select("citizen_id", "category"), on="citizen_id", suffix="_true")
    agree = both.filter(pl.col("category") == pl.col("category_true")).height
    return {
        **_pr(set(pred["citizen_id"].to_list()), set(truth["citizen_id"].to_list())),
        "category_agreement": _ratio(agree, both.height),
    }


def _funeral(night: Path, db: Path) -> dict:
    truth = _truth(night, "duplicate_funeral_benefits")
    pred = _published(
        db,
        "SELECT citizen_id, kind, CAST(amount_to_recover AS VARCHAR) amount_to_recover "
        "FROM duplicate_funeral_benefits",
    )
    keys = ["citizen_id", "kind"]
    both = _money(pred, ["amount_to_recover"]).join(
        _money(truth, ["amount_to_recover"]), on=keys, suffix="_true"
    )
    agree = both.filter(pl.col("amount_to_recover") == pl.col("amount_to_recover_true")).height
    return {
        **_pr(set(pred.select(keys).iter_rows()), set(truth.select(keys).iter_rows())),
        "amount_exact": _ratio(agree, both.height),
    }


def format_report(report: dict[str, dict]) -> str:
    """A short plain-text table, one finding per block."""
    lines = []
    for finding, metrics in report.items():
        lines.append(finding)
        for key, value in metrics.items():
            shown = (
                "n/a"
                if value is None
                else (f"{value:.4f}" if isinstance(value, float) else str(value))
            )
            lines.append(f"  {key:<24} {shown}")
    return "\n".join(lines)
