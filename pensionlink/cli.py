"""The `pensionlink` command: run a night, make synthetic nights, the demo, evaluation.

Console output is short and plain: counts, paths, and for a bad input one line naming
the file, the row or column and the reason. No citizen IDs or names are printed.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import gc
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from pensionlink.cases_cli import cases_app
from pensionlink.desk.users_cli import users_app
from pensionlink.offline import go_offline
from pensionlink.review_cli import review_app

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
app.add_typer(review_app, name="review")
app.add_typer(cases_app, name="cases")
app.add_typer(users_app, name="users")

DEMO_DIR = Path("data")
DEMO_AS_OF = dt.date(2026, 11, 28)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"pensionlink: {message}", err=True)
    return typer.Exit(code)


def _setup_logging(verbose: bool) -> None:
    """Our stage lines on the console; Prefect's own records only with --verbose.

    Without --verbose Prefect's traceback of a rejected file would bury the one line that
    says what to fix; the flow run's state is still recorded by Prefect.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    if not verbose:
        handler.addFilter(lambda record: not record.name.startswith("prefect"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING" if verbose else "CRITICAL"
    # Stage lines always (long work shows progress); per-source detail with --verbose.
    logging.getLogger("pensionlink").setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("pensionlink.flow").setLevel(logging.INFO)


def _date(value: str | None, option: str) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None


#: Parts on a running cluster when --partitions is not given.
DASK_PARTS = 16
#: A run on Dask: (scheduler address, local workers, parts).
Cluster = tuple[str | None, int | None, int]


@app.command()
def run(
    extracts: Annotated[Path, typer.Option(help="drop folder of one night (EXTRACTS.md)")],
    db: Annotated[Path, typer.Option(help="DuckDB file to publish into")],
    as_of: Annotated[str | None, typer.Option(help="date the run is for, YYYY-MM-DD")] = None,
    policy: Annotated[Path | None, typer.Option(help="policy TOML (default: bundled)")] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="ADDRESS",
            help="link and find in parts on the Dask scheduler at ADDRESS (tcp://host:8786)",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="link and find in parts on a local Dask cluster of N processes"),
    ] = None,
    partitions: Annotated[
        int | None,
        typer.Option(
            min=1, help=f"parts with --dask/--workers (default: N workers, or {DASK_PARTS})"
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """One nightly run over a drop folder; exit 0 when it published."""
    _setup_logging(verbose)
    cluster = _cluster(dask, workers, partitions)
    summary = _run_flow(extracts, db, _date(as_of, "--as-of"), policy, cluster)
    _print_summary(summary, db)


def _cluster(address: str | None, workers: int | None, partitions: int | None) -> Cluster | None:
    """(address, workers, parts) of a run on Dask, or None for one process."""
    if address and workers:
        raise _fail("--dask 与 --workers 只能选一个 give either --dask ADDRESS or --workers N")
    if not (address or workers):
        if partitions:
            raise _fail("--partitions 需要 --dask 或 --workers needs --dask or --workers")
        return None
    return address, workers, partitions or workers or DASK_PARTS


def _run_flow(
    extracts: Path,
    db: Path,
    as_of: dt.date,
    policy: Path | None,
    cluster: Cluster | None = None,
) -> dict:
    """The night under `orderly_stop`: a signal or an I/O error ends it with one line
    (exit 130/143 or 2), a bug with one line and exit 1 (its traceback only with -v)."""
    from pensionlink.failures import orderly_stop

    with orderly_stop() as received:
        try:
            return _start_night(extracts, db, as_of, policy, cluster)
        except typer.Exit:
            raise
        except BaseException as exc:  # every failure: one line, no traceback
            raise _night_failed(exc, extracts, db, received) from None


def _night_failed(exc: BaseException, extracts: Path, db: Path, received: list[int]) -> typer.Exit:
    from pensionlink.failures import failure_line, is_internal, signal_of

    signum = received[0] if received else signal_of(exc)
    if signum is None:  # the traceback goes to the log, shown with --verbose only
        logging.getLogger("pensionlink.cli").info("运行失败 run failed", exc_info=exc)
    where = {
        "read": extracts,
        "check": db.parent / "data-docs",
        "docs": db.parent / "data-docs",
        "report": db.parent / "reports",
    }
    line = failure_line(exc, db, where, signum)
    if signum is not None:
        return _fail(line, 128 + signum)
    return _fail(line, 1 if is_internal(exc) else 2)


def _check_folders(extracts: Path, db: Path) -> None:
    """Before anything starts: the drop folder can be listed and the database's folder
    exists and takes a new file (the staging copy is written there)."""
    from pensionlink.failures import cause_of

    nothing = "未发布 nothing published"
    try:
        with os.scandir(extracts) as entries:
            next(entries, None)
    except OSError as exc:
        raise _fail(
            f"{extracts}: 数据目录无法读取 drop folder cannot be read ({cause_of(exc)}); {nothing}"
        ) from None
    folder = db.parent
    if not folder.is_dir():
        raise _fail(f"{folder}: --db 的目录不存在 the --db folder does not exist; {nothing}")
    if db.is_dir():
        raise _fail(f"{db}: --db 是目录 is a folder, expected a database file; {nothing}")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise _fail(
            f"{folder}: --db 的目录不可写 the --db folder cannot be written "
            f"({cause_of(exc)}); {nothing}"
        ) from None


def _start_night(
    extracts: Path,
    db: Path,
    as_of: dt.date,
    policy: Path | None,
    cluster: Cluster | None = None,
) -> dict:
    from pensionlink.file_modes import BadFileMode, file_mode
    from pensionlink.settings import PolicyError, load_policy
    from pensionlink.warehouse.database_key import MissingKey, database_key

    if not extracts.is_dir():
        raise _fail(f"{extracts}: no such drop folder")
    _check_folders(extracts, db)
    try:
        load_policy(as_of, policy)  # fail fast, before Prefect starts
        database_key()
        file_mode()
    except (PolicyError, MissingKey, BadFileMode) as exc:
        raise _fail(str(exc)) from None
    from pensionlink.expectations.check_process import check_process_started

    # The check's process first: GX imports there while Prefect imports and starts here.
    with check_process_started():
        return _flow_night(extracts, db, as_of, policy, cluster)


def _flow_night(
    extracts: Path, db: Path, as_of: dt.date, policy: Path | None, cluster: Cluster | None
) -> dict:
    from pensionlink.connectors import SourceRejected
    from pensionlink.flows.nightly import nightly

    logging.getLogger("pensionlink.flow").info("运行 running night %s (Prefect flow)", as_of)
    # The name keys' pinyin tables (≈0.5 s) while the flow run is created and the extracts
    # are read, so the linkage does not wait for them.
    threading.Thread(target=_import_pinyin, name="import", daemon=True).start()
    night, parts, api = nightly, None, contextlib.nullcontext()
    if cluster is not None:
        night, parts, api = _on_dask(nightly, *cluster)
    called = dt.datetime.now()
    try:
        with api:
            summary = night(
                extracts=str(extracts),
                db=str(db),
                as_of=as_of.isoformat(),
                policy=str(policy) if policy else None,
                partitions=parts,
            )
    except SourceRejected as exc:
        raise _fail(f"{exc}; nothing published, {db} still holds the previous night") from None
    if not os.environ.get("PREFECT_API_URL") and summary.get("started_at"):
        summary["prefect_api_seconds"] = (summary["started_at"] - called).total_seconds()
    return summary


def _import_pinyin() -> None:
    import pypinyin  # noqa: F401  (matching.names imports it on the first name)


def _on_dask(nightly, address: str | None, workers: int | None, parts: int):
    """The nightly flow with a Dask task runner, its number of parts and the Prefect API
    its workers report to (`flows.cluster.api_for_workers`)."""
    from pensionlink.flows.cluster import ClusterMissing, api_for_workers, dask_task_runner

    # Dask's own progress lines (scheduler, workers) only as warnings, in workers too.
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    try:
        runner = dask_task_runner(address, workers)
    except ClusterMissing as exc:
        raise _fail(str(exc)) from None
    if address and not os.environ.get("PREFECT_API_URL"):
        logging.getLogger("pensionlink.flow").warning(
            "未设置 PREFECT_API_URL: 其他机器上的 worker 无法报告任务状态 workers on other "
            "machines cannot reach the temporary Prefect API; set PREFECT_API_URL to a server"
        )
    where = address or f"local cluster of {workers} processes"
    logging.getLogger("pensionlink.flow").info("Dask: %s, %d parts", where, parts)
    return nightly.with_options(task_runner=runner), parts, api_for_workers()


def _print_summary(s: dict, db: Path) -> None:
    cats = ", ".join(f"{k} {v}" for k, v in s["uninsured_by_category"].items())
    lines = [
        f"published run {s['run_id']} (as of {s['as_of']}) into {db}"
        if s.get("status") != "backfilled"
        else f"补跑 back-filled run {s['run_id']} (as of {s['as_of']}) into {db}: history and "
        "reports only; the live tables stay the latest night's",
        f"  待注销人员 deaths to deregister: {s['deaths']} "
        f"(confirmed {s['deaths_confirmed']}, review {s['deaths_review']})",
        f"  应保未保人员 uninsured eligible: {s['uninsured']} ({cats})",
        f"  丧葬补助金核查 funeral findings: {s['funeral_findings']} "
        f"(to recover {s['funeral_to_recover']} yuan)",
        f"  重复参保 duplicate enrollment: {s['duplicate_enrollment']}",
        f"  数据不一致 agency disagreements: {s.get('agency_disagreements', 0)}",
        f"  rows rejected: {s['rows_rejected']}"
        + (f"; stale sources: {', '.join(s['stale_sources'])}" if s["stale_sources"] else ""),
        "  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in s["stages"].items()),
    ]
    if s.get("prefect_api_seconds") is not None:
        lines.append(
            f"  Prefect 临时接口 temporary API: {s['prefect_api_seconds']:.1f} s before the first "
            "stage (PREFECT_API_URL set to a running Prefect server avoids it; see Operations)"
        )
    for entry in s["not_read"]:
        stood_in = "上次有效数据顶替 last accepted delivery used" if entry["stale"] else "空 empty"
        lines.append(f"  未读取 not read — {entry['source']}: {entry['note']} → {stood_in}")
    lines.append(f"  数据校验报告 data docs: {db.parent / 'data-docs' / 'index.html'}")
    if s.get("analyst_db"):
        lines.append(f"  分析库 analysts' database (de-identified): {s['analyst_db']}")
    if s.get("reports"):
        lines.append(f"  报表 reports: {s['reports']}")
    typer.echo("\n".join(lines))


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="folder to write the night into")],
    people: Annotated[int, typer.Option(help="people on the hukou register")] = 150_000,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same night)")] = 0,
    as_of: Annotated[str | None, typer.Option(help="date of the night, YYYY-MM-DD")] = None,
    xlsx: Annotated[bool, typer.Option(help="write .xlsx files instead of .csv")] = False,
    noise: Annotated[
        float, typer.Option(help="multiplies every quirk and pattern rate (0: clean)")
    ] = 1.0,
    policy: Annotated[
        Path | None, typer.Option(help="policy TOML the truth follows (default: bundled)")
    ] = None,
) -> None:
    """Write a synthetic night of extracts with a truth/ folder beside them."""
    from pensionlink.synth import generate_night

    day = _date(as_of, "--as-of")
    if people < 100:
        raise _fail("--people: expected at least 100")
    if noise < 0:
        raise _fail("--noise: expected 0 or more")
    t0 = time.perf_counter()
    rules = None
    if policy is not None:
        from pensionlink.settings import PolicyError, load_policy

        try:
            rules = load_policy(day, policy)
        except PolicyError as exc:
            raise _fail(str(exc)) from None
    generate_night(out, people=people, seed=seed, as_of=day, xlsx=xlsx, noise=noise, policy=rules)
    _write_manifest(out, people, seed, day)
    typer.echo(
        f"wrote a {people:,}-person night for {day} into {out} "
        f"({time.perf_counter() - t0:.1f} s); answers in {out / 'truth'}"
    )


