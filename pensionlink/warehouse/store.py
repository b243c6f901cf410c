"""The one place that runs SQL: the DuckDB warehouse analysts query (分析库).

Table definitions live one per file in `sql/` (with their Chinese comments); this module
creates them, and publishes a night's frames all or nothing (a staged copy of the file,
written on two connections at once by `night_writes`): each finding table is replaced by
the night's rows and the same rows are appended to `<table>_history`, so analysts see the
latest night by default and trends with `run_id`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from pensionlink.connectors import SourceRead, load_specs
from pensionlink.connectors.canonical import REJECTED_SCHEMA, empty_frame
from pensionlink.connectors.delivery_guard import DeliveryCounts, distinct_id_column
from pensionlink.warehouse.database_key import database_key
from pensionlink.warehouse.night_writes import (
    Write,
    cells,
    keep_snapshot,
    on_two_connections,
    record_published_run,
    replace_table,
    snapshot_table,
)
from pensionlink.warehouse.night_writes import arrow_view as _arrow
from pensionlink.warehouse.publication import staged_database
from pensionlink.warehouse.queries import Query, set_run_stages
from pensionlink.warehouse.stage_times import (
    Stages,
    forget_stage_times,
    keep_stage_times,
    pending_stage_times,
)
from pensionlink.warehouse.tables import FINDING_TABLES, HISTORY_TABLES, table_definitions

__all__ = [
    "FINDING_TABLES",
    "HISTORY_TABLES",
    "AlreadyDecided",
    "Warehouse",
    "WarehouseSnapshots",
    "WrongKey",
    "connect_database",
    "open_warehouse",
    "publish_night",
    "record_stages",
    "snapshot_table",
    "stages_of",
    "write_plain_database",
    "write_warehouse",
]

log = logging.getLogger(__name__)

# `runs.status` of a night older than the latest published one: history only (see publish).
BACKFILLED = "backfilled"


_FINGERPRINT_NOTE = "表结构指纹：上次按哪一版表定义建表（相同则不再逐表检查）"


@cache
def _schema_fingerprint() -> str:
    """A digest of every table definition and of the history tables kept: what
    `ensure_schema` brings a database up to."""
    digest = hashlib.sha256(b"ensure_schema 1\0")
    for name, ddl in table_definitions():
        digest.update(f"{name}\0{ddl}\0".encode())
    digest.update("\0".join(HISTORY_TABLES).encode())
    return digest.hexdigest()


class Warehouse:
    """Owns the DuckDB connection; every statement of the project goes through it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def frame(self, query: Query) -> pl.DataFrame:
        """Run a named query (`pensionlink.warehouse.queries`) and return its result as a polars
        frame; SQL text is not accepted."""
        if not isinstance(query, Query):
            raise TypeError(
                f"Warehouse.frame takes a pensionlink.warehouse.queries.Query, not {query!r}"
            )
        return self._frame(query.sql, list(query.params))

    def _frame(self, query: str, params: list | None = None) -> pl.DataFrame:
        return self.con.execute(query, params or []).pl()

    def ensure_schema(self) -> None:
        """Create missing tables (and their history twins) with their comments — unless
        the database was last brought up to these very definitions (`schema_fingerprint`:
        ≈ 0.4 s saved on every write, a night's publish and a clerk's decision alike)."""
        wanted = _schema_fingerprint()
        if self._stored_fingerprint() == wanted:
            return
        for _name, ddl in table_definitions():
            self.con.execute(ddl)
        for table in HISTORY_TABLES:
            history = f"{table}_history"
            exists = self.con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [history]
            ).fetchone()[0]
            if not exists:
                self.con.execute(f"CREATE TABLE {history} AS FROM {table} LIMIT 0")
            else:
                self._add_missing_columns(table, history)
            self._copy_comments(table, history)
        self.con.execute(
            "CREATE OR REPLACE TABLE schema_fingerprint AS SELECT ?::VARCHAR AS fingerprint",
            [wanted],
        )
        self.con.execute(f"COMMENT ON TABLE schema_fingerprint IS {_literal(_FINGERPRINT_NOTE)}")
        self.con.execute(
            "COMMENT ON COLUMN schema_fingerprint.fingerprint IS '全部表定义的 SHA-256 摘要'"
        )

    def _stored_fingerprint(self) -> str | None:
        try:
            found = self.con.execute("SELECT fingerprint FROM schema_fingerprint").fetchone()
        except duckdb.CatalogException:  # a database from before the fingerprint
            return None
        return found[0] if found else None

    def _add_missing_columns(self, source: str, target: str) -> None:
        """Columns added to a table after its history began are added to the history too
        (empty for earlier nights)."""
        missing = self.con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
            "AND column_name NOT IN "
            "(SELECT column_name FROM duckdb_columns() WHERE table_name = ?) "
            "ORDER BY column_index",
            [source, target],
        ).fetchall()
        for column, data_type in missing:
            self.con.execute(f'ALTER TABLE {target} ADD COLUMN "{column}" {data_type}')

    def _copy_comments(self, source: str, target: str) -> None:
        (table_comment,) = self.con.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = ?", [source]
        ).fetchone()
        self.con.execute(
            f"COMMENT ON TABLE {target} IS {_literal('历史（每晚一批）：' + table_comment)}"
        )
        for column, comment in self.con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ?", [source]
        ).fetchall():
            self.con.execute(f'COMMENT ON COLUMN {target}."{column}" IS {_literal(comment)}')

    def publish(
        self,
        run: pl.DataFrame,
        tables: Mapping[str, pl.DataFrame],
        accepted: Mapping[str, SourceRead] | None = None,
    ) -> str:
        """Replace the finding tables, append history and the run, and keep tonight's
        accepted deliveries as the sources' snapshots. A night older than the latest
        published one is a back-fill: only its history and its run are written (status
        `backfilled`); the live tables and the snapshots stay the newer night's. Returns
        the run's status.

        The writes go on two connections at once (`night_writes.on_two_connections`:
        each table with its history, each snapshot, and the run's own rows, on one of
        them). Each write is a transaction of its own, so call this inside
        `write_warehouse`: its staged copy is what makes the night all or nothing."""
        (run_id,) = run["run_id"].to_list()
        unknown = sorted(set(tables) - set(FINDING_TABLES))
        if unknown:
            raise ValueError(f"unknown table {unknown[0]}")
        backfill = self._is_backfill(run)
        if backfill:
            run = run.with_columns(status=pl.lit(BACKFILLED))
        reads = list((accepted or {}).values()) if not backfill else []
        repeated = self._repeated_runs(run)
        writes = [Write(cells(r.frame), functools.partial(keep_snapshot, r)) for r in reads]
        for table, incoming in tables.items():
            if table == "agency_disagreements":
                incoming = self._with_first_seen(incoming, run_id, repeated)
            write = functools.partial(replace_table, table, incoming, run_id, repeated, backfill)
            writes.append(Write(cells(incoming), write))
        own = functools.partial(record_published_run, run, reads, repeated)
        on_two_connections(self.con, [*writes, Write(cells(run), own)])
        self.con.execute("CHECKPOINT warehouse")
        log.info("%s run %s", run["status"][0], run_id)
        return run["status"][0]

    def _is_backfill(self, run: pl.DataFrame) -> bool:
        """Whether the run's night is older than the latest published night."""
        (latest,) = self.con.execute(
            "SELECT max(as_of) FROM runs WHERE status = 'published'"
        ).fetchone()
        return latest is not None and run["as_of"][0] < latest

    def _with_first_seen(
        self, incoming: pl.DataFrame, run_id: str, repeated: list[str]
    ) -> pl.DataFrame:
        """`first_seen_run` of each disagreement: the earliest run (published or back-filled)
        whose history has the same person and kind (tonight's run when none has; runs
        this one replaces do not count), so it stays the same night after night."""
        seen = self._frame(
            "SELECT h.citizen_id, h.kind, arg_min(h.run_id, r.started_at) AS first_seen_run "
            "FROM agency_disagreements_history h JOIN runs r USING (run_id) "
            "WHERE r.status IN ('published', 'backfilled') "
            "AND NOT list_contains(?::VARCHAR[], h.run_id) "
            "GROUP BY h.citizen_id, h.kind",
            [repeated],
        )
        keys = ["citizen_id", "kind"]
        earlier = seen.cast({"citizen_id": pl.String, "kind": pl.String})
        out = incoming.drop("first_seen_run", strict=False).join(
            earlier, on=keys, how="left", nulls_equal=True
        )
        return out.with_columns(pl.col("first_seen_run").fill_null(pl.lit(run_id)))

    def audit_trail(self, since: object | None = None) -> pl.DataFrame:
        """Every run, review decision and accepted delivery, with who and when (处理记录),
        oldest first.
        Nothing here is ever deleted by pensionlink (PIPL Art. 55–56: kept ≥ 3 years)."""
        accepted = self._has_table("delivery_acceptances")
        return self._frame(
            """
            SELECT started_at AS happened_at, coalesce(run_by, '（未记录）') AS who,
                   'run' AS action,
                   status || '，数据日期 ' || strftime(as_of, '%Y-%m-%d')
                   || coalesce('，' || error, '') AS detail, run_id AS ref
            FROM runs WHERE ? IS NULL OR started_at >= ?
            UNION ALL
            SELECT decided_at, decided_by, 'review_decision',
                   decision || '，来源 ' || source || coalesce('，' || note, ''), review_id
            FROM review_decisions WHERE ? IS NULL OR decided_at >= ?
            """
            + (_ACCEPTANCES_TRAIL if accepted else "")
            + " ORDER BY happened_at",
            [since] * (6 if accepted else 4),
        )

    def export(
        self, tables: tuple[str, ...]
    ) -> tuple[dict[str, pl.DataFrame], dict[tuple[str, str], str]]:
        """The named tables that exist, and every comment keyed (table, column) — column
        "" for the table's own comment."""
        present = {
            t for (t,) in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        frames = {t: self._frame(f"SELECT * FROM {t}") for t in tables if t in present}
        comments = {
            (t, c): note
            for t, c, note in self.con.execute(
                "SELECT table_name, column_name, comment FROM duckdb_columns() "
                "WHERE comment IS NOT NULL UNION ALL "
                "SELECT table_name, '', comment FROM duckdb_tables() WHERE comment IS NOT NULL"
            ).fetchall()
        }
        return frames, comments

    def record_run(self, run: pl.DataFrame) -> None:
        """Add a run that published nothing (status `failed`) to `runs`."""
        self.con.register("incoming_run", _arrow(run))
        self.con.execute("INSERT INTO runs BY NAME SELECT * FROM incoming_run")
        self.con.unregister("incoming_run")

    def record_stages(self, run_id: str, stages: Sequence[tuple[str, float]]) -> None:
        """Set a recorded run's `stages` to every stage it went through, those after its
        row was written (publish, analysts' copy, reports) included."""
        query = set_run_stages(run_id, stages)
        self.con.execute(query.sql, list(query.params))

    def _repeated_runs(self, run: pl.DataFrame) -> list[str]:
        """Earlier published runs of the same night from the same inputs (same files,
        policy and reviewers' decisions): tonight's run replaces their history rows."""
        if "inputs" not in run.columns or run["inputs"][0] is None:
            return []
        rows = self.con.execute(
            "SELECT run_id FROM runs WHERE as_of = ? AND inputs = ? "
            "AND status IN ('published', 'backfilled')",
            [run["as_of"][0], run["inputs"][0]],
        ).fetchall()
        return [r for (r,) in rows]

    def decisions(self) -> pl.DataFrame:
        """Every reviewer decision, oldest first (later ones win)."""
        return self._frame(
            "SELECT source, record_key, person_id, decision FROM review_decisions "
            "ORDER BY decided_at"
        )

    def record_decision(self, review_id: str, decision: str, by: str, note: str | None) -> dict:
        """Store a reviewer's decision on a queued item; returns the item decided."""
        if decision not in ("accept", "reject"):
            raise ValueError(f"decision must be accept or reject, not {decision!r}")
        item = self._frame(
            "SELECT review_id, source, line_no, record_key, person_id FROM review_queue "
            "WHERE review_id = ?",
            [review_id],
        )
        if item.is_empty():
            raise LookupError(f"no review item {review_id} in tonight's queue")
        row = item.row(0, named=True)
        by = (by or "").strip()
        if not by:
            raise ValueError("复核人不能为空 --by must name who decides")
        earlier = self.con.execute(
            "SELECT decided_at, decided_by, decision FROM review_decisions "
            "WHERE source = ? AND record_key = ? AND person_id IS NOT DISTINCT FROM ? "
            "ORDER BY decided_at LIMIT 1",
            [row["source"], row["record_key"], row["person_id"]],
        ).fetchone()
        if earlier is not None:
            at, who, what = earlier
            raise AlreadyDecided(
                f"复核项 {review_id} 已于 {at:%Y-%m-%d} 由 {who} 决定（{what}）"
                f" already decided on {at:%Y-%m-%d} by {who} ({what}); not recorded again"
            )
        self.con.execute(
            "INSERT INTO review_decisions VALUES (?, ?, ?, ?, ?, ?, current_timestamp, ?)",
            [review_id, row["source"], row["record_key"], row["person_id"], decision, by, note],
        )
        return row

    def review_detail(self, review_id: str) -> tuple[dict, dict | None, dict | None]:
        """A queued item, the source record it is about and the candidate's hukou record
        (both from the sources' last accepted deliveries)."""
        item = self._frame("SELECT * FROM review_queue WHERE review_id = ?", [review_id])
        if item.is_empty():
            raise LookupError(f"no review item {review_id} in tonight's queue")
        row = item.row(0, named=True)
        record = self._frame(
            f"SELECT * FROM {snapshot_table(row['source'])} WHERE line_no = ?", [row["line_no"]]
        )
        person = self._frame(
            f"SELECT * FROM {snapshot_table('hukou')} WHERE citizen_id = ? LIMIT 1",
            [row["person_id"]],
        )
        return (
            row,
            record.row(0, named=True) if record.height else None,
            person.row(0, named=True) if person.height else None,
        )

    def snapshot_checksums(self) -> dict[str, str]:
        """Checksum of each source's last accepted delivery (none in a database that
        predates snapshots)."""
        try:
            rows = self.con.execute("SELECT source, checksum FROM snapshots.deliveries")
        except duckdb.CatalogException:
            return {}
        return dict(rows.fetchall())

    def load_snapshot(self, source: str) -> SourceRead | None:
        """A source's last accepted delivery, typed exactly as the connector made it."""
        found = self.con.execute(
            "SELECT file, checksum, encoding, rows_read FROM snapshots.deliveries WHERE source = ?",
            [source],
        ).fetchone()
        if found is None:
            return None
        file, checksum, encoding, rows_read = found
        schema = empty_frame(load_specs()[source]).schema
        frame = self._frame(f"SELECT * FROM {snapshot_table(source)}").cast(dict(schema))
        rejected = self._frame(
            "SELECT * EXCLUDE (source) FROM snapshots.rejected_rows WHERE source = ? ORDER BY line",
            [source],
        ).select(pl.lit(source).alias("source"), pl.all())
        rejected = rejected.cast(REJECTED_SCHEMA)
        return SourceRead(
            source,
            Path(file),
            frame.select(schema.names()),
            rows_read,
            rejected,
            checksum,
            encoding,
        )

    def last_delivery_counts(self) -> dict[str, DeliveryCounts]:
        """Each source's last accepted delivery as the guards compare it: data rows, and
        distinct IDs in its snapshot (`connectors.delivery_guard`)."""
        try:
            rows = dict(
                self.con.execute("SELECT source, rows_read FROM snapshots.deliveries").fetchall()
            )
        except duckdb.CatalogException:  # a database from before snapshots
            return {}
        specs = load_specs()
        counts = {}
        for source, rows_read in rows.items():
            column = distinct_id_column(specs[source]) if source in specs else None
            distinct = None
            if column is not None:
                try:
                    (distinct,) = self.con.execute(
                        f'SELECT count(DISTINCT "{column}") FROM {snapshot_table(source)}'
                    ).fetchone()
                except duckdb.Error:  # a snapshot without the column: rows only
                    distinct = None
            counts[source] = DeliveryCounts(rows_read, distinct)
        return counts

    def accepted_deliveries(self) -> frozenset[tuple[str, str]]:
        """(source, checksum) of every held delivery an operator accepted."""
        if not self._has_table("delivery_acceptances"):
            return frozenset()
        rows = self.con.execute("SELECT source, checksum FROM delivery_acceptances")
        return frozenset(rows.fetchall())

    def held_delivery(self, run_id: str, source: str) -> dict:
        """The delivery of `source` that run `run_id` held (source, file, checksum, reason,
        and the run's extracts and as-of); LookupError with a one-line reason if none."""
        found = self.con.execute(
            "SELECT held, extracts, as_of FROM runs WHERE run_id = ?", [run_id]
        ).fetchone()
        if found is None:
            raise LookupError(f"没有此运行 no run {run_id} (see pensionlink audit)")
        held, extracts, as_of = found
        held = held or []
        match = [h for h in held if h["source"] == source]
        if not match:
            names = ", ".join(h["source"] for h in held) or "无 none"
            raise LookupError(
                f"{source} 在运行 {run_id} 中未被暂缓 was not held in run {run_id} "
                f"(held there: {names})"
            )
        return {**match[0], "extracts": extracts, "as_of": as_of}

    def record_acceptance(self, run_id: str, source: str, by: str, reason: str) -> dict:
        """Accept the delivery of `source` held in run `run_id` (see `held_delivery`);
        the next run that finds that file takes it. Returns the held delivery."""
        held = self.held_delivery(run_id, source)
        earlier = self.con.execute(
            "SELECT accepted_by, accepted_at FROM delivery_acceptances "
            "WHERE source = ? AND checksum = ?",
            [source, held["checksum"]],
        ).fetchone()
        if earlier is not None:
            raise LookupError(
                f"{source}: 此文件已被接受 this file was accepted already by {earlier[0]} "
                f"at {earlier[1]:%Y-%m-%d %H:%M}"
            )
        self.con.execute(
            "INSERT INTO delivery_acceptances VALUES (?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [source, held["file"], held["checksum"], run_id, held["reason"], by, reason],
        )
        return held

    def _has_table(self, table: str) -> bool:
        (found,) = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'",
            [table],
        ).fetchone()
        return bool(found)


