"""The nightly flow (夜间比对): read → check → link → find → cases → publish → report.

It reads like the pipeline's table of contents; the work is in plain functions
(`connectors.read_night`, `matching.link_night`, `findings.night_findings`,
`pensionlink.warehouse.store`) that tests call without Prefect. Only the I/O tasks retry.
The check runs beside linkage and findings (in the flow, GX in a process of its own:
`expectations.check_process`), the analysts' copy beside the reports.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import duckdb
import polars as pl
from pensionlink.connectors import NightExtract, SourceRejected, read_night, source_names
from pensionlink.connectors.delivery_guard import DeliveryGuard
from pensionlink.expectations.check_process import CheckHere, CheckProcess
from pensionlink.findings import night_findings, source_quality
from pensionlink.findings.withheld import REVIEW_QUEUE, WITHHELD
from pensionlink.flows.cluster import partitioned_stages
from pensionlink.matching import link_night
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pensionlink.cases.decisions import apply_case_decisions
from pensionlink.cases.keys import PersonKeys
from pensionlink.cases.night import (
    decisions_mark,
    review_decisions,
    staff_decisions,
    write_night_cases,
)
from pensionlink.failures import PERMANENT_ERRNOS, errno_of, error_text, note_stage
from pensionlink.reports import ReportFiles, load_report_data, write_reports
from pensionlink.settings import Policy, Settings, load_policy
from pensionlink.warehouse.analyst_database import publish_analyst_database
from pensionlink.warehouse.database_key import MissingKey, database_key, pseudonym_key
from pensionlink.warehouse.publication import publish_folder, set_aside_folder
from pensionlink.warehouse.queries import run_recorded, warehouse_review_decisions
from pensionlink.warehouse.run_record import inputs_fingerprint, run_frame, run_id, summarise
from pensionlink.warehouse.store import (
    BACKFILLED,
    WarehouseSnapshots,
    WrongKey,
    open_warehouse,
    publish_night,
    record_stages,
    write_warehouse,
)

__all__ = ["nightly", "run_night"]

log = logging.getLogger("pensionlink.flow")


def transient_io(task, task_run, state) -> bool:
    """Retry an I/O hiccup (a share not yet mounted, a locked database file), never a bad
    delivery: a rejected file stays rejected however often it is read, and a full disk or
    a missing permission is not mended by waiting 10 s."""
    error = state.data
    return (
        isinstance(error, (OSError, duckdb.IOException))
        and not isinstance(error, SourceRejected)
        and errno_of(error) not in PERMANENT_ERRNOS
    )


def io_task(name: str):
    """A task that touches files: retried twice, 10 s apart, on transient I/O errors only."""
    return task(
        name=name,
        retries=2,
        retry_delay_seconds=10,
        retry_condition_fn=transient_io,
        cache_policy=NO_CACHE,
    )


@io_task("读取来源文件 read")
def read_task(extracts: Path, db: Path, as_of: dt.date, policy: Policy) -> NightExtract:
    return read_with_snapshots(extracts, db, as_of, policy)


@task(name="数据校验 check", cache_policy=NO_CACHE)
def check_task(
    frames: dict[str, pl.DataFrame], docs_dir: Path, checker: CheckProcess
) -> pl.DataFrame:
    return checker.validate(frames, docs_dir)


@task(name="人员比对 link", cache_policy=NO_CACHE)
def link_task(
    frames: dict[str, pl.DataFrame], decisions: pl.DataFrame
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
    return link_night(frames, decisions)


@task(name="核查 findings", cache_policy=NO_CACHE)
def findings_task(
    linked: dict[str, pl.DataFrame], as_of: dt.date, policy: Policy
) -> dict[str, pl.DataFrame]:
    return night_findings(linked, as_of, policy)


@io_task("发布 publish")
def publish_task(
    db: Path, run: pl.DataFrame, tables: dict[str, pl.DataFrame], accepted: dict
) -> str:
    return publish_night(db, run, tables, accepted)


@io_task("生成报表 report")
def report_task(db: Path, run_id: str | None = None) -> ReportFiles:
    return write_night_reports(db, run_id)


@io_task("发布分析库 analyst copy")
def analyst_task(db: Path) -> Path:
    return publish_analyst_database(db)


def write_night_reports(db: Path, run_id: str | None = None) -> ReportFiles:
    """The morning's reports for the night just published (or run `run_id`'s night, a
    back-fill among them), in `reports/<as-of>/` beside the database (each night its own
    folder, so earlier reports are kept)."""
    with open_warehouse(db, read_only=True) as warehouse:
        data = load_report_data(warehouse, run_id)
    return write_reports(data, reports_dir(db) / f"{data.as_of:%Y-%m-%d}")


def reports_dir(db: Path) -> Path:
    """Where the nightly reports go: beside the database."""
    return Path(db).parent / "reports"


def read_with_snapshots(
    extracts: Path, db: Path, as_of: dt.date | None, policy: Policy
) -> NightExtract:
    """Read the drop folder, with the warehouse's last accepted deliveries standing in
    for sources missing or rejected tonight (and for unchanged files), and for deliveries
    the guards hold (`connectors.delivery_guard`, limits from the policy); dates after
    ``as_of`` are rejected where the contract forbids them."""
    limits = {name: policy.delivery_limit(name) for name in source_names()}
    if not Path(db).exists():
        return read_night(extracts, as_of=as_of, guard=DeliveryGuard(limits))
    with open_warehouse(db, read_only=True) as warehouse:
        guard = DeliveryGuard(
            limits, warehouse.last_delivery_counts(), warehouse.accepted_deliveries()
        )
        return read_night(
            extracts, as_of=as_of, snapshots=WarehouseSnapshots(warehouse), guard=guard
        )


def run_night(settings: Settings) -> dict:
    """One night as plain function calls; the flow below runs the same steps as tasks."""
    checker = CheckHere()
    return _pipeline(
        settings,
        read_with_snapshots,
        checker.validate,
        checker.docs_written,
        link_night,
        night_findings,
        publish_night,
        publish_analyst_database,
        write_night_reports,
    )


def reviewer_decisions(db: Path, hukou_ids: pl.Series, keys: PersonKeys) -> pl.DataFrame:
    """Every clerical-review decision so far, from the case store (the warehouse's older
    ones copied in the first time)."""

    def older() -> pl.DataFrame:
        if not Path(db).exists():
            return pl.DataFrame()
        with open_warehouse(db, read_only=True) as warehouse:
            try:
                return warehouse.frame(warehouse_review_decisions())
            except duckdb.CatalogException:  # a database from before the review queue
                return pl.DataFrame()

    return review_decisions(db, hukou_ids, older, keys)


def person_key_secret() -> bytes:
    """The HMAC key of the case store's person keys (the analysts' pseudonym key)."""
    return pseudonym_key(database_key())


def record_failed_run(
    settings: Settings, started: dt.datetime, stages: list, exc: BaseException
) -> None:
    """Add a `failed` row to `runs` (the results stay the previous night's). The reason is
    the one-line message of a rejected delivery, or the stage with the error's type, errno
    and the system's text (`pensionlink.failures.error_text`): a library's message might
    quote a value from the data."""
    error = str(exc).splitlines()[0] if isinstance(exc, SourceRejected) else error_text(exc)
    run = run_frame(settings, None, started, stages, status="failed", error=error)
    try:
        with write_warehouse(settings.db) as warehouse:
            warehouse.record_run(run)
    except Exception as record_exc:  # the failure itself is what matters; say so and go on
        log.error("运行记录未写入 could not record the failed run: %s", type(record_exc).__name__)


def data_docs_dir(db: Path) -> Path:
    """Where the published night's Great Expectations Data Docs are: beside the database.
    A run writes its own into `.staging-<run_id>/` inside; they replace the published
    ones only after the night is published, and a failed run's go to `failed/<run_id>/`."""
    return Path(db).parent / "data-docs"


def _docs_written(docs) -> bool:
    """Wait for the check's Data Docs (`docs()`: written beside the linkage, after the
    check answered); whether they were. Docs that could not be written (a page that held
    an ID-like string, deleted; a full disk) do not stop the night they describe."""
    try:
        docs()
    except Exception as exc:
        log.error("数据校验报告未生成 Data Docs not written: %s", error_text(exc, "check"))
        return False
    return True


def _publish_data_docs(staged: Path, db: Path, status: str, run: str, written: bool) -> None:
    """The published night's Data Docs replace the live ones; a back-filled night's (its
    live tables stay the newer night's) go to `backfilled/<run_id>/`; docs that were not
    written whole (`written`) to `failed/<run_id>/`, and the live ones stay."""
    if not written:
        _set_aside_data_docs(staged, db, run)
        return
    try:
        if status == BACKFILLED:
            set_aside_folder(staged, data_docs_dir(db) / BACKFILLED / run)
        elif staged.exists():
            publish_folder(staged, data_docs_dir(db), keep=("failed", BACKFILLED))
    except OSError as exc:  # the night is published; say the docs are not
        log.error("数据校验报告未更新 Data Docs not replaced: %s", error_text(exc, "check"))


def _set_aside_data_docs(staged: Path, db: Path, run: str) -> None:
    try:
        moved = set_aside_folder(staged, data_docs_dir(db) / "failed" / run)
    except OSError as exc:
        log.error("失败运行的校验报告未移走 failed run's Data Docs left: %s", type(exc).__name__)
        return
    if moved:
        log.info("失败运行的校验报告 failed run's Data Docs: %s", moved)


def _pipeline(settings: Settings, read, check, docs, link, find, publish, analyst, report) -> dict:
    """The night's steps in order; `check` answers with the expectations' results and
    `docs()` waits for its Data Docs (written while the night goes on)."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="beside") as pool:
        steps = (read, check, docs, link, find, publish, analyst, report)
        return _night(settings, _Beside(pool), *steps)


class _Beside:
    """Runs a step in a thread beside the main line (its Prefect run context copied, so a
    task runs as a task of the flow): the expectations beside linkage, findings and cases
    (in the flow the thread only waits for the check's own process; in `run_night` GX runs
    in it), the analysts' copy beside the reports (DuckDB and polars release the GIL, so
    the second core works). They share no data that either changes. The result is the
    step's and its seconds."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool

    def __call__(self, fn, *args) -> Future:
        return self._pool.submit(contextvars.copy_context().run, _timed_call, fn, *args)


