"""The case store (案件库): where staff decisions and the life of every case are kept.

A transactional database of its own, beside the warehouse, because the warehouse is
rebuilt by each night while staff record decisions at any hour: a decision written here
is never lost and never waits for more than the night's one short write. Two backends,
one interface: SQLite in WAL mode (the default, `<warehouse>.cases.sqlite` beside the
warehouse) or PostgreSQL through psycopg 3 (`PENSIONLINK_CASE_STORE=postgresql://…`;
a path there names another SQLite file).

Every SQL statement of the case store is in this module: named query builders return
(`Statement`) text with `?` placeholders and their parameters, and one executor runs them
(turning `?` into `%s` for PostgreSQL). The store holds pseudonymous person keys only
(`pensionlink.cases.keys`), never a citizen ID or a name. Events are append-only, enforced
by triggers in both backends. The schema carries its version; migrations run on open.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import polars as pl

from pensionlink.cases.model import CASE_SCHEMA, EVENT_SCHEMA, NIGHT_SCHEMA, SYSTEM, NightChanges

__all__ = [
    "CASE_STORE_ENV",
    "CaseStore",
    "CaseStoreBusy",
    "Statement",
    "case_store_location",
    "migrations",
    "open_case_store",
]

log = logging.getLogger(__name__)

CASE_STORE_ENV = "PENSIONLINK_CASE_STORE"
BUSY_SECONDS = 60  # how long a writer waits for another's transaction (the night's is short)

# Columns a transition or a night may change; the rest are fixed when a case opens.
MUTABLE = (
    "state",
    "fingerprint",  # a case to verify follows tonight's evidence (what staff will verify)
    "last_seen_run",
    "last_seen_on",
    "closed_run",
    "closed_on",
    "close_reason",
    "notice_date",
    "objection_until",
    "amount_recovered_fen",
    "outcome",
    "balance_since",
)
CASE_COLUMNS = tuple(CASE_SCHEMA)
EVENT_COLUMNS = tuple(c for c in EVENT_SCHEMA if c != "event_id")
REVIEW_COLUMNS = (
    "review_id",
    "source",
    "record_key",
    "person_key",
    "decision",
    "decided_by",
    "decided_at",
    "note",
)


class CaseStoreBusy(RuntimeError):
    """Another writer held the store longer than the busy timeout."""


class CaseStoreUnreachable(RuntimeError):
    """The store cannot be opened (the message names where, never a password)."""


@dataclass(frozen=True)
class Statement:
    """One SQL statement with `?` placeholders and its parameters (or rows, for many)."""

    sql: str
    params: tuple = ()
    many: Sequence[tuple] | None = field(default=None)


# --- the schema and its migrations -------------------------------------------------

_CASES_DDL = """
CREATE TABLE cases (
    case_id              TEXT PRIMARY KEY,
    kind                 TEXT NOT NULL,
    number               INTEGER NOT NULL,
    basis                TEXT NOT NULL,
    person_key           TEXT NOT NULL,
    state                TEXT NOT NULL,
    fingerprint          TEXT,
    refers_to            TEXT,
    opened_run           TEXT NOT NULL,
    opened_on            TEXT NOT NULL,
    last_seen_run        TEXT,
    last_seen_on         TEXT,
    closed_run           TEXT,
    closed_on            TEXT,
    close_reason         TEXT,
    notice_date          TEXT,
    objection_until      TEXT,
    amount_due_fen       BIGINT,
    amount_recovered_fen BIGINT NOT NULL DEFAULT 0,
    outcome              TEXT,
    balance_since        TEXT,
    UNIQUE (kind, number)
)"""
_EVENTS_TEMPLATE = """
CREATE TABLE case_events (
    event_id   {event_id},
    case_id    TEXT NOT NULL REFERENCES cases (case_id),
    at         TEXT NOT NULL,
    by_name    TEXT NOT NULL,
    role       TEXT NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT,
    note       TEXT,
    amount_fen BIGINT,
    outcome    TEXT,
    run_id     TEXT
)"""
#: The events table per backend: only the self-numbering key is spelled differently.
_EVENTS_DDL = {
    "sqlite": _EVENTS_TEMPLATE.format(event_id="INTEGER PRIMARY KEY AUTOINCREMENT"),
    "postgresql": _EVENTS_TEMPLATE.format(event_id="BIGSERIAL PRIMARY KEY"),
}
_OTHER_DDL = (
    "CREATE TABLE nights (run_id TEXT PRIMARY KEY, as_of TEXT NOT NULL, "
    "written_at TEXT NOT NULL, moved INTEGER NOT NULL)",
    "CREATE TABLE review_decisions (review_id TEXT, source TEXT NOT NULL, "
    "record_key TEXT NOT NULL, person_key TEXT, decision TEXT NOT NULL, "
    "decided_by TEXT NOT NULL, decided_at TEXT NOT NULL, note TEXT)",
    "CREATE INDEX cases_person ON cases (kind, person_key)",
    "CREATE INDEX case_events_case ON case_events (case_id)",
)
_APPEND_ONLY = {
    "sqlite": tuple(
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only (只增不改)'); END"
        for table in ("case_events", "review_decisions")
        for verb in ("UPDATE", "DELETE")
    ),
    "postgresql": (
        "CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only (只增不改)', TG_TABLE_NAME; END $$",
        *(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION append_only()"
            for table in ("case_events", "review_decisions")
        ),
        *(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION append_only()"
            for table in ("case_events", "review_decisions")
        ),
    ),
}


# Version 2: the desk's people (用户), their sessions and the audit of what they saw and
# did (访问与操作记录, PIPL). The audit is append-only like the events.
_DESK_TEMPLATE = (
    "CREATE TABLE desk_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, township TEXT, "
    "village TEXT, password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, "
    "created_at TEXT NOT NULL)",
    "CREATE TABLE desk_sessions (token_hash TEXT PRIMARY KEY, "
    "user_name TEXT NOT NULL REFERENCES desk_users (name), csrf_token TEXT NOT NULL, "
    "created_at TEXT NOT NULL, expires_at TEXT NOT NULL)",
    "CREATE TABLE desk_audit (audit_id {audit_id}, at TEXT NOT NULL, who TEXT NOT NULL, "
    "what TEXT NOT NULL, ref TEXT, detail TEXT, client TEXT)",
    "CREATE INDEX desk_audit_who ON desk_audit (what, who, at)",
)
_DESK_DDL = {
    dialect: tuple(sql.format(audit_id=key) for sql in _DESK_TEMPLATE)
    for dialect, key in (
        ("sqlite", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        ("postgresql", "BIGSERIAL PRIMARY KEY"),
    )
}
_DESK_APPEND_ONLY = {
    "sqlite": tuple(
        f"CREATE TRIGGER desk_audit_no_{verb.lower()} BEFORE {verb} ON desk_audit "
        f"BEGIN SELECT RAISE(ABORT, 'desk_audit is append-only (只增不改)'); END"
        for verb in ("UPDATE", "DELETE")
    ),
    "postgresql": (
        "CREATE TRIGGER desk_audit_no_change BEFORE UPDATE OR DELETE ON desk_audit "
        "FOR EACH ROW EXECUTE FUNCTION append_only()",
        "CREATE TRIGGER desk_audit_no_truncate BEFORE TRUNCATE ON desk_audit "
        "FOR EACH STATEMENT EXECUTE FUNCTION append_only()",
    ),
}


def migrations(dialect: str) -> list[tuple[int, tuple[str, ...]]]:
    """Each schema version and the statements that reach it from the one before."""
    return [
        (1, (_CASES_DDL, _EVENTS_DDL[dialect], *_OTHER_DDL, *_APPEND_ONLY[dialect])),
        (2, (*_DESK_DDL[dialect], *_DESK_APPEND_ONLY[dialect])),
    ]


# --- query builders ----------------------------------------------------------------


def _insert(table: str, columns: Sequence[str], rows: Sequence[tuple]) -> Statement:
    marks = ", ".join("?" for _ in columns)
    return Statement(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", many=rows)


def all_cases() -> Statement:
    return Statement(f"SELECT {', '.join(CASE_COLUMNS)} FROM cases ORDER BY case_id")


def one_case(case_id: str, lock: bool) -> Statement:
    suffix = " FOR UPDATE" if lock else ""
    return Statement(
        f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE case_id = ?{suffix}", (case_id,)
    )


def cases_of_person(person_key: str, lock: bool) -> Statement:
    suffix = " FOR UPDATE" if lock else ""
    return Statement(
        f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE person_key = ? "
        f"ORDER BY case_id{suffix}",
        (person_key,),
    )


def last_number(kind: str) -> Statement:
    return Statement("SELECT coalesce(max(number), 0) FROM cases WHERE kind = ?", (kind,))


def months_read(kind: str, actions: Sequence[str]) -> Statement:
    """(case_id, outcome) of the night's month events (a ledger's months read) on cases
    of `kind`."""
    marks = ", ".join("?" for _ in actions)
    return Statement(
        f"SELECT e.case_id, e.outcome FROM case_events e JOIN cases c ON c.case_id = e.case_id "
        f"WHERE c.kind = ? AND e.action IN ({marks}) ORDER BY e.event_id",
        (kind, *actions),
    )


def last_event_id() -> Statement:
    return Statement("SELECT coalesce(max(event_id), 0) FROM case_events")


def change_mark() -> Statement:
    """The newest event and the number of nights: every change to a case comes with an
    event, or with a night."""
    return Statement(
        "SELECT (SELECT coalesce(max(event_id), 0) FROM case_events), (SELECT count(*) FROM nights)"
    )


def cases_touched_after(event_id: int) -> Statement:
    """The cases with an event after `event_id` (as they are now)."""
    return Statement(
        f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE case_id IN "
        "(SELECT case_id FROM case_events WHERE event_id > ?) ORDER BY case_id",
        (event_id,),
    )


def staff_cases_after(event_id: int) -> Statement:
    """Cases with a staff (not system) event after `event_id`."""
    return Statement(
        "SELECT DISTINCT case_id FROM case_events WHERE event_id > ? AND role <> ?",
        (event_id, SYSTEM),
    )


def events_of(case_id: str | None) -> Statement:
    columns = ", ".join(("event_id", *EVENT_COLUMNS))
    if case_id is None:
        return Statement(f"SELECT {columns} FROM case_events ORDER BY event_id")
    return Statement(
        f"SELECT {columns} FROM case_events WHERE case_id = ? ORDER BY event_id", (case_id,)
    )


def all_nights() -> Statement:
    return Statement("SELECT run_id, as_of, written_at, moved FROM nights ORDER BY as_of, run_id")


def night_of(run_id: str) -> Statement:
    return Statement("SELECT run_id FROM nights WHERE run_id = ?", (run_id,))


def latest_night() -> Statement:
    return Statement("SELECT max(as_of) FROM nights WHERE moved = 1")


def record_night(run_id: str, as_of: dt.date, moved: bool) -> Statement:
    return Statement(
        "INSERT INTO nights (run_id, as_of, written_at, moved) VALUES (?, ?, ?, ?)",
        (run_id, as_of.isoformat(), _now(), int(moved)),
    )


def update_cases(rows: Sequence[tuple]) -> Statement:
    sets = ", ".join(f"{c} = ?" for c in MUTABLE)
    return Statement(f"UPDATE cases SET {sets} WHERE case_id = ?", many=rows)


def insert_cases(rows: Sequence[tuple]) -> Statement:
    return _insert("cases", CASE_COLUMNS, rows)


def insert_events(rows: Sequence[tuple]) -> Statement:
    return _insert("case_events", EVENT_COLUMNS, rows)


def review_decisions() -> Statement:
    return Statement(
        f"SELECT {', '.join(REVIEW_COLUMNS)} FROM review_decisions ORDER BY decided_at, review_id"
    )


def earlier_review(source: str, record_key: str, person_key: str | None) -> Statement:
    return Statement(
        "SELECT decided_at, decided_by, decision FROM review_decisions WHERE source = ? "
        "AND record_key = ? "
        "AND (person_key = ? OR (person_key IS NULL AND CAST(? AS TEXT) IS NULL)) "
        "ORDER BY decided_at LIMIT 1",
        (source, record_key, person_key, person_key),
    )


def insert_reviews(rows: Sequence[tuple]) -> Statement:
    return _insert("review_decisions", REVIEW_COLUMNS, rows)


def review_keys() -> Statement:
    return Statement("SELECT source, record_key, person_key FROM review_decisions")


USER_COLUMNS = ("name", "role", "township", "village", "password_hash", "disabled", "created_at")
AUDIT_COLUMNS = ("at", "who", "what", "ref", "detail", "client")


def desk_user(name: str) -> Statement:
    return Statement(f"SELECT {', '.join(USER_COLUMNS)} FROM desk_users WHERE name = ?", (name,))


def desk_users() -> Statement:
    return Statement(f"SELECT {', '.join(USER_COLUMNS)} FROM desk_users ORDER BY name")


def insert_desk_user(row: tuple) -> Statement:
    return _insert("desk_users", USER_COLUMNS, [row])


def disable_desk_user(name: str) -> Statement:
    return Statement("UPDATE desk_users SET disabled = 1 WHERE name = ?", (name,))


def end_user_sessions(name: str) -> Statement:
    return Statement("DELETE FROM desk_sessions WHERE user_name = ?", (name,))


def insert_desk_session(row: tuple) -> Statement:
    columns = ("token_hash", "user_name", "csrf_token", "created_at", "expires_at")
    return _insert("desk_sessions", columns, [row])


def desk_session(token_hash: str, now: str) -> Statement:
    """The live session with its user (only an enabled user's)."""
    return Statement(
        "SELECT s.csrf_token, s.expires_at, "
        + ", ".join(f"u.{c}" for c in USER_COLUMNS)
        + " FROM desk_sessions s JOIN desk_users u ON u.name = s.user_name "
        "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
        (token_hash, now),
    )


def end_desk_session(token_hash: str) -> Statement:
    return Statement("DELETE FROM desk_sessions WHERE token_hash = ?", (token_hash,))


def expired_sessions(now: str) -> Statement:
    return Statement("DELETE FROM desk_sessions WHERE expires_at <= ?", (now,))


def insert_audit(rows: Sequence[tuple]) -> Statement:
    return _insert("desk_audit", AUDIT_COLUMNS, rows)


def audit_count(what: str, since: str, who: str | None, client: str | None) -> Statement:
    """How many audit rows of `what` since `since` by `who` or from `client`."""
    return Statement(
        "SELECT count(*) FROM desk_audit WHERE what = ? AND at >= ? AND (who = ? OR client = ?)",
        (what, since, who, client),
    )


def audit_count_from(what: str, since: str, who: str, client: str) -> Statement:
    """How many audit rows of `what` since `since` by `who` from `client` (both)."""
    return Statement(
        "SELECT count(*) FROM desk_audit WHERE what = ? AND at >= ? AND who = ? AND client = ?",
        (what, since, who, client),
    )


def audit_rows() -> Statement:
    return Statement(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM desk_audit ORDER BY audit_id")


def schema_table(dialect: str) -> Statement:
    """One row: 1 if the version table exists (each backend's own catalogue)."""
    if dialect == "sqlite":
        return Statement(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        )
    return Statement(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = 'schema_version'"
    )


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="microseconds")


# --- backends ------------------------------------------------------------------------


class _Backend(Protocol):
    """What the store needs of a database: run a statement, a transaction, close."""

    dialect: str

    def execute(self, st: Statement) -> list[tuple]: ...

    def transaction(self, exclusive: bool) -> contextlib.AbstractContextManager[None]: ...

    def close(self) -> None: ...


class _SQLite:
    dialect = "sqlite"

    def __init__(self, path: Path, busy_seconds: float = BUSY_SECONDS) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.con = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None)
        except (OSError, sqlite3.OperationalError) as exc:
            raise CaseStoreUnreachable(f"{path}: {type(exc).__name__}") from None
        self.con.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
        self.con.execute("PRAGMA journal_mode = WAL")
        self.con.execute("PRAGMA synchronous = FULL")
        self.con.execute("PRAGMA foreign_keys = ON")
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)  # pseudonymous, but still about people

    def execute(self, st: Statement) -> list[tuple]:
        try:
            if st.many is not None:
                self.con.executemany(st.sql, st.many)
                return []
            return self.con.execute(st.sql, st.params).fetchall()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise CaseStoreBusy(_BUSY) from None
            raise

    @contextlib.contextmanager
    def transaction(self, exclusive: bool) -> Iterator[None]:
        # IMMEDIATE: the write lock is taken at BEGIN, so a transaction never fails half way
        # for a writer that came in between; readers (WAL) are never blocked.
        self.execute(Statement("BEGIN IMMEDIATE"))
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()