class WarehouseSnapshots:
    """The connectors' view of the snapshots (`connectors.Snapshots`)."""

    def __init__(self, warehouse: Warehouse) -> None:
        self._warehouse = warehouse
        self._checksums = warehouse.snapshot_checksums()

    def checksum(self, source: str) -> str | None:
        return self._checksums.get(source)

    def load(self, source: str) -> SourceRead | None:
        return self._warehouse.load_snapshot(source) if source in self._checksums else None


# Accepted deliveries in the audit trail (the table is absent in an older database).
_ACCEPTANCES_TRAIL = """
            UNION ALL
            SELECT accepted_at, accepted_by, 'delivery_accepted',
                   '接受暂缓文件 accepted held file ' || source || ' ' || file
                   || ' (' || left(checksum, 12) || '…)，理由 ' || reason, run_id
            FROM delivery_acceptances WHERE ? IS NULL OR accepted_at >= ?
"""


def _literal(text: str | None) -> str:
    """A SQL string literal for our own constant comments (DDL takes no parameters)."""
    return "'" + (text or "").replace("'", "''") + "'"


class AlreadyDecided(LookupError):
    """The record pair was decided before, with the same fingerprint."""


class WrongKey(RuntimeError):
    """The key does not open this database."""


def httpfs_extension() -> Path:
    """The httpfs extension shipped by the `duckdb-ext-httpfs` wheel: DuckDB needs its
    OpenSSL to write encrypted files, and this machine cannot download extensions."""
    import duckdb_ext  # the wheel's package

    version = duckdb.__version__
    found = sorted(
        Path(duckdb_ext.__path__[0]).glob(f"extensions/v{version}/*/httpfs.duckdb_extension")
    )
    if not found:
        raise RuntimeError(
            f"httpfs extension for DuckDB {version} not installed (duckdb-ext-httpfs)"
        )
    return found[0]