def _timed_call(fn, *args) -> tuple:
    t0 = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - t0


def fresh_start(settings: Settings) -> dt.datetime:
    """When the run starts: now, or the next second if a run of this database already has
    now's id (an id is to the second, and two short nights in a row can start within one:
    the second would fail to publish, and the case store would take it for the first)."""
    started = dt.datetime.now()
    if not Path(settings.db).exists():
        return started
    try:
        with open_warehouse(settings.db, read_only=True) as warehouse:
            while warehouse.frame(run_recorded(run_id(settings, started))).height:
                time.sleep(1.001 - started.microsecond / 1e6)
                started = dt.datetime.now()
    except (OSError, duckdb.Error, MissingKey, WrongKey):
        # no runs recorded yet, or not readable now: then the read stage meets it, with
        # its retries, and records the run as failed if it stays so
        pass
    return started


def _night(settings: Settings, beside, read, check, docs, link, find, publish, analyst, report):
    started = fresh_start(settings)
    stages: list[tuple[str, float]] = []
    current = ["read"]
    staged_docs = data_docs_dir(settings.db) / f".staging-{run_id(settings, started)}"
    checking: Future | None = None

    def timed(stage: str, message: str, fn, *args):
        log.info(message)
        current[0] = stage
        result, seconds = _timed_call(fn, *args)
        stages.append((stage, seconds))
        return result

    try:
        night = timed(
            "read",
            "读取来源文件 reading extracts",
            read,
            settings.extracts,
            settings.db,
            settings.as_of,
            settings.policy,
        )
        log.info("数据校验 checking expectations")  # beside linkage, findings and cases
        checking = beside(check, night.frames, staged_docs)
        current[0] = "link"
        keys = PersonKeys(person_key_secret())  # each person hashed once tonight
        decisions = reviewer_decisions(settings.db, night.frames["hukou"]["citizen_id"], keys)
        mark = decisions_mark(settings.db)  # actions after it are held tonight
        staff = staff_decisions(settings.db)  # verify_alive, verify_dead, 已在外地参保
        linked, links, queue = timed(
            "link", "人员比对 linking records", link, night.frames, decisions
        )
        tables = timed(
            "findings",
            "核查 computing findings",
            find,
            {**linked, WITHHELD: night.withheld, REVIEW_QUEUE: queue},  # people unknown
            settings.as_of,
            settings.policy,
        )
        tables = apply_case_decisions(tables, staff, keys)
        tables = {
            **tables,
            "person_links": links,
            "review_queue": queue,
            "rejected_rows": night.rejected,
        }
        tables |= timed(
            "cases",
            "案件 moving the cases",
            write_night_cases,
            settings.db,
            run_id(settings, started),
            settings.as_of,
            tables,
            linked,
            keys,
            mark,
            settings.policy,
        )
        current[0] = "check"
        validation, seconds = checking.result()
        stages.insert(1, ("check", seconds))  # in the order the stages started
        # before publishing, which then has the disk and both cores to itself
        docs_whole = _docs_written(docs)
        current[0] = "publish"  # the source quality and the run row: what it publishes
        tables["source_quality"] = source_quality(night.sources, linked, validation)
        del linked  # what only linkage, findings and cases read is freed before publishing
        run = run_frame(
            settings, night, started, stages, inputs_fingerprint(settings, night, decisions)
        )
        summary = summarise(run, tables)
        accepted = night.accepted  # the deliveries kept as snapshots tonight
        del night  # and the frames of the sources a snapshot stood in for
        status = timed("publish", "发布 publishing", publish, settings.db, run, tables, accepted)
        del tables, accepted  # published: the reports read the database
    except BaseException as exc:  # a signal too (`failures.Stopped`): recorded, then re-raised
        if checking is not None:
            wait([checking])  # its Data Docs are written before they are set aside
            with contextlib.suppress(Exception):
                docs()
        note_stage(exc, current[0])
        record_failed_run(settings, started, stages, exc)
        _set_aside_data_docs(staged_docs, settings.db, run_id(settings, started))
        raise
    current[0] = "docs"
    try:
        return _after_publish(
            settings, run, status, summary, stages, staged_docs, docs_whole, beside, analyst, report
        )
    except BaseException as exc:  # stopped after publishing: the night stands
        note_stage(exc, current[0], published=True)
        raise