def _write_manifest(out: Path, people: int, seed: int, as_of: dt.date) -> None:
    manifest = {"people": people, "seed": seed, "as_of": as_of.isoformat()}
    (out / "truth" / "night.json").write_text(json.dumps(manifest), encoding="utf-8")


@app.command()
def evaluate(
    night: Annotated[Path, typer.Option(help="a generated night (with truth/)")],
    db: Annotated[Path, typer.Option(help="the database a run published into")],
) -> None:
    """Compare the published findings with a generated night's truth."""
    from pensionlink.synth.evaluate import evaluate_night, format_report

    if not (night / "truth").is_dir():
        raise _fail(f"{night}: no truth/ folder (only generated nights have one)")
    if not db.is_file():
        raise _fail(f"{db}: no such database (run the night first)")
    typer.echo(format_report(evaluate_night(night, db)))


@app.command()
def bench(
    people: Annotated[int, typer.Option(help="people on the generated night's hukou")] = 150_000,
    repeat: Annotated[int, typer.Option(help="runs of the night; every figure a median")] = 1,
    seed: Annotated[int, typer.Option(help="the night's random seed")] = 5,
    noise: Annotated[float, typer.Option(help="the generator's quirk and pattern rate")] = 1.0,
    as_of: Annotated[str, typer.Option(help="date of the night, YYYY-MM-DD")] = "2026-11-28",
    work: Annotated[Path, typer.Option(help="where the night is kept and the runs go")] = Path(
        "data/bench"
    ),
    prefect_server: Annotated[
        bool,
        typer.Option(
            "--prefect-server",
            help="start a Prefect server once and run the nights against it, as a scheduled "
            "night does (else each run starts Prefect's temporary API)",
        ),
    ] = False,
) -> None:
    """Benchmark a night: generate it once, run it through `pensionlink run` (--repeat
    times), print each stage's seconds and peak memory, the floor and the ratio, and the
    accuracy."""
    from pensionlink.benchmark import bench as bench_runs
    from pensionlink.benchmark import format_bench
    from pensionlink.synth.evaluate import evaluate_night

    if people < 100:
        raise _fail("--people: expected at least 100")
    if repeat < 1:
        raise _fail("--repeat: expected 1 or more")
    day = _date(as_of, "--as-of")
    try:
        result = bench_runs(work, people, repeat, seed, noise, day, evaluate_night, prefect_server)
    except RuntimeError as exc:  # a run that failed, or the Prefect server (ServerFailed)
        raise _fail(f"bench: {exc}", 1) from None
    typer.echo(format_bench(result, repeat, people))


