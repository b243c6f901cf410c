"""Validate a night's canonical frames against the Great Expectations suites (数据质量校验).

Why: the connectors accept any file whose header matches; these suites say whether the
*content* is plausible before the findings trust it (status words in the contract's
sets, dates between 1900 and 2100, amounts never negative, most IDs valid). One
GX 1.x `ExpectationSuite` per source lives in ``suites/<source>.json`` so reviewers
read and change the rules as data, not code.

Privacy (PIPL 个人信息保护法): GX never sees a citizen ID, a name or an address.
Each suite only gets the columns it names, prepared here:

- columns whose *values* an expectation checks (status words, dates, amounts,
  ``id_status``) are passed with their values;
- columns the suite only needs to *exist* (``citizen_id_raw``, ``card_no``,
  ``citizen_id``, ``id_clean``, ``name``, ``address``, ``township``…) are passed as a
  constant ``True``; columns it only needs to be non-null as 1 or null;
- ``pension_no``, whose uniqueness is checked, is replaced by its dense rank
  (same duplicates and nulls, no number);
- a private column any other expectation would read is refused (`ValueError`).

On top of that the result format keeps no unexpected values (``SUMMARY`` with
``partial_unexpected_count = 0``, see GX issue #8780), so neither results nor Data Docs
hold a value from the data; failures are reported as short descriptions such as
``"id_status in set: 12.0% unexpected"``. `find_id_like` checks written Data Docs for
anything that looks like an 18-character citizen ID, and `validate_night` refuses to
leave such docs behind.

Performance, measured on a 2-core machine with a 1,000,000-person generated night
(``pensionlink generate --people 1000000 --seed 1``: hukou 1.00M rows, medical enrollment
0.96M, visits 1.27M, resident roster 0.58M, pension payments 5.45M, the other ten
sources 0.52M together):

- first version, the named columns handed to pandas as polars converts them (object
  strings; private ones as ``"*"``/null): 23.7 s, too slow. GX hashes the whole frame
  for its batch markers, copies it for every row filter and runs ``isna`` per
  expectation, all slow on object strings (and on polars' ``datetime64[ms]`` it
  compares dates row by row in Python, failing on date bounds);
- now, only the columns a suite names, ``present`` columns as a constant boolean,
  ``masked`` ones as 1/null, status words as pandas categoricals, dates as
  ``datetime64[ns]``, decimals as floats: **6.9 s** for all 15 sources, every row, no
  sampling (hukou 1.5 s, pension payments 2.0 s, roster 1.0 s, medical enrollment
  0.7 s, visits 0.65 s), fresh context included; 8.1 s with Data Docs (5 MB).
  Sampling or aggregating the largest sources was therefore not needed.
- sample night (21,062 rows): 2.7 s, 3.7 s with Data Docs. Importing GX costs another
  ~6 s once per process.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pensionlink.expectations.offline_docs import localise_site

from pensionlink.offline import go_offline, quiet_gx_loggers

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )


__all__ = [
    "PRIVATE_COLUMNS",
    "RESULT_FORMAT",
    "SUITES_DIR",
    "DocsIncomplete",
    "NightValidator",
    "PrivacyError",
    "find_id_like",
    "load_suite",
    "load_suites",
    "prepared_night",
    "prepared_sources",
    "suite_columns",
    "validate_night",
]

logger = logging.getLogger(__name__)

SUITES_DIR = Path(__file__).with_name("suites")

#: Columns that identify a person: never handed to GX with their values.
PRIVATE_COLUMNS: frozenset[str] = frozenset(
    {"citizen_id_raw", "card_no", "citizen_id", "id_clean", "name", "address"}
)
#: Key columns whose uniqueness may be checked: handed to GX as their dense rank.
PSEUDONYMISED_COLUMNS: frozenset[str] = frozenset({"pension_no"})
#: Expectations that need to know only whether a value is there, not what it is.
_VALUE_FREE: frozenset[str] = frozenset(
    {
        "expect_column_to_exist",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
    }
)
#: Counts and percentages only: no unexpected values in results or Data Docs (GX #8780).
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
}
_DOCS_SITE = "pensionlink"
_DATASOURCE = "pensionlink_night"
#: An 18-character citizen ID (17 digits and a digit or X) not inside a longer number.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z.])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")

# Inside pandas' datetime64[ns] range (1677–2262) and outside any suite's date bounds.
_NS_FLOOR = dt.date(1700, 1, 1)
_NS_CEILING = dt.date(2200, 1, 1)


class PrivacyError(RuntimeError):
    """Generated Data Docs contain something that looks like a citizen ID."""


class DocsIncomplete(RuntimeError):
    """GX could not render or write some Data Docs pages (it logs that and goes on)."""


class _GxErrors(logging.Handler):
    """Counts the errors GX logs while it builds the docs, and keeps them off the console:
    GX writes a whole traceback into the message, which may quote a value."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@contextmanager
