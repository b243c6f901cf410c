"""The expectation suites: they load, name only canonical columns, pass on the sample
night, catch a broken frame, and leave no value from the data in results or Data Docs.

GX is slow to import and to set up, so one `NightValidator` is shared by the module.
"""

from __future__ import annotations

import gc
import json
import re
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from pensionlink.connectors import load_specs, read_night, source_names
from pensionlink.connectors.derived import DERIVED
from pensionlink.connectors.identity import IDENTITY_COLUMNS
from pensionlink.expectations import (
    DocsIncomplete,
    NightValidator,
    find_id_like,
    load_suite,
    load_suites,
    suite_columns,
    validate_night,
)

#: A well-formed (check digit correct) but invented citizen ID and a name, planted in the
#: broken frames: neither may appear in any result or page.
PLANTED_ID = "222405199001011236"
PLANTED_NAME = "金香花"


def canonical_columns(source: str) -> set[str]:
    """Columns a connector frame of ``source`` has: delivered, derived, identity, line_no."""
    spec = load_specs()[source]
    columns = {c.column for c in spec.columns} | {"line_no"}
    if source in DERIVED:
        columns |= {e.meta.output_name() for e in DERIVED[source]()}
    if spec.id_column is not None:
        columns |= set(IDENTITY_COLUMNS)
    return columns


def named_columns(suite: dict) -> set[str]:
    names: set[str] = set()
    for exp in suite["expectations"]:
        kwargs = exp["kwargs"]
        names |= {kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs}
        names |= set(kwargs.get("column_list", ()))
        condition = kwargs.get("row_condition")
        if isinstance(condition, dict):
            names.add(condition["column"]["name"])
    return names


@pytest.fixture(scope="module")
def validator() -> NightValidator:
    return NightValidator()


@pytest.fixture(scope="module")
def frames(sample_night: Path) -> dict[str, pl.DataFrame]:
    return read_night(sample_night).frames