@app.command()
def demo(
    people: Annotated[int, typer.Option(help="size of the demo city")] = 150_000,
    seed: Annotated[int, typer.Option()] = 2026,
) -> None:
    """Generate a city-sized night under data/ (once), run the flow on it, show results."""
    _setup_logging(False)
    night = DEMO_DIR / "demo-night"
    db = DEMO_DIR / "pensionlink.duckdb"
    manifest = night / "truth" / "night.json"
    if manifest.exists():
        as_of = dt.date.fromisoformat(json.loads(manifest.read_text())["as_of"])
        typer.echo(f"using the night already generated in {night}")
    else:
        as_of = DEMO_AS_OF
        typer.echo(f"generating a {people:,}-person night for {as_of} in {night} …")
        from pensionlink.synth import generate_night

        generate_night(night, people=people, seed=seed, as_of=as_of)
        _write_manifest(night, people, seed, as_of)
    _demo_key()
    typer.echo("running the nightly flow (Prefect starts a local API for the run) …")
    summary = _run_flow(night, db, as_of, None)
    _print_summary(summary, db)
    analyst = summary.get("analyst_db") or db
    key_file = os.environ.get("PENSIONLINK_DB_KEY_FILE", "<your key file>")
    typer.echo(
        f"""
the extracts:   {night}/   (answers: {night}/truth/)
the database:   {db}
check accuracy: PENSIONLINK_DB_KEY_FILE={key_file} pensionlink evaluate --night {night} --db {db}
analysts open the de-identified copy (the restricted {db} is encrypted):
try a query:    .venv/bin/python -c "import duckdb; con = duckdb.connect('{analyst}', \\
                  read_only=True); con.sql('FROM coverage_by_area LIMIT 5').show()"
  or with the duckdb CLI (duckdb -readonly {analyst}), for example:
  SELECT township, sum(residents_16_plus) people, sum(insured) insured,
         round(sum(insured) / sum(residents_16_plus), 3) rate
    FROM coverage_by_area GROUP BY township ORDER BY rate;
  SELECT decision, count(*), sum(overpaid_amount), sum(to_recover)
    FROM deaths_to_deregister GROUP BY decision;
  SELECT kind, count(*), sum(amount_to_recover) FROM duplicate_funeral_benefits GROUP BY kind;"""
    )