def _counting_gx_errors() -> Iterator[_GxErrors]:
    """GX's errors counted by a handler of its own (see `_GxErrors`), its loggers enabled
    for the while (a logging configuration loaded after GX, Prefect's, disables them)."""
    root = logging.getLogger("great_expectations")
    loggers = [root] + [
        logger
        for name, logger in list(logging.root.manager.loggerDict.items())
        if name.startswith("great_expectations.") and isinstance(logger, logging.Logger)
    ]
    disabled, propagate = [logger.disabled for logger in loggers], root.propagate
    errors = _GxErrors()
    root.addHandler(errors)
    root.propagate = False
    for logger in loggers:
        logger.disabled = False
    try:
        yield errors
    finally:
        root.removeHandler(errors)
        root.propagate = propagate
        for logger, was in zip(loggers, disabled, strict=True):
            logger.disabled = was


# --------------------------------------------------------------------------- suites


@cache
def load_suite(source: str) -> dict[str, Any]:
    """The suite of ``source`` as stored (GX 1.x suite JSON: name, expectations, meta)."""
    path = SUITES_DIR / f"{source}.json"
    suite = json.loads(path.read_text(encoding="utf-8"))
    if suite.get("name") != source:
        raise ValueError(f"{path.name}: suite name {suite.get('name')!r} is not {source!r}")
    return suite


def load_suites() -> dict[str, dict[str, Any]]:
    """Every stored suite by source name, in file-name order."""
    return {p.stem: load_suite(p.stem) for p in sorted(SUITES_DIR.glob("*.json"))}


def _condition_columns(condition: Any) -> Iterable[str]:
    """Column names a (new-style, dict) GX row condition reads."""
    if isinstance(condition, dict):
        column = condition.get("column")
        if isinstance(column, dict) and "name" in column:
            yield column["name"]
        for inner in condition.get("conditions", ()):
            yield from _condition_columns(inner)
    elif isinstance(condition, str) and condition:
        raise ValueError("string row conditions are not supported; use the dict form")


def _expectation_columns(kwargs: Mapping[str, Any]) -> list[str]:
    names = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    names += list(kwargs.get("column_list", ()))
    return names


def suite_columns(suite: Mapping[str, Any]) -> dict[str, str]:
    """How each column a suite names reaches GX.

    ``present`` (the suite only asks that it exists: a constant), ``masked`` (only
    whether a value is there: 1 or null), ``ranked`` (a key whose uniqueness is
    checked: its dense rank) or ``values``. Raises `ValueError` when an expectation
    would read the values of a private column.
    """
    reads: dict[str, str] = {}
    order = ("present", "masked", "values")
    for exp in suite["expectations"]:
        kwargs = exp.get("kwargs", {})
        kind = exp["type"]
        need = (
            "present"
            if kind == "expect_column_to_exist"
            else "masked"
            if kind in _VALUE_FREE
            else "values"
        )
        cols = [(c, need) for c in _expectation_columns(kwargs)]
        cols += [(c, "values") for c in _condition_columns(kwargs.get("row_condition"))]
        for col, how in cols:
            reads[col] = max(reads.get(col, "present"), how, key=order.index)
    plan: dict[str, str] = {}
    for col, how in reads.items():
        if how == "values" and col in PSEUDONYMISED_COLUMNS:
            how = "ranked"
        elif how == "values" and col in PRIVATE_COLUMNS:
            raise ValueError(f"suite {suite['name']!r} would read the values of {col!r}")
        plan[col] = how
    return plan


