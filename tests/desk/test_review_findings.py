"""The desk after its security review (安全复查): who may undo a verified death, the
subsidy's separated money steps, a busy store, the login limit, crashes that were 500,
escaping, Data Docs, cookies and the audit — through the HTTP API (FastAPI's TestClient)
on a generated night, each test on its own copy."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from pensionlink.cases.store import case_store_location, open_case_store
from pensionlink.cases_cli import list_cases
from pensionlink.desk.app import DeskConfig, create_app
from pensionlink.desk.sessions import CSRF_HEADER
from tests.desk.desk_night import PASSWORD, add_user

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def client(db: Path, **kw) -> TestClient:
    return TestClient(create_app(DeskConfig(db)), follow_redirects=False, **kw)


def login(c: TestClient, name: str, password: str = PASSWORD) -> dict:
    r = c.post("/login", data={"username": name, "password": password})
    assert r.status_code == 303, r.text
    return {CSRF_HEADER: c.cookies["csrf_token"]}


def first(cases: pl.DataFrame, **where) -> dict:
    for column, value in where.items():
        cases = cases.filter(pl.col(column) == value)
    return cases.sort("case_id").row(0, named=True)


def events(db: Path, case_id: str) -> list[dict]:
    with open_case_store(case_store_location(db)) as store:
        return store.events(case_id).to_dicts()


def test_a_clerk_cannot_undo_a_death_the_city_confirmed(desk_db: Path):
    cases = list_cases(desk_db)
    confirmed = first(cases, kind="death", state="confirmed")
    add_user(desk_db, "村干事", "village", confirmed["township"], confirmed["village"])
    add_user(desk_db, "乡镇李", "township", confirmed["township"])
    add_user(desk_db, "市局张", "city")
    url = f"/api/cases/{confirmed['case_id']}/actions"
    before = len(events(desk_db, confirmed["case_id"]))
    for name in ("村干事", "乡镇李"):
        c = client(desk_db)
        r = c.post(url, json={"action": "verify_alive", "note": "本人在家"}, headers=login(c, name))
        assert r.status_code == 403 and "仅市局" in r.json()["error"], r.text
    assert len(events(desk_db, confirmed["case_id"])) == before
    c = client(desk_db)
    r = c.post(url, json={"action": "verify_alive", "note": "本人到场"}, headers=login(c, "市局张"))
    assert r.status_code == 200, r.text
    assert events(desk_db, confirmed["case_id"])[-1]["role"] == "supervisor"
