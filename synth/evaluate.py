"""Score a published night against a generated night's truth (准确率评估).

Precision and recall per finding, the number of living people confirmed dead (must be
zero), the share of true deaths confirmed rather than sent to review, and how many
confirmed settlements are exact to the fen. Since issue 13 also: deceased people (by any
source, the roster's own termination included) listed as uninsured (must be zero),
coverage per village against the truth, contradictory status histories confirmed or
clawed back from (must be zero), and the agency disagreements against their truth (when
the database has the table). Truth files a night may lack (nights generated before
issue 13) are skipped.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pensionlink.synth.patterns import DISAGREEMENT_KINDS

from pensionlink.vocabulary import MONEY
from pensionlink.warehouse.queries import evaluation_rows, has_column, has_table
from pensionlink.warehouse.store import Warehouse, open_warehouse

__all__ = ["evaluate_night", "format_report"]

_SETTLEMENT = ("overpaid_amount", "funeral_subsidy", "net_to_heirs", "to_recover")


def _truth(night: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(night / "truth" / f"{name}.csv", infer_schema=False)


def _truth_ids(night: Path, name: str, where: pl.Expr | None = None) -> set | None:
    """citizen_id of a truth file's rows (`where` holds), or None if the night lacks it."""
    if not (night / "truth" / f"{name}.csv").exists():
        return None
    frame = _truth(night, name)
    return set((frame if where is None else frame.filter(where))["citizen_id"].to_list())


def _published(db: Warehouse, table: str, *columns: str) -> pl.DataFrame:
    """Columns of a live table of the published night."""
    return db.frame(evaluation_rows(table, columns))


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
    night = Path(night)
    with open_warehouse(Path(db), read_only=True) as warehouse:  # decrypted once
        return {
            "deaths_to_deregister": _deaths(night, warehouse),
            "uninsured_eligible": _uninsured(night, warehouse),
            "coverage_by_area": _coverage(night, warehouse),
            "duplicate_funeral_benefits": _funeral(night, warehouse),
            "agency_disagreements": _disagreements(night, warehouse),
            "person_links": _links(night, warehouse),
        }


def _links(night: Path, db: Warehouse) -> dict:
    """Links against the true person of every record (truth counts data rows from 1)."""
    path = night / "truth" / "record_links.csv"
    if not path.exists():
        return {}
    truth = pl.read_csv(path, schema_overrides={"line_no": pl.Int64}, infer_schema=False).select(
        "source", (pl.col("line_no").cast(pl.Int64) + 1).alias("line_no"), "citizen_id"
    )
    links = _published(db, "person_links", "source", "line_no", "person_id", "link_method")
    queued = _published(db, "review_queue", "count(*) AS n")["n"][0]
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
        pl.col(c).cast(pl.String).str.strip_chars().replace("", None).cast(MONEY) for c in columns
    )


