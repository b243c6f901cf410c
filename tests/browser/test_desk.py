"""The desk in a real headless Chromium, network cut off, on a generated night served by
uvicorn on loopback: a village clerk filters the doubtful pairs, opens one, accepts it and
sees it leave the list; a township user asking for another township's case gets 403 from
the server; a funeral subsidy claim walked by a village clerk, a township officer and the
city; every page and the Data Docs load nothing from outside the machine."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import uvicorn

from pensionlink.cases.store import case_store_location, open_case_store
from pensionlink.cases_cli import list_cases
from pensionlink.desk.app import DeskConfig, create_app
from tests.browser.conftest import OfflinePage
from tests.desk.desk_night import PASSWORD, add_user, build_night

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def desk(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """(base URL, db) of a desk serving a freshly published night."""
    db = build_night(tmp_path_factory.mktemp("desk-browser"))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(DeskConfig(db)), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the desk did not start"
    yield f"http://127.0.0.1:{port}", db
    server.should_exit = True
    thread.join(timeout=10)


def log_in(page: OfflinePage, base: str, name: str) -> None:
    page.page.set_default_timeout(90_000)  # a loaded machine (2 cores) is slow, not wrong
    page.open(f"{base}/login")
    page.page.fill("input[name=username]", name)
    page.page.fill("input[name=password]", PASSWORD)
    page.page.click("button[type=submit]")
    page.page.wait_for_url(f"{base}/")


def queued_pair(db: Path) -> dict:
    from pensionlink.warehouse.published import LatestNight
    from pensionlink.warehouse.queries import desk_review_items

    night = LatestNight(db)
    with night.read() as (warehouse, _, _):
        items = warehouse.frame(desk_review_items())
    night.close()
    assert items.height, "the generated night has no doubtful pair"
    return items.row(0, named=True)


def test_village_clerk_accepts_a_doubtful_pair_and_it_leaves_the_list(desk, offline_page):
    base, db = desk
    pair = queued_pair(db)
    add_user(db, "文化村干事", "village", pair["township"], pair["village"])
    log_in(offline_page, base, "文化村干事")
    page = offline_page.page
    page.click("text=疑似匹配待复核")
    page.select_option("select[name=village]", pair["village"])
    page.click("form.filters button[type=submit]")
    assert f"village={pair['village']}" in page.url or "village=" in page.url
    page.click(f"a[href='/reviews/{pair['review_id']}']")
    page.wait_for_url(f"{base}/reviews/{pair['review_id']}")  # `count` does not wait for it
    assert page.locator("svg.waterfall rect").count() >= 3  # prior, comparisons, total
    assert "同一人" in page.inner_text("ul.explain")
    page.fill("input[name=note]", "核对死亡医学证明原件")
    page.click("button[value=accept]")
    page.wait_for_url(f"{base}/reviews")
    assert pair["review_id"] not in page.inner_text("#reviews")
    with open_case_store(case_store_location(db)) as store:
        decided = store.review_decisions().filter(pl.col("review_id") == pair["review_id"])
    assert decided.row(0, named=True)["decided_by"] == "文化村干事"
    assert decided["decision"].to_list() == ["accept"]
    assert offline_page.left == [] and offline_page.errors == []


def test_another_townships_case_is_403_from_the_server(desk, offline_page):
    base, db = desk
    cases = list_cases(db)
    townships = sorted(cases["township"].drop_nulls().unique().to_list())
    add_user(db, "乡镇甲", "township", townships[0])
    theirs = cases.filter(pl.col("township") == townships[1]).row(0, named=True)
    log_in(offline_page, base, "乡镇甲")
    response = offline_page.page.goto(f"{base}/cases/{theirs['case_id']}")
    assert response is not None and response.status == 403
    assert "不在您的辖区" in offline_page.page.inner_text("main")
    assert theirs["township"] not in offline_page.page.inner_text("main")


def act(page: OfflinePage, base: str, case_id: str, action: str, **fields: str) -> None:
    p = page.page
    p.goto(f"{base}/cases/{case_id}")
    p.select_option("select[name=action]", action)
    for name, value in fields.items():
        if name == "to":
            p.select_option("select[name=to]", value)
        else:
            p.fill(f"input[name={name}]", value)
    with p.expect_navigation():  # recorded: the page reloads with the new state
        p.click("form.act button[type=submit]")


def test_a_subsidy_claim_walked_by_three_roles(desk, browser):
    base, db = desk
    cases = list_cases(db)
    claim = cases.filter(
        (pl.col("kind") == "subsidy")
        & (pl.col("state") == "to_apply")
        & (pl.col("outcome") == "eligible")
    ).row(0, named=True)
    add_user(db, "村甲", "village", claim["township"], claim["village"])
    add_user(db, "乡甲", "township", claim["township"])
    add_user(db, "市甲", "city")
    add_user(db, "市财", "city")  # who approved may not also pay
    pages = {}
    for name in ("村甲", "乡甲", "市甲", "市财"):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pages[name] = OfflinePage(context.new_page())
        log_in(pages[name], base, name)
    village, township, city = pages["村甲"], pages["乡甲"], pages["市甲"]
    death = cases.filter(
        (pl.col("kind") == "death") & (pl.col("citizen_id_masked") == claim["citizen_id_masked"])
    ).row(0, named=True)
    assert death["state"] == "confirmed"  # the subsidy is paid only on a verified death

    act(
        village,
        base,
        claim["case_id"],
        "apply",
        applicant="金明",
        relation="子女",
        note="身份证、户口本、死亡证明",
    )
    act(village, base, claim["case_id"], "village_check", note="材料齐全")
    # the next step is the township's: the clerk's page refuses it with the one line
    village.page.goto(f"{base}/cases/{claim['case_id']}")
    assert village.page.locator("option[value=township_check][disabled]").count() == 1
    act(township, base, claim["case_id"], "township_check", note="核对无误")
    act(city, base, claim["case_id"], "city_approve", note="同意")
    act(pages["市财"], base, claim["case_id"], "pay", to="card")
    act(city, base, claim["case_id"], "archive", note="档案已归")
    assert "已办结" in city.page.inner_text("#facts")
    history = city.page.inner_text("#history")
    for who in ("村甲", "乡甲", "市甲", "市财"):
        assert who in history
    with open_case_store(case_store_location(db)) as store:
        events = store.events(claim["case_id"]).filter(pl.col("role") != "system")
    assert events.select("action", "by_name", "role").rows() == [
        ("apply", "村甲", "clerk"),
        ("village_check", "村甲", "clerk"),
        ("township_check", "乡甲", "township"),
        ("city_approve", "市甲", "supervisor"),
        ("pay", "市财", "finance"),
        ("archive", "市甲", "supervisor"),
    ]
    for page in pages.values():
        assert page.left == [] and page.errors == []
        page.page.context.close()


def test_a_refused_action_shows_the_one_line(desk, offline_page):
    base, db = desk
    case = (
        list_cases(db)
        .filter((pl.col("kind") == "death") & (pl.col("state") == "confirmed"))
        .row(-1, named=True)
    )
    add_user(db, "市乙", "city")
    log_in(offline_page, base, "市乙")
    p = offline_page.page
    p.goto(f"{base}/cases/{case['case_id']}")
    p.select_option("select[name=action]", "notify")
    p.click("form.act button[type=submit]")  # recorded: reloads to 已告知
    p.wait_for_selector("text=已告知，异议期内")
    assert p.locator("select[name=action] option[value=suspend]").count() == 0
    # the API refuses suspend before the window has passed: the page offers none, so ask it
    status = p.evaluate(
        """async ([url, token]) => (await fetch(url, {method: 'POST',
             headers: {'Content-Type': 'application/json', 'X-CSRF-Token': token},
             body: JSON.stringify({action: 'suspend'})})).status""",
        [
            f"{base}/api/cases/{case['case_id']}/actions",
            p.evaluate("document.cookie.match(/csrf_token=([^;]+)/)[1]"),
        ],
    )
    assert status == 409
    # a refusal on the page: the one line of the command line, in place
    recovery = list_cases(db).filter(pl.col("kind") == "recovery").row(0, named=True)
    p.goto(f"{base}/cases/{recovery['case_id']}")
    p.select_option("select[name=action]", "record_recovery")
    p.click("form.act button[type=submit]")
    line = p.wait_for_selector("#outcome .refusal").inner_text()
    assert "须填写金额" in line and "\n" not in line.strip()
    assert "待追回" in p.inner_text("#facts")  # nothing recorded


def test_every_page_and_the_data_docs_load_nothing_from_outside(desk, offline_page):
    base, db = desk
    add_user(db, "市丙", "city")
    log_in(offline_page, base, "市丙")
    case = list_cases(db).filter(pl.col("kind") == "death").row(0, named=True)
    pair = queued_pair(db)
    for path in (
        "/",
        "/cases",
        "/cases?worklist=uninsured&age_min=60",
        f"/cases/{case['case_id']}",
        "/reviews",
        f"/reviews/{pair['review_id']}",
        "/downloads/notices",
        "/docs/index.html",
    ):
        offline_page.open(base + path)
        rows = offline_page.table_rows()
        assert all(n > 0 for n in rows.values()), (path, rows)
    assert offline_page.left == [] and offline_page.errors == []
