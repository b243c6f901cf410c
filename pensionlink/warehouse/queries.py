"""Named queries (查询): pure functions that build SQL text and its parameters.

Every read of the warehouse from outside `pensionlink.warehouse.store` is one of these, run by
`Warehouse.frame`, which takes a `Query` and nothing else: no module outside the
warehouse writes SQL, and values always travel as bound parameters, never in the text.
Table names are only ever the project's own (checked against `KNOWN_TABLES`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Query",
    "case_category",
    "case_events_of",
    "case_people",
    "coverage_trend",
    "death_cases_to_notify",
    "death_finding",
    "desk_review_items",
    "evaluation_rows",
    "has_column",
    "has_table",
    "hukou_namesakes",
    "latest_published_run",
    "latest_run_stages",
    "open_review_items",
    "person_records",
    "published_nights",
    "published_run",
    "queued_review_item",
    "report_rows",
    "run_dates",
    "set_run_stages",
    "subsidy_claim_deaths",
    "warehouse_review_decisions",
]

# The tables a report reads, and how each is read: its columns and its order.
_REPORTED = {
    "deaths_to_deregister": ("* EXCLUDE (run_id)", "township, village, name"),
    "uninsured_eligible": ("* EXCLUDE (run_id)", "township, village, category, name"),
    "duplicate_funeral_benefits": ("* EXCLUDE (run_id)", "township, village, name, kind"),
    "coverage_by_area": ("* EXCLUDE (run_id)", "township, village"),
    "agency_disagreements": ("* EXCLUDE (run_id)", "township, village, name, kind"),
    "cases": ("* EXCLUDE (run_id)", "township, village, opened_run, case_id"),
    "source_quality": (
        "agency, title, source, stale, note, rows_read, rows_rejected,\n"
        "       ids_valid, ids_repaired, ids_invalid, ids_mangled, ids_empty,\n"
        "       rows_linked, rows_unlinked, expectations, expectations_failed",
        "agency, source",
    ),
}
# Tables the evaluation of a generated night reads (its columns are named by the caller
# from its own constants, never from input).
_EVALUATED = (
    "deaths_to_deregister",
    "uninsured_eligible",
    "duplicate_funeral_benefits",
    "coverage_by_area",
    "agency_disagreements",
    "person_links",
    "review_queue",
)


@dataclass(frozen=True)
class Query:
    """SQL text and its bound parameters, as built by a function of this module."""

    sql: str
    params: tuple = ()


def latest_published_run() -> Query:
    """The latest night (not the latest run: a back-fill of an older night is run later)."""
    return Query(
        """
SELECT run_id, as_of, finished_at FROM runs
WHERE status = 'published' ORDER BY as_of DESC, finished_at DESC LIMIT 1
"""
    )


def latest_run_stages() -> Query:
    """The latest published run's stage timings (`runs.stages`, one row per stage in the
    order the run went through them), for the benchmark."""
    return Query(
        """
SELECT run_id, started_at, s.stage AS stage, s.seconds AS seconds
FROM (SELECT run_id, started_at, unnest(stages) AS s FROM (
    SELECT run_id, started_at, stages FROM runs WHERE status = 'published'
    ORDER BY as_of DESC, finished_at DESC LIMIT 1))
"""
    )


def published_run(run_id: str) -> Query:
    """A given run that wrote history (published or back-filled)."""
    return Query(
        """
SELECT run_id, as_of, finished_at FROM runs
WHERE run_id = ? AND status IN ('published', 'backfilled')
""",
        (run_id,),
    )


def report_rows(table: str, run_id: str | None = None) -> Query:
    """A finding table as the reports show it: the live table, or with `run_id` that
    run's rows of its history."""
    if table not in _REPORTED:
        raise ValueError(f"not a reported table: {table}")
    columns, order = _REPORTED[table]
    if run_id is None:
        return Query(f"SELECT {columns} FROM {table} ORDER BY {order}")
    source = f"(SELECT * FROM {table}_history WHERE run_id = ?)"
    return Query(f"SELECT {columns} FROM {source} ORDER BY {order}", (run_id,))


