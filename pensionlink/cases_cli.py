"""`pensionlink cases`: the cases staff work on across nights (案件办理).

`list` the cases (filters by kind, state, township; `--json`), `show CASE_ID` one case with
every event, `act CASE_ID ACTION --by NAME` record an action: exit 0 when recorded,
non-zero with one line when refused. IDs are shown masked. The case store is the truth
for states and events; who a case is about comes from the published warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from pensionlink.cases.advance import advance_step, apply_advance
from pensionlink.cases.machine import Refused, Request, step
from pensionlink.cases.model import KIND_PREFIX
from pensionlink.cases.store import (
    CaseStoreBusy,
    CaseStoreUnreachable,
    case_store_location,
    open_case_store,
)
from pensionlink.cases.subsidy import subsidy_step
from pensionlink.connectors.citizen_id import mask_citizen_id

__all__ = [
    "LIST_FIELDS",
    "act",
    "cases_app",
    "list_cases",
    "record_action",
    "with_case_store_trail",
]

cases_app = typer.Typer(no_args_is_help=True, help=__doc__)
DB = Annotated[Path, typer.Option(help="the warehouse")]
_LIST = (
    "case_id",
    "kind",
    "state",
    "citizen_id_masked",
    "township",
    "village",
    "opened_run",
    "last_seen_run",
    "new_tonight",
    "closed_run",
    "close_reason",
)
#: The fields of `list` (and of `--json`, and of the desk's API).
LIST_FIELDS = (*_LIST, "objection_until", "amount_due_fen", "amount_recovered_fen", "outcome")


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"pensionlink: {message}", err=True)
    return typer.Exit(code)


def list_cases(db: Path) -> pl.DataFrame:
    """Every case as the case store has it now, with who it is about (masked) from the
    warehouse's last published night."""
    from pensionlink.warehouse.queries import case_people, has_table
    from pensionlink.warehouse.store import open_warehouse

    with open_case_store(case_store_location(db)) as store:
        cases = store.cases()
        nights = store.nights()
    people = pl.DataFrame(
        schema={c: pl.String for c in ("case_id", "citizen_id", "township", "village")}
    )
    if Path(db).exists():
        with open_warehouse(db, read_only=True) as warehouse:
            if warehouse.frame(has_table("cases"))["n"][0]:
                people = warehouse.frame(case_people()).drop("name")
    latest = nights.filter(pl.col("moved") == 1)["as_of"].max()
    return (
        cases.join(people, on="case_id", how="left")
        .with_columns(
            citizen_id_masked=mask_citizen_id(pl.col("citizen_id")),
            new_tonight=(pl.col("opened_on") == latest).fill_null(False),
        )
        .select(LIST_FIELDS)
    )


def with_case_store_trail(trail: pl.DataFrame, db: Path, since: dt.date | None) -> pl.DataFrame:
    """The warehouse's audit trail with the case store's (review decisions, case actions),
    oldest first; a review decision copied over from the warehouse is listed once."""
    with open_case_store(case_store_location(db)) as store:
        more = store.audit_trail()
    if since is not None:
        more = more.filter(pl.col("happened_at") >= dt.datetime.combine(since, dt.time()))
    both = pl.concat([trail, more.cast(trail.schema)]) if trail.width else more
    return both.unique(maintain_order=True).sort("happened_at", maintain_order=True)


def record_action(
    db: Path,
    case_id: str,
    request: Request,
    on: dt.date | None = None,
    policy: Path | None = None,
) -> dict:
    """Record `request` on the case; the case's new values. `Refused`/`LookupError` with
    one line when it is not recorded."""
    from pensionlink.settings import PolicyError, load_policy

    try:
        in_force = load_policy(on or dt.date.today(), policy)
    except PolicyError as exc:
        raise Refused(str(exc)) from None
    days = in_force.objection_window_days
    ended = in_force.not_in_force("advance_cap")  # 垫付政策不在执行期: refused by name
    if request.action == "apply_advance" and ended:
        raise Refused(ended)

    def one(case: dict, others: list[dict]) -> list[tuple[dict, dict]]:
        if case["kind"] == "subsidy":
            return subsidy_step(
                case, others, request, events=store.events(case["case_id"]).to_dicts()
            )
        if case["kind"] == "advance":
            return [advance_step(case, request, events=store.events(case["case_id"]).to_dicts())]
        return [step(case, request, days)]

    with open_case_store(case_store_location(db)) as store:
        if request.action == "apply_advance":
            category = _category(db, case_id)
            fen = int(in_force.advance_amount * 100) if in_force.advance_amount else None

            def opening(case: dict, others: list[dict], new_id: str):
                return apply_advance(case, others, request, category, fen, new_id)

            changes = store.act_opening(case_id, "advance", KIND_PREFIX["advance"], opening)
            return changes[-1][0]  # the advance case opened
        changes = store.act_on_person(case_id, one)
    return changes[0][0]


def _category(db: Path, case_id: str) -> str | None:
    """The person's category in the warehouse's latest uninsured_eligible (None: not
    listed, or no published night)."""
    from pensionlink.warehouse.queries import case_category, has_table
    from pensionlink.warehouse.store import open_warehouse

    if not Path(db).exists():
        return None
    with open_warehouse(db, read_only=True) as warehouse:
        if not all(warehouse.frame(has_table(t))["n"][0] for t in ("cases", "uninsured_eligible")):
            return None
        found = warehouse.frame(case_category(case_id))
    return found["category"][0] if found.height else None