def _offline_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory connection with httpfs (its OpenSSL encrypts and decrypts) loaded from
    the wheel, and extension auto-install off: otherwise the first encrypted block read
    makes DuckDB try to download httpfs, which hangs on retries on an offline machine."""
    con = duckdb.connect(
        config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    )
    con.execute(f"LOAD {_literal(str(httpfs_extension()))}")
    return con


def connect_database(
    path: Path, read_only: bool = True, key: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection with the restricted database attached (decrypted with the key) as the
    default catalog. The key goes in through a session variable reset right after ATTACH,
    so no SQL text, setting or catalog view ever holds it."""
    key = database_key() if key is None else key
    con = _offline_connection()
    try:
        mode = ", READ_ONLY" if read_only else ""
        con.execute("SET VARIABLE pensionlink_key = ?", [key])
        try:
            con.execute(
                f"ATTACH {_literal(str(path))} AS warehouse "
                f"(ENCRYPTION_KEY getvariable('pensionlink_key'){mode})"
            )
        except duckdb.CatalogException as exc:
            if "not encrypted" not in str(exc) or not read_only:
                raise
            log.warning("%s is not encrypted yet; the next run encrypts it", Path(path).name)
            con.execute(f"ATTACH {_literal(str(path))} AS warehouse (READ_ONLY)")
        except duckdb.IOException as exc:
            if "encryption key" in str(exc).lower():
                raise WrongKey(f"{path}: the database key does not open this database") from None
            raise
        finally:
            con.execute("RESET VARIABLE pensionlink_key")
        con.execute("USE warehouse")
    except BaseException:
        con.close()
        raise
    return con