@app.command()
def report(
    db: Annotated[Path, typer.Option(help="the database a run published into")],
    out: Annotated[Path, typer.Option(help="folder to write the reports into")],
    township: Annotated[
        str | None, typer.Option(help="only this township's spreadsheet, e.g. 龙门街道")
    ] = None,
    documents: Annotated[
        bool,
        typer.Option(
            help="the death documents (告知书 to the heirs, 结算单) for the death cases to notify"
        ),
    ] = True,
    policy: Annotated[
        Path | None, typer.Option(help="policy file for the documents (default: bundled)")
    ] = None,
) -> None:
    """Write the bureau's reports for the latest night: a spreadsheet per township
    (待注销人员, 应保未保人员, 丧葬补助金核查, 覆盖率, 数据不一致, 工作台账), an HTML summary,
    and per township the 死亡待遇结算告知书 and 结算单 of the death cases to notify."""
    import duckdb
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from pensionlink.file_modes import BadFileMode
    from pensionlink.reports import (
        NothingPublished,
        UnknownTownship,
        load_report_data,
        report_steps,
        write_reports,
    )
    from pensionlink.reports.document_data import load_death_documents
    from pensionlink.settings import PolicyError
    from pensionlink.warehouse.database_key import MissingKey
    from pensionlink.warehouse.store import WrongKey, open_warehouse

    if not db.is_file():
        raise _fail(f"{db}: no such database")
    try:
        with open_warehouse(db, read_only=True) as warehouse:
            data = load_report_data(warehouse)
            papers = (
                load_death_documents(warehouse, data.as_of, data.run_id, policy)
                if documents
                else None
            )
    except (NothingPublished, MissingKey, WrongKey, PolicyError) as exc:
        raise _fail(f"{db}: {exc}") from None
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise _fail(f"{db}: cannot read the results ({first})") from None
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True
    ) as progress:
        bar = progress.add_task("写报表 writing", total=report_steps(data, township, papers))

        done = [0]

        def step(name: str) -> None:  # told before each file: the ones before it are done
            progress.update(bar, description=f"写报表 {name}", completed=done[0])
            done[0] += 1

        try:
            files = write_reports(data, out, township, on_step=step, documents=papers)
        except (UnknownTownship, BadFileMode) as exc:
            raise _fail(str(exc)) from None
        progress.update(bar, completed=done[0])
    typer.echo(f"wrote {len(files.workbooks)} spreadsheet(s) for {data.as_of} into {out}")
    if files.summary:
        typer.echo(f"  汇总 summary: {files.summary}")
    forms = [p for p in files.documents if "丧葬补助金" in p.name]
    if len(files.documents) > len(forms):
        typer.echo(f"  告知书、结算单 death documents: {len(files.documents) - len(forms)} file(s)")
    if forms:
        typer.echo(f"  丧葬补助金发放审批表、申领汇总表 subsidy forms: {len(forms)} file(s)")


