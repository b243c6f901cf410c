"""The desk after its security review (安全复查): who may undo a verified death, the
subsidy's separated money steps, a busy store, the login limit, crashes that were 500,
escaping, Data Docs, cookies and the audit — through the HTTP API (FastAPI's TestClient)
on a generated night, each test on its own copy."""

from __future__ import annotations

import sqlite3
import threading
import time
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


def test_the_subsidy_money_steps_are_separated(desk_db: Path):
    """One city account approves, another pays (审批人与发放人不得为同一人); a claim the
    township checked is refused (archived unpaid) only by the city."""
    cases = list_cases(desk_db)
    claim = first(cases, kind="subsidy", state="to_apply", outcome="eligible")
    add_user(desk_db, "村干事", "village", claim["township"], claim["village"])
    add_user(desk_db, "乡镇李", "township", claim["township"])
    add_user(desk_db, "市局张", "city")
    add_user(desk_db, "市财王", "city")
    users = {}
    for name in ("村干事", "乡镇李", "市局张", "市财王"):
        users[name] = client(desk_db)
        users[name].headers.update(login(users[name], name))
    url = f"/api/cases/{claim['case_id']}/actions"
    steps = [
        ("村干事", {"action": "apply", "applicant": "李四", "relation": "子", "note": "死亡证明"}),
        ("村干事", {"action": "village_check", "note": "材料齐全"}),
        ("乡镇李", {"action": "township_check", "note": "核对无误"}),
        ("市局张", {"action": "city_approve", "note": "同意"}),
    ]
    for name, body in steps:
        assert users[name].post(url, json=body).status_code == 200
    for name in ("村干事", "乡镇李"):
        killed = users[name].post(url, json={"action": "archive", "note": "村里说不发"})
        assert killed.status_code == 403 and "仅市局" in killed.json()["error"], killed.text
    same = users["市局张"].post(url, json={"action": "pay", "to": "card"})
    assert same.status_code == 403 and "审批人与发放人不得为同一人" in same.json()["error"]
    paid = users["市财王"].post(url, json={"action": "pay", "to": "card"})
    assert paid.status_code == 200, paid.text
    done = [(e["action"], e["by_name"]) for e in events(desk_db, claim["case_id"])]
    assert done[-2:] == [("city_approve", "市局张"), ("pay", "市财王")]


def test_a_busy_store_holds_no_other_request_and_answers_503(desk_db: Path):
    """While another writer holds the case store (a night's transaction), a login waiting
    to write its audit row holds nobody else (it runs in the threadpool) and, after the
    desk's busy timeout, answers 503 with the one line; a static file answers meanwhile."""
    add_user(desk_db, "市局张", "city")
    app = create_app(DeskConfig(desk_db, busy_seconds=2))
    finished: list[tuple[str, int]] = []
    with TestClient(app, follow_redirects=False) as c:  # one event loop for every request
        hold = sqlite3.connect(
            case_store_location(desk_db), isolation_level=None, check_same_thread=False
        )
        hold.execute("BEGIN IMMEDIATE")
        try:

            def log_in() -> None:
                r = c.post("/login", data={"username": "市局张", "password": PASSWORD})
                finished.append(("login", r.status_code))
                finished.append(("line", r.text))

            waiting = threading.Thread(target=log_in)
            waiting.start()
            time.sleep(0.5)  # the login reaches its audit write and waits for the store
            css = c.get("/static/desk.css")
            finished.append(("static", css.status_code))
            waiting.join()
        finally:
            hold.execute("ROLLBACK")
            hold.close()
        assert finished[0] == ("static", 200)
        assert finished[1] == ("login", 503)
        assert "案件库忙" in finished[2][1] and "\n" not in finished[2][1]
        # the store free again, the same login goes through
        assert (
            c.post("/login", data={"username": "市局张", "password": PASSWORD}).status_code == 303
        )


def test_what_crashed_is_refused_with_one_line(desk_db: Path, tmp_path: Path):
    add_user(desk_db, "市局张", "city")
    c = client(desk_db)
    headers = login(c, "市局张")
    recovery = first(list_cases(desk_db), kind="recovery", state="outstanding")
    url = f"/api/cases/{recovery['case_id']}/actions"
    huge = c.post(url, json={"action": "record_recovery", "amount": "1e30"}, headers=headers)
    assert huge.status_code == 400 and "--amount" in huge.json()["error"]
    odd = c.post(url, json={"action": "notify"}, headers={CSRF_HEADER: "é".encode("latin-1")})
    assert odd.status_code == 403
    # before any night is published: every page and the API say so in one line
    empty = tmp_path / "empty" / "pensionlink.duckdb"
    add_user(empty, "市局张", "city")
    c = client(empty)
    headers = login(c, "市局张")
    for path in ("/cases", "/reviews", "/api/cases"):
        r = c.get(path)
        assert r.status_code == 503 and "尚无已发布" in r.text, (path, r.text)
    act = c.post("/api/cases/D000001/actions", json={"action": "notify"}, headers=headers)
    assert act.status_code == 503 and "尚无已发布" in act.json()["error"]


def test_a_refusal_never_echoes_markup(desk_db: Path):
    add_user(desk_db, "市局张", "city")
    c = client(desk_db)
    headers = login(c, "市局张")
    r = c.post(
        "/reviews/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E/decide",
        data={"decision": "accept"},
        headers=headers,
    )
    assert r.status_code == 409
    assert "<img" not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text


