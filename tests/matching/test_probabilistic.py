"""The Fellegi–Sunter pass on tiny hand-made frames (priors: too few pairs for EM)."""

import logging
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from pensionlink.matching.names import add_name_keys
from pensionlink.matching.probabilistic import (
    MAX_CANDIDATES,
    candidate_pairs,
    compare,
    estimate,
    probabilistic_pass,
    resolve,
    score,
)

SPINE_ROWS = [
    # person_id, name, sex, birth_date
    ("222405195103120021", "金香华", "女", date(1951, 3, 12)),
    ("222405194807150013", "李瑞", "男", date(1948, 7, 15)),
    ("222405194807150030", "李瑞", "男", date(1948, 7, 15)),  # namesake, same birthday
    ("222405196002280017", "朴成浩", "男", date(1960, 2, 28)),
    ("222405195509090024", "王秀英", "女", date(1955, 9, 9)),
    ("222405195103120048", "崔明玉", "女", date(1951, 3, 12)),
]


def _spine() -> pl.DataFrame:
    frame = pl.DataFrame(
        SPINE_ROWS, schema=["person_id", "name", "sex", "birth_date"], orient="row"
    ).with_columns(death_date=pl.lit(None, pl.Date), hukou_status=pl.lit("在册"))
    return add_name_keys(frame).drop("name")


def _records(rows: list[tuple]) -> pl.DataFrame:
    frame = pl.DataFrame(
        rows,
        schema={"name": pl.String, "sex": pl.String, "birth_date": pl.Date, "id_clean": pl.String},
        orient="row",
    ).with_row_index("_row")
    return add_name_keys(frame)


def _one(result: pl.DataFrame, row: int) -> dict:
    return result.filter(pl.col("_row") == row).row(0, named=True)


def test_mangled_id_links_on_name_sex_birth_date():
    records = _records([("朴成浩", "男", date(1960, 2, 28), "22240519600228991X")])
    out = _one(probabilistic_pass(records, _spine()), 0)
    assert out["decision"] == "link"
    assert out["person_id"] == "222405196002280017"
    assert out["probability"] >= 0.99
    assert "姓名相同" in out["reason"]


def test_namesakes_with_same_birth_date_and_sex_go_to_review_never_link():
    records = _records([("李 瑞", "男", date(1948, 7, 15), None)])
    out = _one(probabilistic_pass(records, _spine()), 0)
    assert out["decision"] == "review"
    assert out["person_id"] in {"222405194807150013", "222405194807150030"}
    assert out["runner_up"] == pytest.approx(out["probability"])
    assert "人工区分" in out["reason"]


def test_homophone_name_and_swapped_day_month_still_score_high():
    records = _records([("金香花", "女", date(1951, 12, 3), None)])
    pairs = candidate_pairs(records, _spine())
    features = compare(pairs)
    scored = score(pairs, features, estimate(features))
    best = scored.sort("weight", descending=True).row(0, named=True)
    assert best["person_id"] == "222405195103120021"
    assert best["probability"] >= 0.9
    levels = {e["level"] for e in best["explanation"]}
    assert {"pinyin_exact", "birth_swapped_day_month", "sex_equal"} <= levels
    decided = _one(resolve(scored), 0)
    assert decided["decision"] in {"link", "review"}
    assert decided["person_id"] == "222405195103120021"


def test_clearly_different_person_is_none():
    # shares only a birth date (and sex) with 金香华 and 崔明玉
    records = _records([("赵建国", "女", date(1951, 3, 12), None)])
    out = _one(probabilistic_pass(records, _spine()), 0)
    assert out["decision"] == "none"
    assert out["person_id"] is None


def test_record_without_candidates_is_none():
    records = _records([("欧阳娜娜", "女", date(2001, 1, 1), None)])
    out = probabilistic_pass(records, _spine())
    assert out.height == 1
    assert out.row(0, named=True)["decision"] == "none"
    assert out.row(0, named=True)["candidates"] == 0


def test_blocking_is_bounded_not_a_cross_join():
    n = 400  # one birth date shared by everybody: the birth-date block is huge
    spine = pl.DataFrame(
        {
            "person_id": [f"2224051970010{i:05d}" for i in range(n)],
            "name_key": [f"张{i}" for i in range(n)],
            "pinyin_key": [f"zhang x{i}" for i in range(n)],
            "sex": ["男"] * n,
            "birth_date": [date(1970, 1, 1)] * n,
            "death_date": pl.Series([None] * n, dtype=pl.Date),
        }
    )
    records = pl.DataFrame(
        {
            "_row": pl.Series([0, 1, 2], dtype=pl.UInt32),
            "name_key": ["张7", "刘明", "陈刚"],
            "pinyin_key": ["zhang x7", "liu ming", "chen gang"],
            "sex": ["男", "女", "男"],
            "birth_date": [date(1970, 1, 1), date(1980, 5, 5), None],
        }
    )
    pairs = candidate_pairs(records, spine)
    assert pairs.height <= MAX_CANDIDATES  # only record 0 has candidates, capped
    assert set(pairs["_row"]) == {0}
    assert "2224051970010" + "00007" in set(pairs["person_id"])  # closest name kept