# --------------------------------------------------------------------------- frames


def _prepared(frame: pl.DataFrame, plan: Mapping[str, str]) -> pl.DataFrame:
    """Only the columns the suite names, as `suite_columns` says, in cheap pandas types.

    Fewer, numeric or categorical columns matter: GX hashes the whole frame, copies it
    for every filter and runs ``isna`` per expectation, all slow on object strings.
    """
    exprs: list[pl.Expr] = []
    for col, how in plan.items():
        if col not in frame.columns:
            continue  # expect_column_to_exist reports it
        c = pl.col(col)
        dtype = frame.schema[col]
        if how == "present":
            exprs.append(pl.repeat(True, frame.height, dtype=pl.Boolean).alias(col))
        elif how == "masked":
            exprs.append(pl.when(c.is_null()).then(None).otherwise(pl.lit(1, pl.Int8)).alias(col))
        elif how == "ranked":
            exprs.append(c.rank("dense").alias(col))
        elif isinstance(dtype, pl.Decimal):
            exprs.append(c.cast(pl.Float64))
        elif isinstance(dtype, pl.Date | pl.Datetime):
            # GX compares dates vectorised only on datetime64[ns] (else row by row in
            # Python); clipping keeps dates outside the ns range out of range of the bounds.
            exprs.append(c.clip(_NS_FLOOR, _NS_CEILING).cast(pl.Datetime("ns")))
        elif dtype == pl.String:
            exprs.append(c.cast(pl.Categorical))
        else:
            exprs.append(c)
    return frame.select(exprs)


# --------------------------------------------------------------------------- results


def _bound(value: Any) -> str:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _describe(result: ExpectationValidationResult) -> str:
    """A short description of a failed expectation: what was expected, and how badly.

    Only the suite's own parameters and counts appear, never a value from the data.
    """
    config = result.expectation_config
    kind = config.type
    kw = config.kwargs
    col = kw.get("column", "")
    lo, hi = kw.get("min_value"), kw.get("max_value")
    if kind == "expect_column_to_exist":
        text = f"{col} exists"
    elif kind == "expect_column_values_to_be_in_set":
        text = f"{col} in set"
    elif kind == "expect_column_values_to_not_be_null":
        text = f"{col} not null"
    elif kind == "expect_column_values_to_be_unique":
        text = f"{col} unique"
    elif kind == "expect_table_row_count_to_be_between":
        text = "row count" + (f" ≥ {lo}" if lo is not None else "")
        text += f" ≤ {hi}" if hi is not None else ""
    elif kind == "expect_column_values_to_be_between":
        if lo is not None and hi is not None:
            text = f"{col} between {_bound(lo)} and {_bound(hi)}"
        else:
            text = f"{col} ≥ {_bound(lo)}" if lo is not None else f"{col} ≤ {_bound(hi)}"
    else:
        text = kind.removeprefix("expect_").replace("_", " ")
        if col:
            text = f"{col}: {text}"
    condition = kw.get("row_condition")
    if isinstance(condition, Mapping) and condition.get("type") == "comparison":
        text += (
            f" where {condition['column']['name']} {condition['operator']} {condition['parameter']}"
        )

    info = result.result or {}
    pct = info.get("unexpected_percent")
    raised = _raised(result)
    if raised:
        return f"{text}: not evaluated"
    if pct is not None:
        return f"{text}: {pct:.1f}% unexpected"
    if kind.startswith("expect_table_row_count") and isinstance(info.get("observed_value"), int):
        return f"{text}: observed {info['observed_value']}"
    return text