@cases_app.command("list")
def list_command(
    db: DB = Path("data/pensionlink.duckdb"),
    kind: Annotated[
        str | None, typer.Option(help="death | recovery | uninsured | subsidy | advance")
    ] = None,
    state: Annotated[str | None, typer.Option(help="a state, e.g. to_verify, closed")] = None,
    township: Annotated[str | None, typer.Option(help="乡镇街道")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="a JSON array")] = False,
) -> None:
    """The cases, open and closed."""
    frame = list_cases(db)
    for column, value in (("kind", kind), ("state", state), ("township", township)):
        if value is not None:
            frame = frame.filter(pl.col(column) == value)
    if as_json:
        typer.echo(json.dumps(frame.to_dicts(), ensure_ascii=False, default=str))
        return
    if frame.is_empty():
        typer.echo("没有案件 no cases")
        return
    typer.echo(f"案件 {frame.height} 件 cases (cases show CASE_ID for details)")
    for r in frame.iter_rows(named=True):
        typer.echo(
            f"  {r['case_id']}  {r['kind']:<9} {r['state']:<16} {r['citizen_id_masked'] or '—'}"
            f"  {r['township'] or ''}{r['village'] or ''}{'  新' if r['new_tonight'] else ''}"
        )


@cases_app.command()
def show(
    case_id: str,
    db: DB = Path("data/pensionlink.duckdb"),
    as_json: Annotated[bool, typer.Option("--json", help="JSON")] = False,
) -> None:
    """One case and every event on it."""
    found = list_cases(db).filter(pl.col("case_id") == case_id)
    if found.is_empty():
        raise _fail(f"没有此案件 no case {case_id} (see pensionlink cases list)", 2)
    with open_case_store(case_store_location(db)) as store:
        events = store.events(case_id).drop("event_id")
    case = found.row(0, named=True)
    if as_json:
        typer.echo(
            json.dumps({**case, "events": events.to_dicts()}, ensure_ascii=False, default=str)
        )
        return
    typer.echo(f"案件 {case_id}: {case['kind']} {case['state']} {case['citizen_id_masked'] or ''}")
    for key in (
        "township",
        "village",
        "opened_run",
        "last_seen_run",
        "closed_run",
        "close_reason",
        "objection_until",
        "outcome",
    ):
        if case[key] is not None:
            typer.echo(f"  {key}: {case[key]}")
    if case["amount_due_fen"] is not None:
        due, got = case["amount_due_fen"], case["amount_recovered_fen"] or 0
        words = ("垫付 advance", "已扣回及还款 repaid") if case["kind"] == "advance" else None
        due_word, got_word = words or ("应追回 due", "已追回 recovered")
        typer.echo(
            f"  {due_word} {due / 100:.2f}  {got_word} {got / 100:.2f}  "
            f"余额 balance {(due - got) / 100:.2f}"
        )
    typer.echo("  处理记录 events:")
    for e in events.iter_rows(named=True):
        amount = f" {e['amount_fen'] / 100:.2f}元" if e["amount_fen"] is not None else ""
        typer.echo(
            f"    {e['at'][:19]}  {e['by_name']}({e['role']})  {e['action']}  "
            f"{e['from_state'] or '—'} → {e['to_state']}{amount}"
            f"{'  ' + e['outcome'] if e['outcome'] else ''}"
            f"{'  ' + e['note'] if e['note'] else ''}"
        )


@cases_app.command("act")
def act(
    case_id: str,
    action: str,
    by: Annotated[str, typer.Option(help="who acts (经办人姓名)")],
    role: Annotated[str, typer.Option(help="clerk | township | finance | supervisor")] = "clerk",
    note: Annotated[str | None, typer.Option(help="why, what was seen")] = None,
    amount: Annotated[str | None, typer.Option(help="yuan, e.g. 120.50")] = None,
    outcome: Annotated[
        str | None, typer.Option(help="同意参保|拒绝参保|外出务工|已在外地参保")
    ] = None,
    on: Annotated[str | None, typer.Option(help="the day it happened (YYYY-MM-DD; today)")] = None,
    policy: Annotated[
        Path | None, typer.Option(help="policy TOML (the objection window); default: bundled")
    ] = None,
    applicant: Annotated[str | None, typer.Option(help="subsidy apply: 申请人姓名")] = None,
    relation: Annotated[str | None, typer.Option(help="subsidy apply: 与死者关系")] = None,
    override: Annotated[
        bool, typer.Option("--override", help="subsidy city_approve: 特批 (with --note)")
    ] = False,
    to: Annotated[str | None, typer.Option(help="subsidy pay: card | account")] = None,
    db: DB = Path("data/pensionlink.duckdb"),
) -> None:
    """Record an action on a case (every action is an event, never changed)."""
    try:
        day = dt.date.fromisoformat(on) if on else None
    except ValueError:
        raise _fail(f"--on: 日期格式应为 YYYY-MM-DD expected a date, not {on!r}", 2) from None
    request = Request(
        action, by, role, note, amount, outcome, day, applicant, relation, override, to
    )
    try:
        new = record_action(db, case_id, request, day, policy)
    except (Refused, LookupError, CaseStoreBusy) as exc:
        raise _fail(str(exc)) from None
    except CaseStoreUnreachable as exc:
        raise _fail(f"案件库无法连接 case store unreachable: {exc}") from None
    if new["case_id"] != case_id:  # an action that opened a case (apply_advance)
        typer.echo(
            f"已记录 recorded: {case_id} {action} by {by.strip()}；"
            f"新立案 opened {new['case_id']} → {new['state']}"
        )
        typer.echo(new["case_id"])
        return
    typer.echo(f"已记录 recorded: {case_id} {action} by {by.strip()} → {new['state']}")