def test_estimation_falls_back_to_priors_on_small_input():
    records = _records([("朴成浩", "男", date(1960, 2, 28), None)])
    features = compare(candidate_pairs(records, _spine()))
    model = estimate(features)
    assert model.method == "priors"
    weights = model.weights()
    exact = weights.filter(pl.col("level") == "name_exact").row(0, named=True)
    assert exact["m"] > exact["u"] and exact["weight"] > 0
    assert 0 < model.prior < 1


def test_estimation_uses_em_when_the_night_is_large_enough():
    # 300 records, each with its true mate and 3 blocked strangers (seeded noise)
    rng = np.random.default_rng(7)
    rows = []
    for r in range(300):
        name, birth = int(rng.random() < 0.95), int(rng.random() < 0.93)
        sex = int(rng.random() < 0.99)
        rows.append((r, f"t{r}", name, 0, 1 - name, birth, 0, 0, 1 - birth, sex))
        for k in range(3):
            jw = int(rng.random() < 0.05)
            birth = int(rng.random() < 0.4)
            year = int(not birth and rng.random() < 0.5)
            sex = int(rng.random() < 0.5)
            rows.append((r, f"f{r}-{k}", 0, 0, jw, birth, 0, 0, year, sex))
    cols = [
        "_row",
        "person_id",
        "name_exact",
        "pinyin_exact",
        "pinyin_jw",
        "birth_exact",
        "birth_swapped_day_month",
        "birth_off_by_one_day",
        "birth_year_equal",
        "sex_equal",
    ]
    features = pl.DataFrame(rows, schema=cols, orient="row").with_columns(
        pl.col(c).cast(pl.Int8) for c in cols[2:]
    )
    model = estimate(features)
    assert model.method == "ecm"
    assert model.m["name_exact"] > 10 * model.u["name_exact"]
    assert model.m["birth_exact"] > model.u["birth_exact"]
    decided = resolve(score(features, features, model))
    # with only name/birth/sex, most records get a decision and never a stranger
    best = decided.filter(pl.col("decision") != "none")["person_id"]
    assert best.len() >= 0.8 * 300
    assert best.str.starts_with("t").all()
    linked = decided.filter(pl.col("decision") == "link")
    assert linked["person_id"].str.starts_with("t").all()  # no stranger linked


def test_reviewers_decisions_refine_the_weights():
    from pensionlink.matching.probabilistic import Model, refine

    model = Model(
        groups={"name": ("name_exact",), "sex": ("sex_equal",)},
        m={"name_exact": 0.7, "sex_equal": 0.9},
        u={"name_exact": 0.1, "sex_equal": 0.5},
        prior=0.01,
    )
    accepted = pl.DataFrame({"name_exact": [1] * 50, "sex_equal": [1] * 50})
    rejected = pl.DataFrame({"name_exact": [1] * 50, "sex_equal": [0] * 50})
    better = refine(model, accepted, rejected, strength=50)
    # m: (0.7·50 + 50) / 100 = 0.85; u: (0.1·50 + 50) / 100 = 0.55 for names
    assert better.m["name_exact"] == pytest.approx(0.85)
    assert better.u["name_exact"] == pytest.approx(0.55)
    assert better.u["sex_equal"] == pytest.approx(0.25)
    assert better.level_weight("sex_equal") > model.level_weight("sex_equal")
    assert refine(model, accepted.clear(), rejected.clear()) is model


def test_recordlinkage_is_quiet_only_during_the_fit(caplog):
    import recordlinkage
    from pensionlink.matching.estimation import _recordlinkage_quiet

    def from_recordlinkage(message: str) -> logging.LogRecord:  # as its EM module logs
        path = str(Path(recordlinkage.__file__).parent / "algorithms" / "nb_sklearn.py")
        return logging.LogRecord("root", logging.INFO, path, 1, message, None, None)

    with caplog.at_level(logging.INFO):
        with _recordlinkage_quiet():
            logging.getLogger("recordlinkage").info("rl progress")
            logging.getLogger().handle(from_recordlinkage("rl root progress"))
            logging.getLogger("pensionlink").info("ours, kept")
            logging.info("root, kept")
        logging.getLogger("recordlinkage").info("rl after")
        logging.getLogger().handle(from_recordlinkage("rl root after"))
    assert caplog.messages == ["ours, kept", "root, kept", "rl after", "rl root after"]