def _after_publish(
    settings, run, status, summary, stages, staged_docs, docs_whole, beside, analyst, report
) -> dict:
    _publish_data_docs(staged_docs, settings.db, status, run["run_id"][0], docs_whole)
    summary["status"] = status  # `backfilled` for a night older than the latest published
    # The night is published: an analyst copy or a report that fails must not undo that.
    # The two only read the published database; they run side by side.
    log.info("发布分析库 writing the analysts' copy")
    copying = beside(analyst, settings.db)
    log.info("生成报表 writing reports")
    reporting = beside(report, settings.db, run["run_id"][0])
    try:
        copy, seconds = copying.result()
        summary["analyst_db"] = str(copy)
        stages.append(("analyst", seconds))
    except (OSError, duckdb.Error) as exc:
        log.error("分析库未更新 analysts' copy not written: %s", type(exc).__name__)
        summary["analyst_db"] = None
    try:
        files, seconds = reporting.result()
        stages.append(("report", seconds))
        summary["reports"] = str(files.summary.parent if files.summary else "")
    except (OSError, duckdb.Error) as exc:
        log.error("报表未生成 reports not written: %s", type(exc).__name__)
        summary["reports"] = None
    summary["stages"] = dict(stages)  # those after the run row was written too
    _record_stages(settings.db, run["run_id"][0], stages)
    return summary