@pytest.fixture(scope="module")
def broken(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Sample hukou and roster with a wrong status word, bad IDs, a negative amount."""
    hukou = (
        frames["hukou"]
        .head(100)
        .with_columns(
            hukou_status=pl.when(pl.int_range(pl.len()) == 0)
            .then(pl.lit("活着"))
            .otherwise(pl.col("hukou_status")),
            id_status=pl.when(pl.int_range(pl.len()) < 20)
            .then(pl.lit("invalid"))
            .otherwise(pl.col("id_status")),
            citizen_id_raw=pl.lit(PLANTED_ID),
            citizen_id=pl.lit(PLANTED_ID),
            name=pl.lit(PLANTED_NAME),
        )
    )
    roster = (
        frames["resident_roster"]
        .head(50)
        .with_columns(
            monthly_pension=pl.when(pl.int_range(pl.len()) == 0)
            .then(pl.lit(-5).cast(pl.Decimal(12, 2)))
            .otherwise(pl.col("monthly_pension")),
            pension_no=pl.when(pl.int_range(pl.len()) == 1)
            .then(pl.first("pension_no"))
            .otherwise(pl.col("pension_no")),
            citizen_id_raw=pl.lit(PLANTED_ID),
        )
        .drop("sex")
    )
    return {"hukou": hukou, "resident_roster": roster}


def test_every_source_has_a_suite_naming_only_its_canonical_columns() -> None:
    suites = load_suites()
    assert set(suites) == set(source_names())
    for source in source_names():
        suite = load_suite(source)
        assert suite["name"] == source
        assert suite["meta"]["notes"]["content"], source
        extra = named_columns(suite) - canonical_columns(source)
        assert not extra, f"{source}: not canonical: {extra}"
        existing = {
            e["kwargs"]["column"]
            for e in suite["expectations"]
            if e["type"] == "expect_column_to_exist"
        }
        assert existing == canonical_columns(source), source
        suite_columns(suite)  # no private column is read by value


def test_suites_are_valid_gx(validator: NightValidator) -> None:
    # NightValidator refuses a suite GX would silently shorten
    assert set(validator.suites) == set(source_names())
    for source, suite in validator.suites.items():
        gx_suite = validator.context.suites.get(source)
        assert len(gx_suite.expectations) == len(suite["expectations"])


def test_a_suite_reading_a_name_is_refused() -> None:
    suite = {
        "name": "x",
        "expectations": [
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "name"}}
        ],
    }
    with pytest.raises(ValueError, match="name"):
        suite_columns(suite)


def test_sample_night_passes(validator: NightValidator, frames: dict[str, pl.DataFrame]) -> None:
    report = validate_night(frames, validator=validator)
    assert report["source"].to_list() == list(frames)
    failing = report.filter(~pl.col("success"))
    assert failing.is_empty(), failing.to_dicts()
    counts = dict(zip(report["source"], report["expectations"], strict=True))
    assert counts == {s: len(load_suite(s)["expectations"]) for s in frames}


def test_broken_frames_fail_the_right_expectations_without_values(
    validator: NightValidator, broken: dict[str, pl.DataFrame]
) -> None:
    report = validate_night(broken, validator=validator)
    failures = dict(zip(report["source"], report["failures"].to_list(), strict=True))
    assert not report["success"].any()
    assert sorted(failures["hukou"]) == [
        "hukou_status in set: 1.0% unexpected",
        "id_status in set: 20.0% unexpected",
    ]
    roster = failures["resident_roster"]
    assert "sex exists" in roster
    assert "sex in set: not evaluated" in roster
    assert any(f.startswith("monthly_pension ≥ 0: ") for f in roster), roster
    assert "pension_no unique: 4.0% unexpected" in roster
    text = json.dumps(report.to_dicts(), ensure_ascii=False)
    for value in ("活着", PLANTED_ID, PLANTED_NAME, "-5"):
        assert value not in text

    # the full GX results hold no value from the data either
    for source, frame in broken.items():
        result = json.dumps(validator.run_suite(source, frame).to_json_dict(), ensure_ascii=False)
        for value in ("活着", PLANTED_ID, PLANTED_NAME):
            assert value not in result, source


def test_data_docs_hold_no_id(
    validator: NightValidator, broken: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    validate_night(broken, docs, validator=validator)
    pages = list(docs.rglob("*.html"))
    assert (docs / "index.html").is_file()
    assert any("validations" in p.parts for p in pages)
    assert find_id_like(docs) == []
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert PLANTED_ID not in html and PLANTED_NAME not in html and "活着" not in html

    planted = docs / "planted.html"
    planted.write_text(f"<td>{PLANTED_ID}</td>", encoding="utf-8")
    assert find_id_like(docs) == [planted]


def test_pages_gx_could_not_write_are_an_error_not_a_traceback(
    validator: NightValidator,
    frames: dict[str, pl.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """GX catches a page it cannot write, logs the whole traceback and goes on: the docs
    are incomplete, which is raised, and nothing reaches the console."""
    from great_expectations.data_context.store.tuple_store_backend import (
        TupleFilesystemStoreBackend,
    )

    real = TupleFilesystemStoreBackend._set

    def full_disk(self, key, value, **kwargs):
        if "hukou" in str(key):  # the pages of one suite
            raise OSError(28, "No space left on device")
        return real(self, key, value, **kwargs)

    validate_night(frames, validator=validator)
    monkeypatch.setattr(TupleFilesystemStoreBackend, "_set", full_disk)
    with pytest.raises(DocsIncomplete, match=r"could not write \d+ Data Docs page"):
        validator.build_docs(tmp_path / "docs")
    err = capfd.readouterr().err
    assert "Traceback" not in err and "No space" not in err, err[-2000:]


def test_data_docs_reference_nothing_outside_the_machine(
    validator: NightValidator, frames: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    validate_night(frames, docs, validator=validator)
    pages = sorted(docs.rglob("*.html"))
    assert len(pages) > 2 * len(frames)  # the index, a suite and a result per source
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "http://" not in html and "https://" not in html, page.relative_to(docs)
        for local in re.findall(r'(?:src|href)="([^"#]+\.(?:js|css|png))"', html):
            assert (page.parent / local).is_file(), (page.relative_to(docs), local)


def test_no_dataframe_validated_is_kept(validator, frames):
    """GX's engine keeps each batch's dataframe in its cache; the validator lets it go, so
    the check's process does not hold every source of the night until it ends."""
    hukou = frames["hukou"].head(123)
    assert validator.validate({"hukou": hukou})["success"].all()
    gc.collect()
    kept = [o for o in gc.get_objects() if isinstance(o, pd.DataFrame) and len(o) == 123]
    assert kept == []