class _Postgres:
    dialect = "postgresql"

    def __init__(self, url: str, busy_seconds: float = BUSY_SECONDS) -> None:
        import psycopg  # only when a PostgreSQL store is configured

        self.psycopg = psycopg
        try:
            self.con = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError:
            where = url.rsplit("@", 1)[-1]  # host/database only: never the password
            raise CaseStoreUnreachable(f"PostgreSQL {where}") from None
        self.con.execute(f"SET lock_timeout = '{int(busy_seconds * 1000)}ms'")

    def execute(self, st: Statement) -> list[tuple]:
        sql = st.sql.replace("?", "%s")
        try:
            with self.con.cursor() as cur:
                if st.many is not None:
                    if st.many:
                        cur.executemany(sql, st.many)
                    return []
                if st.params:
                    cur.execute(sql, st.params)
                else:  # DDL and plain reads: no placeholders (a trigger's text has '%')
                    cur.execute(st.sql)
                return cur.fetchall() if cur.description else []
        except self.psycopg.errors.LockNotAvailable:
            raise CaseStoreBusy(_BUSY) from None

    @contextlib.contextmanager
    def transaction(self, exclusive: bool) -> Iterator[None]:
        with self.con.transaction():
            if exclusive:  # the night: no other writer on cases meanwhile; readers go on
                self.execute(Statement("LOCK TABLE cases IN EXCLUSIVE MODE"))
            yield

    def close(self) -> None:
        self.con.close()