def coverage_trend(as_of: dt.date) -> Query:
    """One point per night (as-of date) and township up to `as_of`: the last run
    published for that night."""
    return Query(
        """
WITH per_run AS (
    SELECT r.as_of, r.finished_at, h.township,
           sum(h.residents_16_plus)::BIGINT AS residents_16_plus,
           sum(h.insured)::BIGINT AS insured,
           sum(h.uninsured_eligible)::BIGINT AS uninsured_eligible
    FROM coverage_by_area_history h JOIN runs r USING (run_id)
    WHERE r.status IN ('published', 'backfilled') AND r.as_of <= ?
    GROUP BY ALL
)
SELECT as_of, township, residents_16_plus, insured, uninsured_eligible,
       round(insured / residents_16_plus, 4) AS coverage_rate
FROM per_run
QUALIFY row_number() OVER (PARTITION BY as_of, township ORDER BY finished_at DESC) = 1
ORDER BY as_of, township
""",
        (as_of,),
    )


def run_recorded(run_id: str) -> Query:
    """The run of this id, if one was recorded (published or failed)."""
    return Query("SELECT run_id FROM runs WHERE run_id = ?", (run_id,))


def run_dates() -> Query:
    """Every run's id and the night (as-of date) it ran for, for the cases' flow per night."""
    return Query("SELECT run_id, as_of FROM runs ORDER BY as_of, started_at")


def death_cases_to_notify() -> Query:
    """Death cases waiting for the family's notice (state `confirmed`, 待告知) with their
    settlement row of tonight's deaths_to_deregister, whole IDs (the heirs' notice
    shows it); the case's own dates and id first."""
    return Query(
        """
SELECT c.case_id, c.state, c.notice_date, c.objection_until, c.nights_open,
       d.* EXCLUDE (run_id)
FROM cases c JOIN deaths_to_deregister d ON d.citizen_id = c.citizen_id
WHERE c.kind = 'death' AND c.state = 'confirmed'
ORDER BY d.township, d.village, c.case_id
"""
    )


def has_table(table: str) -> Query:
    """One row, `n`: 1 if the open database has the table (in its own catalogue)."""
    return Query(
        "SELECT count(*) AS n FROM duckdb_tables() "
        "WHERE database_name = current_database() AND table_name = ?",
        (table,),
    )


def has_column(table: str, column: str) -> Query:
    """One row, `n`: 1 if the open database's table has the column."""
    return Query(
        "SELECT count(*) AS n FROM duckdb_columns() WHERE database_name = current_database() "
        "AND table_name = ? AND column_name = ?",
        (table, column),
    )


def open_review_items() -> Query:
    """Tonight's queued pairs without a decision, the likeliest first."""
    return Query(
        "SELECT q.review_id, q.source, q.line_no, q.person_id, q.probability, q.reason "
        "FROM review_queue q LEFT JOIN review_decisions d USING (review_id) "
        "WHERE d.review_id IS NULL ORDER BY q.probability DESC"
    )


def warehouse_review_decisions() -> Query:
    """Every review decision the warehouse kept before the case store held them."""
    return Query(
        "SELECT review_id, source, record_key, person_id, decision, decided_by, decided_at, "
        "note FROM review_decisions ORDER BY decided_at"
    )


def queued_review_item(review_id: str) -> Query:
    """The queued pair `review_id` (no row if it is not in tonight's queue)."""
    return Query(
        "SELECT review_id, source, line_no, record_key, person_id FROM review_queue "
        "WHERE review_id = ?",
        (review_id,),
    )


def subsidy_claim_deaths() -> Query:
    """Each funeral subsidy claim's death as the latest night that listed it had it (the
    death leaves deaths_to_deregister once the roster is 终止; the claim goes on)."""
    return Query(
        """
WITH latest AS (
    SELECT h.citizen_id, h.death_date, h.pension_no, h.status_at_death
    FROM deaths_to_deregister_history h JOIN runs r USING (run_id)
    WHERE r.status IN ('published', 'backfilled', 'superseded')
    QUALIFY row_number() OVER (
        PARTITION BY h.citizen_id ORDER BY r.as_of DESC, r.finished_at DESC) = 1
)
SELECT c.case_id, l.death_date, l.pension_no, l.status_at_death
FROM cases c JOIN latest l ON l.citizen_id = c.citizen_id
WHERE c.kind = 'subsidy'
ORDER BY c.case_id
"""
    )