@app.command()
def serve(
    drop_root: Annotated[Path, typer.Option(help="folder holding one dated folder per night")],
    db: Annotated[Path, typer.Option(help="DuckDB file to publish into")],
    cron: Annotated[str, typer.Option(help="when to run, cron syntax, Beijing time")] = "0 2 * * *",
    quiet_seconds: Annotated[
        float, typer.Option(help="a drop folder must be unchanged this long before it is read")
    ] = 300,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Serve the nightly deployment: on the schedule, process the newest night under the
    drop root not yet published (runs until stopped with Ctrl-C)."""
    from prefect.schedules import Cron

    _setup_logging(verbose)
    if not drop_root.is_dir():
        raise _fail(f"{drop_root}: no such drop root")
    try:
        Cron(cron)
    except ValueError:
        raise _fail(f"--cron {cron!r}: expected a cron schedule such as '0 2 * * *'") from None
    from pensionlink.file_modes import BadFileMode, file_mode
    from pensionlink.warehouse.database_key import MissingKey, database_key

    try:
        database_key()  # every scheduled run needs it: say so now, not at 02:00
        file_mode()
    except (MissingKey, BadFileMode) as exc:
        raise _fail(str(exc)) from None
    from pensionlink.flows.deployments import serve_nightly

    typer.echo(
        f"serving pensionlink-drop-root/nightly ({cron}, Asia/Shanghai) on {drop_root} → {db}; "
        "Ctrl-C stops"
    )
    serve_nightly(drop_root, db, cron, quiet_seconds)


@app.command()
def desk(
    db: Annotated[Path, typer.Option(help="the warehouse the nightly runs publish into")],
    host: Annotated[str, typer.Option(help="address to listen on (loopback by default)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="port")] = 8600,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="cookies only over HTTPS; by default on unless --host is loopback (a request "
            "the proxy marks https always gets them)",
        ),
    ] = None,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="the reverse proxy's addresses (comma-separated) whose X-Forwarded-For and "
            "-Proto are trusted: the login limit counts the staff's own addresses"
        ),
    ] = "127.0.0.1",
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Serve the desk (办理台) for village, township and city staff: worklists, cases,
    doubtful links, downloads and the API, behind a login (users: pensionlink users)."""
    _setup_logging(verbose)
    from pensionlink.warehouse.database_key import MissingKey, database_key

    try:
        database_key()  # the desk reads the restricted night: say so now
    except MissingKey as exc:
        raise _fail(str(exc)) from None
    import uvicorn

    from pensionlink.desk.app import DeskConfig, create_app

    if secure_cookies is None:  # off the loopback the desk is reached through the proxy
        secure_cookies = host not in ("127.0.0.1", "localhost", "::1")
    typer.echo(f"办理台 desk on http://{host}:{port}/ for {db}; Ctrl-C stops")
    uvicorn.run(
        create_app(DeskConfig(db, secure_cookies)),
        host=host,
        port=port,
        log_level="info" if verbose else "warning",
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )


@app.command()
def audit(
    db: Annotated[Path, typer.Option(help="the restricted database")] = Path(
        "data/pensionlink.duckdb"
    ),
    since: Annotated[str | None, typer.Option(help="only from this date, YYYY-MM-DD")] = None,
) -> None:
    """Every run, review decision and accepted delivery, with who and when (处理记录, PIPL
    Art. 55)."""
    from pensionlink.cases_cli import with_case_store_trail
    from pensionlink.warehouse.database_key import MissingKey
    from pensionlink.warehouse.store import WrongKey, open_warehouse

    if not db.is_file():
        raise _fail(f"{db}: no such database")
    day = _date(since, "--since") if since else None
    try:
        with open_warehouse(db, read_only=True) as warehouse:
            trail = warehouse.audit_trail(day)
    except (MissingKey, WrongKey) as exc:
        raise _fail(str(exc)) from None
    trail = with_case_store_trail(trail, db, day)
    for row in trail.iter_rows(named=True):
        typer.echo(
            f"{row['happened_at']:%Y-%m-%d %H:%M:%S}  {row['who']}  {row['action']}  "
            f"{row['detail']}  [{row['ref']}]"
        )
    typer.echo(f"{trail.height} entries")


@app.command()
def accept(
    source: Annotated[str, typer.Argument(help="the held source, e.g. resident_roster")],
    run_id: Annotated[str, typer.Option("--run", help="the run that held it (see audit)")],
    by: Annotated[str, typer.Option(help="who accepts it (姓名)")],
    reason: Annotated[str, typer.Option(help="why the delivery is right")],
    db: Annotated[Path, typer.Option(help="the restricted database")] = Path(
        "data/pensionlink.duckdb"
    ),
) -> None:
    """Take a delivery the guards held (暂缓采用) deliberately: the next run that finds
    that very file (by checksum) uses it and keeps it as the snapshot. Audited."""
    from pensionlink.connectors import source_names
    from pensionlink.warehouse.database_key import MissingKey
    from pensionlink.warehouse.store import WrongKey, write_warehouse

    if source not in source_names():
        raise _fail(
            f"{source}: 未知来源 unknown source (expected one of {', '.join(source_names())})"
        )
    if not by.strip():
        raise _fail("--by: 需填写接受人 expected the name of who accepts the file")
    if not reason.strip():
        raise _fail("--reason: 需填写接受理由 expected why the file is right")
    if not db.is_file():
        raise _fail(f"{db}: no such database")
    try:
        with write_warehouse(db) as warehouse:
            held = warehouse.record_acceptance(run_id, source, by.strip(), reason.strip())
    except LookupError as exc:
        raise _fail(str(exc.args[0])) from None
    except (MissingKey, WrongKey) as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"已接受 accepted: {source} {held['file']} ({held['checksum'][:12]}…), held in run "
        f"{run_id}, by {by.strip()}; the next run that finds this file takes it and keeps it "
        f"as the snapshot: pensionlink run --extracts {held['extracts']} --db {db} "
        f"--as-of {held['as_of']:%Y-%m-%d}"
    )