def _deaths(night: Path, db: Warehouse) -> dict:
    truth = _truth(night, "deaths_to_deregister")
    dead = truth.filter(pl.col("truly_dead").str.to_lowercase() == "true")
    living = set(_truth(night, "never_confirm_dead")["citizen_id"].to_list())
    pred = _published(
        db,
        "deaths_to_deregister",
        "citizen_id",
        "decision",
        *(f"CAST({c} AS VARCHAR) AS {c}" for c in _SETTLEMENT),
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
    # Deaths whose history contradicts itself must go to review (issue 13); deaths whose
    # reports give dates further apart than the policy's window go there too, unless the
    # far-off report could not be linked. Neither is counted as confirmable.
    must_review = dead_ids & (
        _truth_ids(night, "contradictory_histories", pl.col("death_case") == "true") or set()
    )
    conflicting = _truth_ids(night, "deceased", pl.col("dates_conflict") == "true") or set()
    confirmable = dead_ids - must_review - conflicting
    return {
        **_pr(found, set(truth["citizen_id"].to_list())),
        "recall_of_true_deaths": _ratio(len(found & dead_ids), len(dead_ids)),
        "confirmed": len(confirmed),
        "confirmed_precision": _ratio(len(confirmed & dead_ids), len(confirmed)),
        "living_confirmed": len(confirmed & living),
        "confirmed_share": _ratio(len(confirmed & dead_ids), len(found & dead_ids)),
        "true_deaths": len(dead_ids),
        "true_deaths_confirmed": _ratio(len(confirmed & dead_ids), len(dead_ids)),
        "must_review": len(must_review),
        "must_review_confirmed": len(confirmed & must_review),
        "dates_conflict": len(dead_ids & conflicting),
        "confirmable": len(confirmable),
        "confirmable_confirmed_n": len(confirmed & confirmable),
        "confirmable_confirmed": _ratio(len(confirmed & confirmable), len(confirmable)),
        "settlement_exact": _ratio(int(exact.sum()), exact.len()),
    }


def _uninsured(night: Path, db: Warehouse) -> dict:
    truth = _truth(night, "uninsured_eligible")
    pred = _published(db, "uninsured_eligible", "citizen_id", "category")
    both = pred.join(truth.select("citizen_id", "category"), on="citizen_id", suffix="_true")
    agree = both.filter(pl.col("category") == pl.col("category_true")).height
    listed = set(pred["citizen_id"].to_list())
    deceased = _truth_ids(night, "deceased")
    roster_only = _truth_ids(night, "deceased", pl.col("roster_only") == "true")
    return {
        **_pr(listed, set(truth["citizen_id"].to_list())),
        "category_agreement": _ratio(agree, both.height),
        "deceased_listed": None if deceased is None else len(listed & deceased),
        "roster_only_dead_listed": None if roster_only is None else len(listed & roster_only),
    }


_COVERAGE = ("residents_16_plus", "insured", "uninsured_eligible")


def _coverage(night: Path, db: Warehouse) -> dict:
    """Villages whose three counts equal the truth's, and the night's totals."""
    truth = _truth(night, "coverage_by_area").with_columns(pl.col(_COVERAGE).cast(pl.Int64))
    pred = _published(db, "coverage_by_area", "township", "village", *_COVERAGE).with_columns(
        pl.col(_COVERAGE).cast(pl.Int64)
    )
    both = truth.join(pred, on=["township", "village"], how="left", suffix="_pred")
    exact = both.select(
        pl.all_horizontal((pl.col(c) == pl.col(f"{c}_pred")).fill_null(False) for c in _COVERAGE)
    ).to_series()
    return {
        "areas": truth.height,
        "areas_exact": _ratio(int(exact.sum()), truth.height),
        **{f"{c}_published": int(pred[c].sum()) for c in _COVERAGE},
        **{f"{c}_expected": int(truth[c].sum()) for c in _COVERAGE},
    }


def _funeral(night: Path, db: Warehouse) -> dict:
    """Asserted rows only: rows left for review (`decision = 'review'`, issue 13) claw
    nothing back and are counted apart."""
    truth = _truth(night, "duplicate_funeral_benefits")
    decided = db.frame(has_column("duplicate_funeral_benefits", "decision"))["n"][0]
    pred = _published(
        db,
        "duplicate_funeral_benefits",
        "citizen_id",
        "kind",
        "CAST(amount_to_recover AS VARCHAR) amount_to_recover",
        "decision" if decided else "'confirmed' AS decision",
    )
    review = pred.filter(pl.col("decision") == "review")
    pred = pred.filter(pl.col("decision") != "review")
    keys = ["citizen_id", "kind"]
    both = _money(pred, ["amount_to_recover"]).join(
        _money(truth, ["amount_to_recover"]), on=keys, suffix="_true"
    )
    agree = both.filter(pl.col("amount_to_recover") == pl.col("amount_to_recover_true")).height
    broken = _truth_ids(night, "contradictory_histories")
    suspended = set(pred.filter(pl.col("kind") == "ineligible_suspended")["citizen_id"].to_list())
    return {
        **_pr(set(pred.select(keys).iter_rows()), set(truth.select(keys).iter_rows())),
        "amount_exact": _ratio(agree, both.height),
        "review_rows": review.height,
        "contradictory_clawed_back": None if broken is None else len(suspended & broken),
    }


def _disagreements(night: Path, db: Warehouse) -> dict:
    """Over the kinds the truth knows (`synth.patterns.DISAGREEMENT_KINDS`), and per kind
    seen: precision and recall of (person, kind); rows of other kinds are counted."""
    if not (night / "truth" / "agency_disagreements.csv").exists():
        return {"skipped": "no truth/agency_disagreements.csv"}
    if not db.frame(has_table("agency_disagreements"))["n"][0]:
        return {"skipped": "no agency_disagreements table"}
    truth = _truth(night, "agency_disagreements").select("citizen_id", "kind")
    pred = _published(db, "agency_disagreements", "citizen_id", "kind")
    known = pred.filter(pl.col("kind").is_in(DISAGREEMENT_KINDS))
    out = {
        **_pr(set(known.iter_rows()), set(truth.iter_rows())),
        "other_kinds_rows": pred.height - known.height,
    }
    for kind in sorted(set(truth["kind"].to_list()) | set(known["kind"].to_list())):
        scored = _pr(
            set(known.filter(pl.col("kind") == kind)["citizen_id"].to_list()),
            set(truth.filter(pl.col("kind") == kind)["citizen_id"].to_list()),
        )
        out |= {f"{kind}.{k}": v for k, v in scored.items() if k in ("precision", "recall")}
    return out


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
            lines.append(f"  {key:<40} {shown}")
    return "\n".join(lines)
