"""The desk's server rules through its HTTP API (FastAPI's TestClient): sessions, CSRF,
the login limit, disabled users, areas and roles, the CLI's refusals with their status,
and the audit. On a generated night (3,000 people), each test on its own copy."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from pensionlink.cases.store import Statement, case_store_location, open_case_store
from pensionlink.cases_cli import list_cases
from pensionlink.desk.app import DeskConfig, create_app
from pensionlink.desk.sessions import CSRF_HEADER, MAX_FAILED
from tests.desk.desk_night import PASSWORD, add_user

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def client(db: Path) -> TestClient:
    return TestClient(create_app(DeskConfig(db)), follow_redirects=False)


def login(c: TestClient, name: str, password: str = PASSWORD) -> str:
    r = c.post("/login", data={"username": name, "password": password})
    assert r.status_code == 303, r.text
    return c.cookies["csrf_token"]


def audit(db: Path) -> pl.DataFrame:
    with open_case_store(case_store_location(db)) as store:
        return store.desk_audit()


def case_rows(db: Path) -> pl.DataFrame:
    return list_cases(db)


def first(cases: pl.DataFrame, **where) -> dict:
    for column, value in where.items():
        cases = cases.filter(pl.col(column) == value)
    return cases.sort("case_id").row(0, named=True)


def test_without_a_session_the_api_says_401(desk_db: Path):
    c = client(desk_db)
    assert c.get("/api/cases").status_code == 401
    r = c.post("/api/cases/D000001/actions", json={"action": "notify"})
    assert r.status_code == 401
    assert c.get("/").status_code == 303  # a page sends the browser to the login


def test_login_sets_both_cookies_and_the_audit_has_ok_and_failed(desk_db: Path):
    add_user(desk_db, "市局张", "city")
    c = client(desk_db)
    bad = c.post("/login", data={"username": "市局张", "password": "wrong-password"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    csrf = login(c, "市局张")
    assert c.cookies["pensionlink_session"] and csrf
    rows = audit(desk_db).filter(pl.col("who") == "市局张")["what"].to_list()
    assert rows == ["login_failed", "login_ok"]
    # the session cookie is HttpOnly; the CSRF cookie is read by the page
    with open_case_store(case_store_location(desk_db)) as store:
        held = store._db.execute(Statement("SELECT token_hash, csrf_token FROM desk_sessions"))
    assert held[0][0] != c.cookies["pensionlink_session"]  # only its hash is stored
    assert held[0][1] == csrf


def test_logins_are_limited_after_five_failures(desk_db: Path):
    add_user(desk_db, "市局张", "city")
    c = client(desk_db)
    for _ in range(MAX_FAILED):
        assert c.post("/login", data={"username": "市局张", "password": "nope"}).status_code == 401
    # the right password now waits for the window too
    limited = c.post("/login", data={"username": "市局张", "password": PASSWORD})
    assert limited.status_code == 429 and "次数过多" in limited.text
    assert "pensionlink_session" not in c.cookies


def test_a_disabled_user_cannot_log_in_and_loses_the_session(desk_db: Path):
    from typer.testing import CliRunner

    from pensionlink.cli import app

    add_user(desk_db, "市局张", "city")
    c = client(desk_db)
    login(c, "市局张")
    assert c.get("/api/cases").status_code == 200
    done = CliRunner().invoke(app, ["users", "disable", "市局张", "--db", str(desk_db)])
    assert done.exit_code == 0, done.output
    assert c.get("/api/cases").status_code == 401
    again = client(desk_db).post("/login", data={"username": "市局张", "password": PASSWORD})
    assert again.status_code == 401


def test_state_changes_need_the_csrf_header(desk_db: Path):
    add_user(desk_db, "市局张", "city")
    case = first(case_rows(desk_db), kind="death", state="confirmed")
    c = client(desk_db)
    csrf = login(c, "市局张")
    url = f"/api/cases/{case['case_id']}/actions"
    assert c.post(url, json={"action": "notify"}).status_code == 403
    assert (
        c.post(url, json={"action": "notify"}, headers={CSRF_HEADER: "forged"}).status_code == 403
    )
    # a form field is not enough: only the header counts
    page = c.post(f"/cases/{case['case_id']}/act", data={"action": "notify", "csrf_token": csrf})
    assert page.status_code == 403
    assert first(case_rows(desk_db), case_id=case["case_id"])["state"] == "confirmed"
    ok = c.post(url, json={"action": "notify"}, headers={CSRF_HEADER: csrf})
    assert ok.status_code == 200, ok.text
    assert ok.json()["state"] == "notified"


def test_a_village_user_sees_and_acts_on_the_own_village_only(desk_db: Path):
    cases = case_rows(desk_db)
    mine = first(cases, kind="uninsured", state="to_contact")
    add_user(desk_db, "村干事", "village", mine["township"], mine["village"])
    other = cases.filter(
        (pl.col("kind") == "uninsured") & (pl.col("village") != mine["village"])
    ).row(0, named=True)
    c = client(desk_db)
    csrf = login(c, "村干事")
    listed = c.get("/api/cases").json()
    expected = cases.filter(
        (pl.col("township") == mine["township"]) & (pl.col("village") == mine["village"])
    )
    assert {r["case_id"] for r in listed} == set(expected["case_id"])
    contract = "case_id kind state citizen_id_masked township village opened_run last_seen_run"
    assert all({*contract.split(), "new_tonight"} <= set(r) for r in listed)
    assert all("*" in r["citizen_id_masked"] for r in listed)
    body = {"action": "contacted", "outcome": "同意参保"}
    theirs = c.post(
        f"/api/cases/{other['case_id']}/actions", json=body, headers={CSRF_HEADER: csrf}
    )
    assert theirs.status_code == 403 and "辖区" in theirs.json()["error"]
    assert c.get(f"/cases/{other['case_id']}").status_code == 403
    ok = c.post(f"/api/cases/{mine['case_id']}/actions", json=body, headers={CSRF_HEADER: csrf})
    assert ok.status_code == 200, ok.text
    with open_case_store(case_store_location(desk_db)) as store:
        event = store.events(mine["case_id"]).row(-1, named=True)
    assert (event["by_name"], event["role"], event["outcome"]) == ("村干事", "clerk", "同意参保")
    assert ok.json()["state"] == "contacted"
    # the desk's cases in memory follow the store (only the touched case read again)
    again = {r["case_id"]: r["state"] for r in c.get("/api/cases").json()}
    assert again[mine["case_id"]] == "contacted"
    assert len(again) == len(listed)


def test_roles_a_senior_action_needs_the_city(desk_db: Path):
    cases = case_rows(desk_db)
    death = first(cases, kind="death", state="to_verify")
    add_user(desk_db, "村干事", "village", death["township"], death["village"])
    add_user(desk_db, "乡镇李", "township", death["township"])
    add_user(desk_db, "市局张", "city")
    url = f"/api/cases/{death['case_id']}/actions"
    for name in ("村干事", "乡镇李"):
        c = client(desk_db)
        csrf = login(c, name)
        r = c.post(url, json={"action": "verify_dead"}, headers={CSRF_HEADER: csrf})
        assert r.status_code == 403, r.text
    c = client(desk_db)
    csrf = login(c, "市局张")
    r = c.post(
        url, json={"action": "verify_dead", "note": "死亡证明已核"}, headers={CSRF_HEADER: csrf}
    )
    assert r.status_code == 200, r.text
    with open_case_store(case_store_location(desk_db)) as store:
        event = store.events(death["case_id"]).row(-1, named=True)
    assert (event["by_name"], event["role"], event["to_state"]) == (
        "市局张",
        "supervisor",
        "confirmed",
    )


def test_refusals_keep_the_cli_line_409_for_the_state_400_for_what_is_missing(desk_db: Path):
    cases = case_rows(desk_db)
    confirmed = first(cases, kind="death", state="confirmed")
    recovery = first(cases, kind="recovery", state="outstanding")
    add_user(desk_db, "市局张", "city")
    c = client(desk_db)
    csrf = login(c, "市局张")
    h = {CSRF_HEADER: csrf}
    early = c.post(
        f"/api/cases/{confirmed['case_id']}/actions", json={"action": "suspend"}, headers=h
    )
    assert early.status_code == 409
    line = early.json()["error"]
    assert "异议期" in line and "\n" not in line
    missing = c.post(
        f"/api/cases/{recovery['case_id']}/actions", json={"action": "record_recovery"}, headers=h
    )
    assert missing.status_code == 400 and "--amount" in missing.json()["error"]
    unknown = c.post("/api/cases/D999999/actions", json={"action": "notify"}, headers=h)
    assert unknown.status_code == 404
    paid = c.post(
        f"/api/cases/{recovery['case_id']}/actions",
        json={"action": "record_recovery", "amount": "1.00"},
        headers=h,
    )
    assert paid.status_code == 200, paid.text
    with open_case_store(case_store_location(desk_db)) as store:
        event = store.events(recovery["case_id"]).row(-1, named=True)
    assert (event["role"], event["amount_fen"]) == ("supervisor", 100)


def test_admin_manages_users_only(desk_db: Path):
    add_user(desk_db, "管理员", "admin")
    c = client(desk_db)
    csrf = login(c, "管理员")
    assert c.get("/api/cases").status_code == 403
    r = c.post("/api/cases/D000001/actions", json={"action": "notify"}, headers={CSRF_HEADER: csrf})
    assert r.status_code == 403
    assert c.get("/cases/D000001").status_code == 403


def test_every_view_download_and_action_is_in_the_audit(desk_db: Path):
    cases = case_rows(desk_db)
    death = first(cases, kind="death", state="confirmed")
    add_user(desk_db, "乡镇李", "township", death["township"])
    c = client(desk_db)
    csrf = login(c, "乡镇李")
    assert c.get(f"/cases/{death['case_id']}").status_code == 200
    assert c.get("/downloads/workbook").status_code == 200
    r = c.post(
        f"/api/cases/{death['case_id']}/actions",
        json={"action": "notify"},
        headers={CSRF_HEADER: csrf},
    )
    assert r.status_code == 200, r.text
    rows = audit(desk_db).filter(pl.col("who") == "乡镇李")
    assert rows["what"].to_list() == ["login_ok", "view_case", "download", "action"]
    assert rows["ref"].to_list()[1:] == [death["case_id"], death["township"], death["case_id"]]
    assert all(at for at in rows["at"])
    with open_case_store(case_store_location(desk_db)) as store:  # `pensionlink audit` lists it
        trail = store.audit_trail().filter(pl.col("who") == "乡镇李")
    assert {"desk_login_ok", "desk_view_case", "desk_download", "case_notify"} <= set(
        trail["action"]
    )
    with (
        open_case_store(case_store_location(desk_db)) as store,
        pytest.raises(Exception, match="append-only"),
    ):
        store._db.execute(Statement("DELETE FROM desk_audit"))


def test_another_townships_workbook_is_refused(desk_db: Path):
    cases = case_rows(desk_db)
    townships = sorted(cases["township"].drop_nulls().unique().to_list())
    add_user(desk_db, "乡镇李", "township", townships[0])
    c = client(desk_db)
    login(c, "乡镇李")
    assert c.get(f"/downloads/workbook?township={townships[1]}").status_code == 403
    mine = c.get(f"/downloads/workbook?township={townships[0]}")
    assert mine.status_code == 200 and mine.content[:2] == b"PK"


def test_the_city_list_is_the_cli_list(desk_db: Path):
    add_user(desk_db, "市局张", "city")
    c = client(desk_db)
    login(c, "市局张")
    api = c.get("/api/cases?kind=death").json()
    cli = json.loads(case_rows(desk_db).filter(pl.col("kind") == "death").write_json())
    assert [r["case_id"] for r in api] == [r["case_id"] for r in cli]
    assert [r["state"] for r in api] == [r["state"] for r in cli]