def _raised(result: ExpectationValidationResult) -> bool:
    info = result.exception_info or {}
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(isinstance(v, Mapping) and v.get("raised_exception") for v in info.values())


# --------------------------------------------------------------------------- GX


@cache
def _great_expectations() -> Any:
    """GX, imported on first use with the machine offline and its loggers quiet."""
    go_offline()
    quiet_gx_loggers()
    import great_expectations as gx

    quiet_gx_loggers()
    return gx


class NightValidator:
    """An ephemeral GX context holding the suites, one dataframe asset per source.

    Building it costs little once GX is imported; reuse one for several nights (the
    tests do) or let `validate_night` make a fresh one per night.
    """

    def __init__(self, suites: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.suites = dict(suites or load_suites())
        self.plans = {name: suite_columns(s) for name, s in self.suites.items()}
        gx = _great_expectations()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        # The ephemeral context comes with a default site in a temporary folder: only
        # the site asked for in `validate` is ever written.
        for site in list(self.context.list_data_docs_sites()):
            self.context.delete_data_docs_site(site)
        datasource = self.context.data_sources.add_pandas(_DATASOURCE)
        self._datasource = datasource
        self._definitions: dict[str, gx.ValidationDefinition] = {}
        for name, stored in self.suites.items():
            suite = gx.ExpectationSuite(
                name=name, expectations=list(stored["expectations"]), meta=dict(stored["meta"])
            )
            if len(suite.expectations) != len(stored["expectations"]):
                raise ValueError(f"suite {name!r}: some expectations are not valid GX 1.x")
            suite = self.context.suites.add(suite)
            batch = datasource.add_dataframe_asset(name=name).add_batch_definition_whole_dataframe(
                "whole"
            )
            self._definitions[name] = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite)
            )

    def run_suite(
        self, source: str, frame: pl.DataFrame, prepared: bool = False
    ) -> ExpectationSuiteValidationResult:
        """The GX result of one source's suite on its frame (`prepared`: as
        `prepared_night` gives it)."""
        data = (frame if prepared else _prepared(frame, self.plans[source])).to_pandas()
        try:
            return self._definitions[source].run(
                batch_parameters={"dataframe": data}, result_format=RESULT_FORMAT
            )
        finally:
            self._forget_batches()

    def _forget_batches(self) -> None:
        """Let go of the dataframes validated: GX's pandas engine keeps every batch's data
        in its batch cache for the context's life (on a million-person night the check's
        process held 0.3 GB of dataframes it was done with until it ended)."""
        batches = self._datasource.get_execution_engine().batch_manager
        batches.batch_data_cache.clear()
        batches.reset_batch_cache()

    def validate(
        self,
        frames: Mapping[str, pl.DataFrame] | Iterable[tuple[str, pl.DataFrame]],
        docs_dir: Path | None = None,
        prepared: bool = False,
    ) -> pl.DataFrame:
        """One row per source validated; see `validate_night`. `frames` may also be
        (source, frame) pairs, each validated and let go before the next is taken (the
        check's process: one source's frame at a time)."""
        rows: list[dict[str, Any]] = []
        pairs = frames.items() if isinstance(frames, Mapping) else frames
        for source, frame in pairs:
            if source not in self._definitions:
                logger.warning("no expectation suite for source %s: not validated", source)
                continue
            started = time.perf_counter()
            result = self.run_suite(source, frame, prepared)
            failures = [_describe(r) for r in result.results if not r.success]
            rows.append(
                {
                    "source": source,
                    "expectations": len(result.results),
                    "failed": len(failures),
                    "success": bool(result.success),
                    "failures": failures,
                }
            )
            logger.info(
                "expectations %s: %d rows, %d/%d failed (%.2f s)",
                source,
                frame.height,
                len(failures),
                len(result.results),
                time.perf_counter() - started,
            )
        if docs_dir is not None:
            self.build_docs(docs_dir)
        return pl.DataFrame(
            rows,
            schema={
                "source": pl.String,
                "expectations": pl.Int64,
                "failed": pl.Int64,
                "success": pl.Boolean,
                "failures": pl.List(pl.String),
            },
        )

    def build_docs(self, docs_dir: Path) -> Path:
        """Write the Data Docs of the suites and every result so far into ``docs_dir``.

        The pages load nothing from the internet (`localise_site`). Returns the site's
        ``index.html``; raises `DocsIncomplete` if GX could not write some page, and
        `PrivacyError` (after deleting the
        offending pages) if any page holds something that looks like a citizen ID.
        """
        docs_dir = Path(docs_dir).resolve()
        docs_dir.mkdir(parents=True, exist_ok=True)
        config = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        if _DOCS_SITE in self.context.list_data_docs_sites():
            self.context.update_data_docs_site(_DOCS_SITE, config)
        else:
            self.context.add_data_docs_site(_DOCS_SITE, config)
        with _counting_gx_errors() as errors:
            self.context.build_data_docs(site_names=[_DOCS_SITE])
        if errors.count:
            raise DocsIncomplete(f"GX could not write {errors.count} Data Docs page(s)")
        localise_site(docs_dir)  # the pages load their scripts and styles from the site
        leaking = find_id_like(docs_dir)
        if leaking:
            for page in leaking:
                page.unlink()
            raise PrivacyError(f"{len(leaking)} Data Docs pages held an ID-like string")
        logger.info("Data Docs written to %s", docs_dir)
        return docs_dir / "index.html"