def is_encrypted(path: Path) -> bool:
    """Whether a database file is encrypted (an older version's file is not)."""
    con = _offline_connection()
    try:
        con.execute(f"ATTACH {_literal(str(path))} AS probe (READ_ONLY)")
        return False
    except duckdb.CatalogException as exc:
        if "encrypted" in str(exc):
            return True
        raise
    finally:
        con.close()


def encrypt_file(path: Path, key: str) -> None:
    """Rewrite an unencrypted database file (from before encryption) encrypted, in place."""
    target = path.with_name(path.name + ".encrypting")
    target.unlink(missing_ok=True)
    con = _offline_connection()
    try:
        con.execute(f"ATTACH {_literal(str(path))} AS plain (READ_ONLY)")
        con.execute("SET VARIABLE pensionlink_key = ?", [key])
        try:
            con.execute(
                f"ATTACH {_literal(str(target))} AS sealed "
                "(ENCRYPTION_KEY getvariable('pensionlink_key'))"
            )
        finally:
            con.execute("RESET VARIABLE pensionlink_key")
        con.execute("COPY FROM DATABASE plain TO sealed")
        con.execute("DETACH sealed")
    finally:
        con.close()
    os.replace(target, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)  # copied into the new file
    log.warning("encrypted %s (it was written by an older version)", path.name)


