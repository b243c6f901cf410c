"""`pensionlink users`: who may use the desk (办理台用户).

`add NAME --role village|township|city|admin [--township T] [--village V]
--password-stdin` adds a user (the password read from standard input, never from the
command line, hashed with argon2); `list` shows them; `disable NAME` stops a user at once
(their sessions end). Users live in the case store beside the warehouse `--db`.
Imported by the main command line: nothing of the desk's web stack or argon2 at import.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pensionlink.cases.store import CaseStoreUnreachable, case_store_location, open_case_store

__all__ = ["users_app"]

users_app = typer.Typer(no_args_is_help=True, help=__doc__)
DB = Annotated[Path, typer.Option(help="the warehouse (its case store holds the users)")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"pensionlink: {message}", err=True)
    return typer.Exit(code)


@users_app.command("add")
def add(
    name: str,
    role: Annotated[str, typer.Option(help="village | township | city | admin")],
    township: Annotated[str | None, typer.Option(help="乡镇街道 (village, township)")] = None,
    village: Annotated[str | None, typer.Option(help="村社区 (village)")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    db: DB = Path("data/pensionlink.duckdb"),
) -> None:
    """Add a desk user."""
    if not password_stdin:
        raise _fail("须用 --password-stdin 输入密码 give the password on standard input", 2)
    password = sys.stdin.readline().rstrip("\r\n")
    # here, not at import: `pensionlink run` never waits on (or needs) the desk's argon2
    from pensionlink.desk.accounts import BadUser, new_user_row

    try:
        row = new_user_row(name, role, township, village, password)
        with open_case_store(case_store_location(db)) as store:
            store.add_user(row)
    except (BadUser, LookupError) as exc:
        raise _fail(str(exc)) from None
    except CaseStoreUnreachable as exc:
        raise _fail(f"案件库无法连接 case store unreachable: {exc}") from None
    typer.echo(
        f"已添加用户 added: {row['name']} ({role} {row['township'] or ''}{row['village'] or ''})"
    )


@users_app.command("list")
def list_users(db: DB = Path("data/pensionlink.duckdb")) -> None:
    """Every desk user (never a password hash)."""
    with open_case_store(case_store_location(db)) as store:
        users = store.users()
    if not users:
        typer.echo("没有用户 no users")
        return
    for u in users:
        area = f"{u['township'] or ''}{u['village'] or ''}" or "—"
        state = "停用 disabled" if u["disabled"] else "启用 enabled"
        typer.echo(f"  {u['name']:<12} {u['role']:<9} {area:<16} {state}  {u['created_at'][:10]}")


@users_app.command("disable")
def disable(name: str, db: DB = Path("data/pensionlink.duckdb")) -> None:
    """Disable a user; their sessions end at once."""
    try:
        with open_case_store(case_store_location(db)) as store:
            store.disable_user(name)
    except LookupError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"已停用 disabled: {name}")