def find_id_like(docs_dir: Path) -> list[Path]:
    """HTML and JSON files under ``docs_dir`` containing an 18-character ID-like string."""
    hits: list[Path] = []
    for path in sorted(Path(docs_dir).rglob("*")):
        if path.suffix in {".html", ".json"} and _ID_LIKE.search(
            path.read_text(encoding="utf-8", errors="replace")
        ):
            hits.append(path)
    return hits


_NONE = pl.DataFrame()  # a source without a suite: nothing of it goes to GX


def prepared_night(frames: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Each frame with a suite as GX gets it: only the columns the suite names, each as
    `suite_columns` says (no ID, name or address value); a frame without a suite as an
    empty frame (`validate_night` skips it with a warning, and nothing of it is handed
    over)."""
    return dict(prepared_sources(frames))


def prepared_sources(frames: Mapping[str, pl.DataFrame]) -> Iterator[tuple[str, pl.DataFrame]]:
    """`prepared_night`'s frames one source at a time, each prepared when it is asked for."""
    suites = load_suites()
    for source, frame in frames.items():
        yield source, _prepared(frame, suite_columns(suites[source])) if source in suites else _NONE


def validate_night(
    frames: Mapping[str, pl.DataFrame] | Iterable[tuple[str, pl.DataFrame]],
    docs_dir: Path | None = None,
    *,
    validator: NightValidator | None = None,
    prepared: bool = False,
) -> pl.DataFrame:
    """Validate every frame of a night (or each of its (source, frame) pairs) against its
    suite.

    Returns one row per validated source (sources without a suite are skipped with a
    warning): ``source``, ``expectations`` (int), ``failed`` (int), ``success`` (bool),
    ``failures`` (list of short descriptions, no values). With ``docs_dir``, GX Data
    Docs (HTML) are written there. ``validator`` reuses a GX context (else a fresh
    ephemeral one is made, so the docs hold only this night). ``prepared``: the frames
    are `prepared_night`'s.
    """
    return (validator or NightValidator()).validate(frames, docs_dir, prepared)