def case_events_of(kinds: Sequence[str]) -> Query:
    """The staff's and the night's events on cases of `kinds`, in order."""
    marks = ", ".join("?" for _ in kinds)
    return Query(
        f"""
SELECT e.case_id, e."at", e."by", e.role, e.action, e.from_state, e.to_state, e.note,
       e.amount, e.outcome
FROM case_events e JOIN cases c ON c.case_id = e.case_id
WHERE c.kind IN ({marks})
ORDER BY e.case_id, e."at"
""",
        tuple(kinds),
    )


def case_category(case_id: str) -> Query:
    """The category (类别) in tonight's uninsured_eligible of the person of case `case_id`."""
    return Query(
        "SELECT u.category FROM cases c JOIN uninsured_eligible u ON u.citizen_id = c.citizen_id "
        "WHERE c.case_id = ? LIMIT 1",
        (case_id,),
    )


def case_people() -> Query:
    """Who each published case is about (case_id, citizen_id, name, township, village)."""
    return Query("SELECT case_id, citizen_id, name, township, village FROM cases")


def published_nights() -> Query:
    """As-of dates with a run that published (or back-filled) them."""
    return Query(
        "SELECT DISTINCT as_of FROM runs WHERE status IN ('published', 'superseded', 'backfilled')"
    )


def evaluation_rows(table: str, columns: Sequence[str]) -> Query:
    """Columns (SQL expressions from the evaluator's own constants) of a live table."""
    if table not in _EVALUATED:
        raise ValueError(f"not an evaluated table: {table}")
    return Query(f"SELECT {', '.join(columns)} FROM {table}")


def set_run_stages(run_id: str, stages: Sequence[tuple[str, float]]) -> Query:
    """Replace a run's `stages` (each stage and its seconds, rounded as `run_frame` does)."""
    listed = [{"stage": n, "seconds": round(s, 3)} for n, s in stages]
    return Query(
        "UPDATE runs SET stages = CAST(?::JSON AS STRUCT(stage VARCHAR, seconds DOUBLE)[]) "
        "WHERE run_id = ?",
        (json.dumps(listed), run_id),
    )


#: Sources whose records of one person the desk shows beside a death (每个来源的记录).
PERSON_SOURCES = (
    "hukou",
    "death_certificates",
    "funeral",
    "medical_enrollment",
    "resident_roster",
    "visits",
)


def desk_review_items() -> Query:
    """Tonight's queued pairs not decided in the warehouse, with the candidate's township
    and village on the hukou (where the pair belongs), the likeliest first."""
    return Query(
        """
SELECT q.review_id, q.source, q.line_no, q.person_id, q.probability, q.weight,
       q.runner_up, q.reason, h.township, h.village
FROM review_queue q
LEFT JOIN review_decisions d USING (review_id)
LEFT JOIN (
    SELECT citizen_id, any_value(township) AS township, any_value(village) AS village
    FROM snapshots."hukou" GROUP BY citizen_id
) h ON h.citizen_id = q.person_id
WHERE d.review_id IS NULL
ORDER BY q.probability DESC, q.review_id
"""
    )


def person_records(source: str, citizen_id: str) -> Query:
    """One person's records in a source's last accepted delivery (its snapshot)."""
    if source not in PERSON_SOURCES:
        raise ValueError(f"not a source the desk shows: {source}")
    return Query(
        f'SELECT * FROM snapshots."{source}" WHERE citizen_id = ? ORDER BY line_no',
        (citizen_id,),
    )


def death_finding(citizen_id: str) -> Query:
    """Tonight's deaths_to_deregister row of one person (evidence, dates, settlement)."""
    return Query(
        "SELECT * EXCLUDE (run_id) FROM deaths_to_deregister WHERE citizen_id = ?",
        (citizen_id,),
    )


def hukou_namesakes(name: str, birth_date: object | None) -> Query:
    """People on the hukou with this name (and birth date, when the record has one): the
    candidates a reviewer weighs against each other for namesakes (同名同生日)."""
    columns = "citizen_id, name, sex, birth_date, township, village, hukou_status"
    if birth_date is None:
        return Query(
            f'SELECT {columns} FROM snapshots."hukou" WHERE name = ? ORDER BY citizen_id LIMIT 20',
            (name,),
        )
    return Query(
        f'SELECT {columns} FROM snapshots."hukou" WHERE name = ? AND birth_date = ? '
        "ORDER BY citizen_id LIMIT 20",
        (name, birth_date),
    )