_BUSY = (
    "案件库忙（夜间写入未结束），请稍后重试 the case store is busy "
    "(a night is writing); try again in a minute"
)


# --- the store -----------------------------------------------------------------------


class CaseStore:
    """The case store behind one interface, whichever backend holds it."""

    def __init__(self, backend: _Backend) -> None:
        self._db = backend

    @property
    def dialect(self) -> str:
        return self._db.dialect

    def migrate(self) -> int:
        """Bring the schema to the newest version; returns it. Only a store that needs a
        migration is locked for it (opening to read or act never waits for a night)."""
        newest = max(v for v, _ in migrations(self.dialect))
        if self._version() >= newest:
            return newest
        with self._db.transaction(exclusive=False):
            if self.dialect == "postgresql":  # two first opens at once: one migrates
                self._db.execute(Statement("SELECT pg_advisory_xact_lock(16)"))
            self._db.execute(
                Statement("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            )
            current = self._version()  # again, under the lock: another may have migrated
            for version, statements in migrations(self.dialect):
                if version <= current:
                    continue
                for sql in statements:
                    self._db.execute(Statement(sql))
                self._db.execute(
                    Statement("INSERT INTO schema_version (version) VALUES (?)", (version,))
                )
        return newest

    def _version(self) -> int:
        found = self._db.execute(schema_table(self.dialect))
        if not found or not found[0][0]:
            return 0
        return self._db.execute(Statement("SELECT max(version) FROM schema_version"))[0][0] or 0

    def schema_version(self) -> int:
        return self._db.execute(Statement("SELECT max(version) FROM schema_version"))[0][0]

    # reading
    def cases(self) -> pl.DataFrame:
        return _frame(self._db.execute(all_cases()), CASE_SCHEMA)

    def case(self, case_id: str) -> dict | None:
        rows = self._db.execute(one_case(case_id, lock=False))
        return _frame(rows, CASE_SCHEMA).row(0, named=True) if rows else None

    def last_event_id(self) -> int:
        """The newest event's id (0 when there is none)."""
        return int(self._db.execute(last_event_id())[0][0])

    def change_mark(self) -> tuple[int, int]:
        """(newest event id, number of nights): changes whenever any case may have."""
        newest, nights = self._db.execute(change_mark())[0]
        return int(newest), int(nights)

    def cases_touched_after(self, event_id: int) -> pl.DataFrame:
        """The cases with an event after `event_id`, as they are now."""
        return _frame(self._db.execute(cases_touched_after(event_id)), CASE_SCHEMA)

    def staff_cases_after(self, event_id: int) -> frozenset[str]:
        """Cases a person acted on after event `event_id`."""
        return frozenset(r[0] for r in self._db.execute(staff_cases_after(event_id)))

    def last_number(self, kind: str) -> int:
        """The highest case number of `kind` so far (0: none yet)."""
        return int(self._db.execute(last_number(kind))[0][0])

    def months_read(self, kind: str, actions: Sequence[str]) -> pl.DataFrame:
        """(case_id, outcome) of every `actions` event on cases of `kind` (the months an
        advance's ledger has read)."""
        return _frame(
            self._db.execute(months_read(kind, actions)),
            {"case_id": pl.String, "outcome": pl.String},
        )

    def events(self, case_id: str | None = None) -> pl.DataFrame:
        return _frame(self._db.execute(events_of(case_id)), EVENT_SCHEMA)

    def nights(self) -> pl.DataFrame:
        return _frame(self._db.execute(all_nights()), NIGHT_SCHEMA)

    # the night
    def write_night(
        self,
        run_id: str,
        as_of: dt.date,
        lifecycle: Callable[[pl.DataFrame], NightChanges],
    ) -> NightChanges | None:
        """The night's one short transaction: `lifecycle` (pure) turns the cases as they
        are at this moment — staff decisions up to now included — into the night's
        changes, which are written with the night's row. A run already written (same
        run_id) writes nothing; a night older than the latest moved night (a back-fill)
        is recorded but moves no case. Returns the changes written (None if none)."""
        started = time.perf_counter()
        with self._db.transaction(exclusive=True):
            if self._db.execute(night_of(run_id)):
                return None
            latest = self._db.execute(latest_night())[0][0]
            if latest is not None and as_of.isoformat() < latest:
                self._db.execute(record_night(run_id, as_of, moved=False))
                log.info("back-filled night %s: cases not moved", as_of)
                return None
            changes = lifecycle(self.cases())
            self._db.execute(insert_cases(_rows(changes.opened, CASE_COLUMNS)))
            self._db.execute(update_cases(_rows(changes.updated, (*MUTABLE, "case_id"))))
            self._db.execute(insert_events(_rows(changes.events, EVENT_COLUMNS)))
            self._db.execute(record_night(run_id, as_of, moved=True))
        log.info("案件库夜间写入 night written in %.3f s", time.perf_counter() - started)
        return changes

    # staff
    def act(self, case_id: str, step: Callable[[dict], tuple[dict, dict]]) -> tuple[dict, dict]:
        """Record one staff action: `step` (pure, `pensionlink.cases.machine`) takes the
        case as it is now and returns its new values and the event, or raises `Refused`;
        both are written in one transaction with the case row locked."""
        with self._db.transaction(exclusive=False):
            rows = self._db.execute(one_case(case_id, lock=self.dialect == "postgresql"))
            if not rows:
                raise LookupError(f"没有此案件 no case {case_id} (see pensionlink cases list)")
            case = _frame(rows, CASE_SCHEMA).row(0, named=True)
            new, event = step(case)
            self._db.execute(update_cases([tuple(new[c] for c in (*MUTABLE, "case_id"))]))
            self._db.execute(insert_events([tuple(event.get(c) for c in EVENT_COLUMNS)]))
        return new, event

    def act_on_person(
        self, case_id: str, step: Callable[[dict, list[dict]], list[tuple[dict, dict]]]
    ) -> list[tuple[dict, dict]]:
        """Like `act`, for a step that reads the person's other cases and may change some
        (a subsidy payment offsetting an overpayment): `step` takes the case and the
        person's other cases and returns every changed case with its event; all are
        written in one transaction with the person's cases locked."""
        return self._act_on_person(case_id, lambda case, others, _: step(case, others), None)

    def act_opening(
        self,
        case_id: str,
        kind: str,
        prefix: str,
        step: Callable[[dict, list[dict], str], list[tuple[dict, dict]]],
    ) -> list[tuple[dict, dict]]:
        """Like `act_on_person`, for a step that opens a case of `kind` (an advance on an
        uninsured case): `step` also gets the new case's id (`prefix` + the next number of
        `kind`, numbered under the transaction's lock); a returned row with that id is
        inserted, the others updated."""
        return self._act_on_person(case_id, step, (kind, prefix))

    def _act_on_person(
        self,
        case_id: str,
        step: Callable[[dict, list[dict], str | None], list[tuple[dict, dict]]],
        opens: tuple[str, str] | None,
    ) -> list[tuple[dict, dict]]:
        lock = self.dialect == "postgresql"
        with self._db.transaction(exclusive=False):
            if lock and opens:  # two openings at once take the next number one by one
                self._db.execute(Statement("SELECT pg_advisory_xact_lock(17)"))
            rows = self._db.execute(one_case(case_id, lock=lock))
            if not rows:
                raise LookupError(f"没有此案件 no case {case_id} (see pensionlink cases list)")
            case = _frame(rows, CASE_SCHEMA).row(0, named=True)
            person = _frame(
                self._db.execute(cases_of_person(case["person_key"], lock)), CASE_SCHEMA
            )
            others = [c for c in person.to_dicts() if c["case_id"] != case_id]
            new_id = None
            if opens:
                kind, prefix = opens
                new_id = f"{prefix}{self._db.execute(last_number(kind))[0][0] + 1:06d}"
            changes = step(case, others, new_id)
            opened = [new for new, _ in changes if new["case_id"] == new_id]
            self._db.execute(insert_cases([tuple(new[c] for c in CASE_COLUMNS) for new in opened]))
            self._db.execute(
                update_cases(
                    [
                        tuple(new[c] for c in (*MUTABLE, "case_id"))
                        for new, _ in changes
                        if new["case_id"] != new_id
                    ]
                )
            )
            self._db.execute(
                insert_events([tuple(event.get(c) for c in EVENT_COLUMNS) for _, event in changes])
            )
        return changes

    # clerical review (人工复核) decisions
    def review_decisions(self) -> pl.DataFrame:
        return _frame(
            self._db.execute(review_decisions()),
            dict.fromkeys(REVIEW_COLUMNS, pl.String),
        )

    def record_review(self, row: dict) -> None:
        """Add one review decision; `AlreadyDecided`-style LookupError if the same record
        and candidate were decided before."""
        with self._db.transaction(exclusive=False):
            earlier = self._db.execute(
                earlier_review(row["source"], row["record_key"], row["person_key"])
            )
            if earlier:
                at, who, what = earlier[0]
                raise LookupError(
                    f"复核项 {row['review_id']} 已于 {at[:10]} 由 {who} 决定（{what}）"
                    f" already decided on {at[:10]} by {who} ({what}); not recorded again"
                )
            self._db.execute(
                insert_reviews([tuple({**row, "decided_at": _now()}[c] for c in REVIEW_COLUMNS)])
            )

    def audit_trail(self) -> pl.DataFrame:
        """Staff's review decisions, case actions and what they did at the desk (logins,
        views of a person's page, downloads) with who and when (处理记录), in the audit's
        columns (happened_at, who, action, detail, ref); the night's own events are in
        the runs."""
        reviews = self.review_decisions().select(
            happened_at=pl.col("decided_at").str.to_datetime(),
            who="decided_by",
            action=pl.lit("review_decision"),
            detail=pl.concat_str(
                "decision",
                pl.lit("，来源 "),
                "source",
                pl.concat_str(pl.lit("，"), "note").fill_null(""),
            ),
            ref="review_id",
        )
        events = (
            self.events()
            .filter(pl.col("role") != SYSTEM)
            .select(
                happened_at=pl.col("at").str.to_datetime(),
                who="by_name",
                action=pl.concat_str(pl.lit("case_"), "action"),
                detail=pl.concat_str(
                    pl.col("from_state"),
                    pl.lit(" → "),
                    "to_state",
                    pl.lit("，角色 "),
                    "role",
                    pl.concat_str(
                        pl.lit("，金额 "), (pl.col("amount_fen") / 100).round(2).cast(pl.String)
                    ).fill_null(""),
                    pl.concat_str(pl.lit("，"), "outcome").fill_null(""),
                    pl.concat_str(pl.lit("，"), "note").fill_null(""),
                ),
                ref="case_id",
            )
        )
        desk = self.desk_audit().select(
            happened_at=pl.col("at").str.to_datetime(),
            who="who",
            action=pl.concat_str(pl.lit("desk_"), "what"),
            detail=pl.concat_str(
                pl.col("detail").fill_null(""), pl.lit("，来自 "), pl.col("client").fill_null("?")
            ),
            ref="ref",
        )
        return pl.concat([reviews, events, desk])

    def import_reviews(self, frame: pl.DataFrame) -> int:
        """Copy in the warehouse's review decisions (from before the case store) that the
        store does not hold yet — one decision per record and candidate, so a decision
        recorded in the store before the first night never keeps the older ones out.
        Returns how many were copied."""
        if frame.is_empty():
            return 0
        same = ["source", "record_key", "person_key"]
        with self._db.transaction(exclusive=False):
            held = _frame(self._db.execute(review_keys()), dict.fromkeys(same, pl.String))
            missing = frame.join(held, on=same, how="anti", nulls_equal=True)
            if missing.height:
                self._db.execute(insert_reviews(_rows(missing, REVIEW_COLUMNS)))
        return missing.height

    # the desk's people, sessions and audit (用户、会话、访问记录)
    def add_user(self, row: dict) -> None:
        """Add a desk user (`USER_COLUMNS` but created_at); LookupError if the name exists."""
        with self._db.transaction(exclusive=False):
            if self._db.execute(desk_user(row["name"])):
                raise LookupError(f"用户 {row['name']} 已存在 user {row['name']} exists")
            full = {"disabled": 0, **row, "created_at": _now()}
            self._db.execute(insert_desk_user(tuple(full[c] for c in USER_COLUMNS)))

    def users(self) -> list[dict]:
        return [dict(zip(USER_COLUMNS, r, strict=True)) for r in self._db.execute(desk_users())]

    def user(self, name: str) -> dict | None:
        rows = self._db.execute(desk_user(name))
        return dict(zip(USER_COLUMNS, rows[0], strict=True)) if rows else None

    def disable_user(self, name: str) -> None:
        """Disable a user and end their sessions; LookupError if there is no such user."""
        with self._db.transaction(exclusive=False):
            if not self._db.execute(desk_user(name)):
                raise LookupError(f"没有此用户 no user {name}")
            self._db.execute(disable_desk_user(name))
            self._db.execute(end_user_sessions(name))

    def open_session(self, token_hash: str, user: str, csrf: str, expires_at: str) -> None:
        with self._db.transaction(exclusive=False):
            self._db.execute(expired_sessions(_now()))
            self._db.execute(insert_desk_session((token_hash, user, csrf, _now(), expires_at)))

    def session(self, token_hash: str) -> dict | None:
        """The session's user (with `csrf_token`, `expires_at`), None when it has expired,
        was ended or its user is disabled."""
        rows = self._db.execute(desk_session(token_hash, _now()))
        if not rows:
            return None
        return dict(zip(("csrf_token", "expires_at", *USER_COLUMNS), rows[0], strict=True))

    def end_session(self, token_hash: str) -> None:
        with self._db.transaction(exclusive=False):
            self._db.execute(end_desk_session(token_hash))

    def record_audit(
        self,
        who: str,
        what: str,
        ref: str | None = None,
        detail: str | None = None,
        client: str | None = None,
    ) -> None:
        """One audit row (who, when, what), never changed afterwards."""
        with self._db.transaction(exclusive=False):
            self._db.execute(insert_audit([(_now(), who, what, ref, detail, client)]))

    def audit_count(
        self, what: str, since: dt.datetime, who: str | None = None, client: str | None = None
    ) -> int:
        since_text = since.isoformat(timespec="microseconds")
        return int(self._db.execute(audit_count(what, since_text, who, client))[0][0])

    def audit_count_from(self, what: str, since: dt.datetime, who: str, client: str) -> int:
        since_text = since.isoformat(timespec="microseconds")
        return int(self._db.execute(audit_count_from(what, since_text, who, client))[0][0])

    def desk_audit(self) -> pl.DataFrame:
        return _frame(self._db.execute(audit_rows()), dict.fromkeys(AUDIT_COLUMNS, pl.String))

    def close(self) -> None:
        self._db.close()


def _rows(frame: pl.DataFrame, columns: Sequence[str]) -> list[tuple]:
    if frame.is_empty():
        return []
    return list(frame.select(columns).iter_rows())


def _frame(rows: list[tuple], schema: dict) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def case_store_location(db: Path) -> str:
    """Where the warehouse `db`'s case store is: `PENSIONLINK_CASE_STORE` (a path or a
    postgresql:// URL), else `<db>.cases.sqlite` beside it."""
    configured = os.environ.get(CASE_STORE_ENV)
    return configured or str(Path(db).with_name(Path(db).name + ".cases.sqlite"))


@contextlib.contextmanager
def open_case_store(
    location: str | Path, busy_seconds: float = BUSY_SECONDS
) -> Iterator[CaseStore]:
    """Open (creating and migrating) the case store at `location`; a write waits at most
    `busy_seconds` for another's transaction, then `CaseStoreBusy`."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        backend: _Backend = _Postgres(text, busy_seconds)
    else:
        backend = _SQLite(Path(text), busy_seconds)
    store = CaseStore(backend)
    try:
        store.migrate()
        yield store
    finally:
        store.close()