@app.command("new-key")
def new_key(
    out: Annotated[Path, typer.Option(help="key file to create (kept apart from the database)")],
) -> None:
    """Make a random key for a new restricted database (readable by its owner only)."""
    from pensionlink.warehouse.database_key import KEY_FILE_ENV, new_key_file

    if out.exists():
        raise _fail(f"{out}: already exists; a key is never overwritten")
    new_key_file(out)
    typer.echo(f"wrote a new key to {out}; use it with: export {KEY_FILE_ENV}={out}")


def _demo_key() -> None:
    """The demo's database key: made once under data/ (never for real data) and used."""
    from pensionlink.warehouse.database_key import KEY_ENV, KEY_FILE_ENV, new_key_file

    if os.environ.get(KEY_ENV) or os.environ.get(KEY_FILE_ENV):
        return
    key_file = DEMO_DIR / "demo.key"
    if not key_file.exists():
        new_key_file(key_file)
        typer.echo(f"made a demo database key in {key_file} (for the demo only)")
    os.environ[KEY_FILE_ENV] = str(key_file)
    typer.echo(f"the database is encrypted: export {KEY_FILE_ENV}={key_file} to open it")


def main() -> None:  # pragma: no cover - console entry point
    go_offline()  # before anything imports Prefect or GX
    from pensionlink.failures import stop_leftover_servers
    from pensionlink.warehouse.database_key import MissingKey
    from pensionlink.warehouse.store import WrongKey

    # Registered first, so it runs last: after Prefect's own exit hooks have sent their
    # last logs and stopped the temporary API server, any server child a signal left
    # unregistered is stopped too.
    atexit.register(stop_leftover_servers)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except (MissingKey, WrongKey) as exc:  # e.g. `review` without the key: one line
        typer.echo(f"pensionlink: {exc}", err=True)
        sys.exit(2)
    finally:  # stopping takes a few seconds; a second SIGTERM or Ctrl-C must not cut it
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        # The command's work is done: Python's exit need not search its millions of objects
        # (great expectations' modules, the night's frames) for cycles; ≈1 s on a night.
        gc.freeze()
