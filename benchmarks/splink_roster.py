"""Benchmark: link the residents' pension roster to the hukou register, ours vs Splink 5.

    .venv/bin/python benchmarks/splink_roster.py --night data/bench/night-1000000-5-1.0
    .venv/bin/python benchmarks/splink_roster.py --sample 100000      # quick try

Each engine runs in its own subprocess (so peak RSS is per engine, read with `os.wait4`);
the parent scores the links against the night's truth and prints a markdown table.

* ours   — `build_spine(hukou)` + `resolve_source(roster, spine, "resident_roster")`.
* splink — Splink 5 (DuckDB), link_only roster↔hukou: comparisons on the ID, the name
  (name_key / pinyin_key), birth date, sex, township, village; u by random sampling,
  m by EM on two blocking rules; predict at match_probability >= threshold, then the
  best hukou candidate (highest match weight) for each roster record.

Wall time is from the loaded frames to the per-record links (reading the CSVs is timed
separately and excluded from both). Splink needs the optional extra:
`pip install -e ".[bench]"` (splink>=5).

A link is right when its person_id equals the truth citizen_id of the roster line
(truth/record_links.csv, source == resident_roster, line_no == file line - 1).
Recall is over all sampled roster records; "recall (on hukou)" only over those whose
true person is on the hukou register (the only ones Splink can link to).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROSTER = "resident_roster"
_COLUMNS = (
    "citizen_id",
    "id_clean",
    "name_key",
    "pinyin_key",
    "sex",
    "birth_date",
    "township",
    "village",
)


# --------------------------------------------------------------------------- workers


def _read(night: Path, sample: int | None, seed: int) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    from pensionlink.connectors import read_source

    t0 = time.perf_counter()
    hukou = read_source("hukou", night).frame
    roster = read_source(ROSTER, night).frame
    if sample is not None and sample < roster.height:
        roster = roster.sample(n=sample, seed=seed).sort("line_no")
    return hukou, roster, time.perf_counter() - t0


def _run_ours(hukou: pl.DataFrame, roster: pl.DataFrame, out: Path) -> dict:
    from pensionlink.matching.link import build_spine, resolve_source

    t0 = time.perf_counter()
    spine = build_spine(hukou)
    linked, queue = resolve_source(roster, spine, ROSTER)
    seconds = time.perf_counter() - t0
    linked.select("line_no", "person_id", "link_method").write_parquet(out)
    return {"seconds": seconds, "queue": queue.height}


def _splink_settings(threshold_jw: float = 0.9):
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    comparisons = [
        cl.CustomComparison(
            output_column_name="citizen_id",
            comparison_levels=[
                cll.NullLevel("id_clean"),
                cll.ExactMatchLevel("citizen_id"),
                cll.DamerauLevenshteinLevel("id_clean", 1),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="name",
            comparison_levels=[
                cll.NullLevel("pinyin_key"),
                cll.ExactMatchLevel("name_key", term_frequency_adjustments=True),
                cll.ExactMatchLevel("pinyin_key"),
                cll.JaroWinklerLevel("pinyin_key", threshold_jw),
                cll.ElseLevel(),
            ],
        ),
        cl.DateOfBirthComparison("birth_date", input_is_string=False),
        cl.ExactMatch("sex"),
        cl.ExactMatch("township"),
        cl.ExactMatch("village"),
    ]
    blocking = [
        block_on("id_clean"),
        block_on("birth_date"),
        block_on("pinyin_key", "sex"),
    ]
    return SettingsCreator(
        link_type="link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def _run_splink(
    hukou: pl.DataFrame, roster: pl.DataFrame, out: Path, threshold: float, em_max_pairs: float
) -> dict:
    from pensionlink.matching.names import add_name_keys
    from splink import DuckDBAPI, Linker, block_on

    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    # Same candidate people as our spine: hukou records with an ID, one per ID.
    people = hukou.filter(pl.col("citizen_id").is_not_null()).unique(
        "citizen_id", keep="first", maintain_order=True
    )
    people = add_name_keys(people).select(pl.col("line_no").alias("unique_id"), *_COLUMNS)
    records = add_name_keys(roster).select(pl.col("line_no").alias("unique_id"), *_COLUMNS)

    db_api = DuckDBAPI()
    sdf_roster = db_api.register(records.to_arrow(), dataset_display_name="roster")
    sdf_hukou = db_api.register(people.to_arrow(), dataset_display_name="hukou")
    linker = Linker([sdf_roster, sdf_hukou], _splink_settings(), log_level=logging.WARNING)
    stages["prepare"] = time.perf_counter() - t0

    t = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("citizen_id", "name_key")], recall=0.9
    )
    stages["train_prior"] = time.perf_counter() - t
    t = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    stages["train_u"] = time.perf_counter() - t
    for name, rule in (("id", block_on("id_clean")), ("birth_date", block_on("birth_date"))):
        t = time.perf_counter()
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=em_max_pairs
        )
        stages[f"train_em_{name}"] = time.perf_counter() - t

    t = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    pairs = pl.from_arrow(predictions.as_pyarrow_table())
    stages["predict"] = time.perf_counter() - t

    t = time.perf_counter()
    left_is_roster = pl.col("source_dataset_l") == "roster"
    pairs = pairs.select(
        line_no=pl.when(left_is_roster).then("unique_id_l").otherwise("unique_id_r"),
        hukou_line=pl.when(left_is_roster).then("unique_id_r").otherwise("unique_id_l"),
        match_weight="match_weight",
        match_probability="match_probability",
    )
    # match_probability saturates at 1.0; rank on the match weight.
    best = pairs.sort("match_weight", descending=True).unique(
        "line_no", keep="first", maintain_order=True
    )
    ids = people.select(hukou_line="unique_id", person_id="citizen_id")
    best = best.join(ids, on="hukou_line", how="left")
    links = roster.select("line_no").join(
        best.select("line_no", "person_id", "match_weight"), on="line_no", how="left"
    )
    stages["best"] = time.perf_counter() - t
    seconds = time.perf_counter() - t0
    links.write_parquet(out)
    model = out.with_suffix(".model.json")
    linker.misc.save_model_to_json(str(model), overwrite=True)
    return {
        "seconds": seconds,
        "stages": stages,
        "pairs_above_threshold": pairs.height,
        "records_with_several_candidates": int(
            pairs.group_by("line_no").len().filter(pl.col("len") > 1).height
        ),
        "model": str(model),
    }


def worker(args: argparse.Namespace) -> None:
    hukou, roster, read_seconds = _read(args.night, args.sample, args.seed)
    out = args.out / f"{args.worker}.parquet"
    if args.worker == "ours":
        info = _run_ours(hukou, roster, out)
    else:
        info = _run_splink(hukou, roster, out, args.threshold, args.em_max_pairs)
    info["read_seconds"] = read_seconds
    info["roster_rows"] = roster.height
    (args.out / f"{args.worker}.json").write_text(json.dumps(info, indent=2))


# --------------------------------------------------------------------------- parent


def _launch(engine: str, args: argparse.Namespace, out: Path) -> tuple[int, float, float]:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        engine,
        "--night",
        str(args.night),
        "--out",
        str(out),
        "--seed",
        str(args.seed),
        "--threshold",
        str(args.threshold),
        "--em-max-pairs",
        str(args.em_max_pairs),
    ]
    if args.sample is not None:
        cmd += ["--sample", str(args.sample)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - t0, usage.ru_maxrss / 1024  # KiB -> MiB


def _score(links: pl.DataFrame, truth: pl.DataFrame, on_hukou: pl.Series) -> dict:
    df = links.join(truth, on="line_no", how="left")
    linked = pl.col("person_id").is_not_null()
    right = linked & (pl.col("person_id") == pl.col("truth_id"))
    reachable = pl.col("truth_id").is_in(on_hukou.implode())
    s = df.select(
        n=pl.len(),
        links=linked.sum(),
        right=right.sum(),
        truth=pl.col("truth_id").is_not_null().sum(),
        reachable=reachable.sum(),
        right_reachable=(right & reachable).sum(),
    ).row(0, named=True)
    s["precision"] = s["right"] / s["links"] if s["links"] else float("nan")
    s["recall"] = s["right"] / s["truth"] if s["truth"] else float("nan")
    s["recall_hukou"] = s["right_reachable"] / s["reachable"] if s["reachable"] else float("nan")
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--night", type=Path, default=Path("data/bench/night-1000000-5-1.0"))
    parser.add_argument("--sample", type=int, default=None, help="roster rows (random, seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.99)
    parser.add_argument("--em-max-pairs", type=float, default=1e6)
    parser.add_argument("--engines", default="ours,splink")
    parser.add_argument("--out", type=Path, default=None, help="work folder (default: temp)")
    parser.add_argument("--worker", choices=["ours", "splink"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    logging.basicConfig(level=logging.WARNING)
    out = args.out or Path(tempfile.mkdtemp(prefix="splink_roster_"))
    out.mkdir(parents=True, exist_ok=True)

    truth_all = pl.read_csv(
        args.night / "truth" / "record_links.csv", schema_overrides={"citizen_id": pl.String}
    )
    truth = truth_all.filter(pl.col("source") == ROSTER).select(
        line_no=pl.col("line_no") + 1, truth_id="citizen_id"
    )
    on_hukou = truth_all.filter(pl.col("source") == "hukou")["citizen_id"].drop_nulls().unique()
    del truth_all

    rows = []
    for engine in args.engines.split(","):
        code, process_s, rss = _launch(engine, args, out)
        if code != 0:
            print(f"{engine}: worker failed with exit code {code}", file=sys.stderr)
            continue
        info = json.loads((out / f"{engine}.json").read_text())
        links = pl.read_parquet(out / f"{engine}.parquet")
        s = _score(links, truth, on_hukou)
        info["process_seconds"] = process_s
        rows.append((engine, info, rss, s))
        print(f"\n{engine}: {json.dumps(info)}")
        if engine == "ours":
            by_method = (
                links.join(truth, on="line_no", how="left")
                .group_by("link_method")
                .agg(n=pl.len(), right=(pl.col("person_id") == pl.col("truth_id")).sum())
                .sort("n", descending=True)
            )
            print(by_method)

    n = rows[0][3]["n"] if rows else 0
    print(f"\nroster records: {n:,}  (night {args.night}, sample {args.sample or 'all'})\n")
    print(
        "| engine | wall s (link) | read s | process s | peak RSS MiB | links | wrong "
        "| precision | recall | recall (on hukou) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for engine, info, rss, s in rows:
        print(
            f"| {engine} | {info['seconds']:.1f} | {info['read_seconds']:.1f} "
            f"| {info['process_seconds']:.1f} | {rss:,.0f} "
            f"| {s['links']:,} | {s['links'] - s['right']:,} | {s['precision']:.4f} "
            f"| {s['recall']:.4f} "
            f"| {s['recall_hukou']:.4f} |"
        )
    print(f"\nwork folder: {out}")


if __name__ == "__main__":
    main()