@contextmanager
def open_warehouse(path: Path, read_only: bool = False) -> Iterator[Warehouse]:
    """Open the restricted database, creating the schema when writing. Writers should use
    `write_warehouse`, which never opens the live file for writing."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = connect_database(path, read_only=read_only)
    try:
        warehouse = Warehouse(con)
        if not read_only:
            warehouse.ensure_schema()
        yield warehouse
        if not read_only:
            con.execute("CHECKPOINT warehouse")
    finally:
        con.close()


def write_plain_database(
    path: Path, tables: Mapping[str, pl.DataFrame], comments: Mapping[str, Mapping[str, str]]
) -> None:
    """Replace the tables of an unencrypted database file (the analysts' copy) atomically;
    `comments[table]` maps each column — and "" the table — to its comment."""
    with staged_database(Path(path)) as staging:
        con = duckdb.connect(str(staging))
        con.execute("SET threads = 1")  # full row groups, as `write_warehouse`
        try:
            for table, frame in tables.items():
                # not `_arrow`: the analysts' tables as string views made DuckDB's Arrow scan print
                # Acero's 'poorly aligned' warning on the operator's console
                con.register("incoming", frame.to_arrow())
                con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM incoming")
                con.unregister("incoming")
                for column, note in comments.get(table, {}).items():
                    if not note:
                        continue
                    target = f"TABLE {table}" if column == "" else f'COLUMN {table}."{column}"'
                    con.execute(f"COMMENT ON {target} IS {_literal(note)}")
            con.execute("CHECKPOINT")
        finally:
            con.close()


@contextmanager
def write_warehouse(path: Path) -> Iterator[Warehouse]:
    """Change the database without ever opening the live file for writing: the block
    works on a staged copy that replaces the live file atomically when the block ends
    (`pensionlink.warehouse.publication`), or is thrown away if it raises."""
    key = database_key()  # before anything is copied: no key, no run
    with staged_database(Path(path)) as staging:
        if staging.exists() and not is_encrypted(staging):
            encrypt_file(staging, key)
        with open_warehouse(staging) as warehouse:
            # One thread writes full row groups: measured on a 150,000-person first night,
            # publish 2.7–3.1 → 2.4–2.5 s and the file 59 → 44 MB, against DuckDB's two.
            warehouse.con.execute("SET threads = 1")
            yield warehouse


def publish_night(
    db: Path,
    run: pl.DataFrame,
    tables: Mapping[str, pl.DataFrame],
    accepted: Mapping[str, SourceRead] | None = None,
) -> str:
    """Publish a night into the database at `db` through a staged copy (`Warehouse.publish`);
    returns the run's status."""
    pending = pending_stage_times(db)  # earlier runs' stage times, folded in on the way
    with write_warehouse(db) as warehouse:
        for earlier, stages in pending.items():
            warehouse.record_stages(earlier, stages)
        status = warehouse.publish(run, tables, accepted)
    forget_stage_times(db, pending)
    return status


def record_stages(db: Path, run_id: str, stages: Sequence[tuple[str, float]]) -> None:
    """Keep a published run's full stage timings (those after its row was written too)
    beside the database until the next publish folds them into `runs.stages`
    (`stage_times`): no copy of the whole database for a few numbers."""
    keep_stage_times(db, run_id, stages)


def stages_of(db: Path, run_id: str, recorded: Sequence[tuple[str, float]]) -> Stages:
    """A run's stages: those kept beside the database if any, else `recorded` (its row's)."""
    return pending_stage_times(db).get(run_id) or list(recorded)