def _record_stages(db: Path, run: str, stages: list[tuple[str, float]]) -> None:
    """Every stage's time into the run's row (written before publish, analysts' copy and
    reports had run); the night stands if this fails."""
    try:
        record_stages(db, run, stages)
    except Exception as exc:  # the night is published; say the times are not recorded
        log.error("运行耗时未写入 stage times not recorded: %s", type(exc).__name__)


@flow(name="pensionlink-nightly", log_prints=False, persist_result=False)
def nightly(
    extracts: str,
    db: str,
    as_of: str | None = None,
    policy: str | None = None,
    partitions: int | None = None,
) -> dict:
    """Nightly sync of one drop folder into the warehouse; returns the run's summary.

    With `partitions`, linkage and findings run in that many parts as tasks on the flow's
    task runner (`flows.cluster`: `nightly.with_options(task_runner=dask_task_runner(…))`)."""
    day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    settings = Settings(
        extracts=Path(extracts),
        db=Path(db),
        as_of=day,
        policy=load_policy(day, Path(policy) if policy else None),
    )
    link, find = partitioned_stages(partitions) if partitions else (link_task, findings_task)
    with CheckProcess.for_the_night() as checker:  # GX imports there while the extracts are read
        return _pipeline(
            settings,
            read_task,
            functools.partial(check_task, checker=checker),
            checker.docs_written,
            link,
            find,
            publish_task,
            analyst_task,
            report_task,
        )