def test_data_docs_are_for_staff_and_each_page_read_is_audited(desk_db: Path):
    add_user(desk_db, "管理员", "admin")
    add_user(desk_db, "市局张", "city")
    admin = client(desk_db)
    login(admin, "管理员")
    assert admin.get("/docs/index.html").status_code == 403
    staff = client(desk_db)
    login(staff, "市局张")
    assert staff.get("/docs/index.html").status_code == 200
    with open_case_store(case_store_location(desk_db)) as store:
        rows = store.desk_audit().filter(pl.col("what") == "view_docs")
    assert rows.select("who", "ref").rows() == [("市局张", "index.html")]


def test_failed_logins_lock_nobody_else_out_but_guessing_stays_limited(desk_db: Path):
    add_user(desk_db, "市局张", "city")
    add_user(desk_db, "乡镇李", "township", "三合镇")
    attacker = client(desk_db, client=("10.0.0.66", 5000))
    # 20 failures under 20 names from the proxy's address: a name with no failure logs in
    proxy = client(desk_db, client=("10.0.0.1", 5000))
    for i in range(20):
        assert (
            proxy.post("/login", data={"username": f"无此人{i}", "password": "x"}).status_code
            == 401
        )
    assert (
        proxy.post("/login", data={"username": "市局张", "password": PASSWORD}).status_code == 303
    )
    # … but from that address a name that failed recently is refused (a password spray)
    wrong = {"username": "乡镇李", "password": "guess-1"}
    assert proxy.post("/login", data=wrong).status_code == 401
    assert proxy.post("/login", data={**wrong, "password": PASSWORD}).status_code == 429
    # 5 failures on a name lock that name from that address, not from the owner's
    for _ in range(5):
        assert attacker.post("/login", data={**wrong, "username": "市局张"}).status_code == 401
    locked = attacker.post("/login", data={"username": "市局张", "password": PASSWORD})
    assert locked.status_code == 429
    owner = client(desk_db, client=("10.0.0.7", 5000))
    assert (
        owner.post("/login", data={"username": "市局张", "password": PASSWORD}).status_code == 303
    )


def test_cookies_are_secure_over_https(desk_db: Path):
    """Behind the proxy (its X-Forwarded-Proto trusted, the scheme is https) the session
    and CSRF cookies are Secure without being told; on plain loopback they are not."""
    add_user(desk_db, "市局张", "city")
    form = {"username": "市局张", "password": PASSWORD}
    https = client(desk_db, base_url="https://desk.example").post("/login", data=form)
    cookies = https.headers.get_list("set-cookie")
    assert len(cookies) == 2 and all("; secure" in c.lower() for c in cookies)
    plain = client(desk_db).post("/login", data=form).headers.get_list("set-cookie")
    assert len(plain) == 2 and not any("secure" in c.lower() for c in plain)
    assert all("httponly" in c.lower() for c in cookies if c.startswith("pensionlink_session"))


def test_the_audit_names_the_notices_printed_and_keeps_no_unknown_name(desk_db: Path):
    add_user(desk_db, "市局张", "city")
    c = client(desk_db)
    typed = "市局张-mima-2026"  # a password typed into the name field
    assert c.post("/login", data={"username": typed, "password": "x"}).status_code == 401
    login(c, "市局张")
    printed = c.get("/downloads/notices")
    assert printed.status_code == 200
    with open_case_store(case_store_location(desk_db)) as store:
        rows = store.desk_audit()
    assert typed not in " ".join(str(v) for v in rows.to_dicts())
    [kept] = rows.filter(pl.col("what") == "login_failed")["who"].to_list()
    assert kept.startswith("?") and len(kept) == 13
    [detail] = rows.filter(pl.col("what") == "download")["detail"].to_list()
    count, ids = detail.removeprefix("notices ").split(": ")
    confirmed = set(first_cases(desk_db, "death", "confirmed"))
    assert int(count) == len(ids.split(",")) > 0 and set(ids.split(",")) <= confirmed
    assert all(case_id in printed.text for case_id in ids.split(","))


def first_cases(db: Path, kind: str, state: str) -> list[str]:
    cases = list_cases(db)
    return cases.filter((pl.col("kind") == kind) & (pl.col("state") == state))["case_id"].to_list()


def test_a_namesake_outside_the_area_shows_only_a_masked_id_and_the_township(desk_db: Path):
    from pensionlink.desk.night_data import review_items
    from pensionlink.warehouse.published import LatestNight
    from pensionlink.warehouse.queries import hukou_namesakes

    night = LatestNight(desk_db)
    with open_case_store(case_store_location(desk_db)) as store:
        items = review_items(store, night).to_dicts()
    found = []
    with night.read() as (warehouse, _, _):
        for item in items:
            _, record, _ = warehouse.review_detail(item["review_id"])
            if record and record.get("name"):
                same = warehouse.frame(hukou_namesakes(record["name"], record.get("birth_date")))
                others = same.filter(pl.col("township") != item["township"])
                if others.height and item["township"]:
                    found.append((item, same, others.row(0, named=True)))
    assert found, "the generated night has a doubtful pair with a namesake elsewhere"
    item, same, other = found[0]
    add_user(desk_db, "乡镇李", "township", item["township"])
    c = client(desk_db)
    login(c, "乡镇李")
    r = c.get(f"/reviews/{item['review_id']}")
    assert r.status_code == 200
    table = r.text[r.text.index('id="namesakes"') :]
    table = table[: table.index("</table>")]
    assert other["citizen_id"][:6] in table and other["citizen_id"] not in table  # masked
    assert other["township"] in table and "辖区外人员" in table
    outside = table[table.index('class="outside"') :]
    outside = outside[: outside.index("</tr>")]
    assert str(other["village"]) not in table
    assert other["name"] not in outside and str(other["birth_date"]) not in outside
    with open_case_store(case_store_location(desk_db)) as store:
        audit = store.desk_audit().filter(pl.col("what") == "view_pair")
    assert audit["detail"].to_list() == [f"namesakes {same.height}"]
