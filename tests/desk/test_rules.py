"""The desk's pure rules, computed by hand: who acts in which machine role, who covers
which area, which worklist waits for whom, paging, ages, the comparison's waterfall."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pensionlink.desk.accounts import (
    BadUser,
    DeskUser,
    machine_role,
    new_user_row,
    verify_password,
)
from pensionlink.desk.pair_view import parse_comparison, waterfall
from pensionlink.desk.sessions import csrf_matches
from pensionlink.desk.worklists import ages, filter_cases, page_of, worklist_counts

VILLAGE = DeskUser("村", "village", "三合镇", "三合村")
TOWNSHIP = DeskUser("乡", "township", "三合镇")
CITY = DeskUser("市", "city")
ADMIN = DeskUser("管", "admin")


@pytest.mark.parametrize(
    ("user", "kind", "action", "role"),
    [
        (VILLAGE, "uninsured", "contacted", "clerk"),
        (VILLAGE, "death", "verify_dead", None),  # senior: the city only
        (TOWNSHIP, "death", "suspend", None),
        (CITY, "death", "verify_dead", "supervisor"),
        (CITY, "recovery", "write_off", "supervisor"),
        (TOWNSHIP, "recovery", "record_recovery", None),  # finance or supervisor
        (CITY, "recovery", "record_recovery", "supervisor"),
        (VILLAGE, "subsidy", "apply", "clerk"),
        (VILLAGE, "subsidy", "village_check", "clerk"),
        (VILLAGE, "subsidy", "township_check", None),
        (TOWNSHIP, "subsidy", "township_check", "township"),
        (TOWNSHIP, "subsidy", "village_check", None),
        (CITY, "subsidy", "city_approve", "supervisor"),
        (CITY, "subsidy", "pay", "finance"),  # only finance pays: the city acts as finance
        (ADMIN, "death", "notify", None),
        (VILLAGE, "uninsured", "apply_advance", "clerk"),
        (VILLAGE, "advance", "approve", None),
        (CITY, "advance", "approve", "supervisor"),
        (CITY, "advance", "advance_paid", "finance"),
        (CITY, "advance", "repay", "supervisor"),
    ],
)
def test_machine_role(user, kind, action, role):
    assert machine_role(user, kind, action) == role


def test_areas():
    assert VILLAGE.covers("三合镇", "三合村")
    assert not VILLAGE.covers("三合镇", "江东村")
    assert not VILLAGE.covers("龙门街道", "三合村")  # a namesake village elsewhere
    assert TOWNSHIP.covers("三合镇", "江东村") and not TOWNSHIP.covers("龙门街道", "x")
    assert not TOWNSHIP.covers(None, None) and CITY.covers(None, None)
    assert not ADMIN.covers("三合镇", "三合村")


def test_new_users_are_hashed_and_checked():
    row = new_user_row(" 王 ", "village", "三合镇", "三合村", "long-enough")
    assert row["name"] == "王" and row["password_hash"].startswith("$argon2")
    assert verify_password(row["password_hash"], "long-enough")
    assert not verify_password(row["password_hash"], "long-enougH")
    for args in (
        ("王", "village", "三合镇", None, "long-enough"),  # no village
        ("王", "township", None, None, "long-enough"),
        ("王", "city", "三合镇", None, "long-enough"),
        ("王", "boss", None, None, "long-enough"),
        ("王", "city", None, None, "short"),
    ):
        with pytest.raises(BadUser):
            new_user_row(*args)


def test_csrf_needs_header_cookie_and_session_alike():
    assert csrf_matches("abc", "abc", "abc")
    assert not csrf_matches(None, "abc", "abc")
    assert not csrf_matches("abc", None, "abc")
    assert not csrf_matches("abc", "abc", "abd")  # a cookie set by someone else
    assert not csrf_matches("abd", "abc", "abc")
    # a header or cookie with characters outside ASCII is refused, not a TypeError (500)
    assert not csrf_matches("é", "abc", "abc")
    assert not csrf_matches("abc", "é", "abc")
    assert csrf_matches("é", "é", "é")


CASES = pl.DataFrame(
    {
        "case_id": ["D1", "D2", "S1", "S2", "U1", "U2"],
        "kind": ["death", "death", "subsidy", "subsidy", "uninsured", "uninsured"],
        "state": [
            "to_verify",
            "to_verify",
            "applied",
            "village_checked",
            "to_contact",
            "to_contact",
        ],
        "township": ["三合镇", "三合镇", "三合镇", "三合镇", "三合镇", "龙门街道"],
        "village": ["三合村", "江东村", "三合村", "三合村", "三合村", "三合村"],
        "citizen_id": [
            "222405195001010011",
            "222405196512310021",
            None,
            "222405194011290031",
            "222405200011280041",
            "222405200011290051",
        ],
        "new_tonight": [True, False, False, True, True, True],
    }
)


def test_worklists_count_what_waits_for_each_role():
    village = {w["key"]: (w["count"], w["new"]) for w in worklist_counts(CASES, VILLAGE)}
    assert village["deaths"] == (1, 1) and village["subsidy"] == (1, 0)  # applied: theirs
    assert village["uninsured"] == (1, 1)  # U2 is another township's 三合村
    township = {w["key"]: w["count"] for w in worklist_counts(CASES, TOWNSHIP)}
    assert township["deaths"] == 2 and township["subsidy"] == 1  # village_checked
    assert "suspend" not in township  # suspending is the city's
    city = {w["key"]: w["count"] for w in worklist_counts(CASES, CITY)}
    assert city["uninsured"] == 2 and city["subsidy"] == 0
    assert worklist_counts(CASES, ADMIN) == [] or all(
        w["count"] == 0 for w in worklist_counts(CASES, ADMIN)
    )


def test_ages_filter_and_paging():
    on = dt.date(2026, 11, 28)
    got = CASES.select(age=ages(pl.col("citizen_id"), on))["age"].to_list()
    # 1950-01-01 → 76; 1965-12-31 → 60; none; 1940-11-29 → 85 (birthday tomorrow); 2000-11-28
    # → 26 (birthday today); 2000-11-29 → 25
    assert got == [76, 60, None, 85, 26, 25]
    old = filter_cases(CASES, CITY, age_min=60, age_max=80, on=on)
    assert old["case_id"].to_list() == ["D1", "D2"]  # new tonight first, then by id
    assert filter_cases(CASES, TOWNSHIP, village="江东村")["case_id"].to_list() == ["D2"]
    page, pages = page_of(CASES, 2, size=4)
    assert (page["case_id"].to_list(), pages) == (["U1", "U2"], 2)
    assert page_of(CASES, 9, size=4)[0]["case_id"].to_list() == ["U1", "U2"]  # clamped
    assert page_of(CASES.clear(), 1)[1] == 1


def test_comparison_waterfall():
    parts = parse_comparison("name_exact +8.0; birth_exact +4.0; bad; sex_equal x")
    assert [(p.level, p.weight) for p in parts] == [("name_exact", 8.0), ("birth_exact", 4.0)]
    assert parts[0].label == "姓名相同" and "支持是同一人" in parts[0].sentence
    assert "256 倍" in parts[0].sentence
    bars, zero, height = waterfall(parts, total=10.0, width=140)
    # prior = 10 - 12 = -2; running sums 0, -2, 6, 10; span -2..10 = 12 → 140/12 per bit
    scale = 140 / 12
    assert zero == pytest.approx(2 * scale)
    assert [b.kind for b in bars] == ["prior", "comparison", "comparison", "total"]
    prior, name, birth, total = bars
    assert prior.x == pytest.approx(0) and prior.width == pytest.approx(2 * scale)
    assert name.x == pytest.approx(0) and name.width == pytest.approx(8 * scale)
    assert birth.x == pytest.approx(8 * scale) and birth.width == pytest.approx(4 * scale)
    assert total.x == pytest.approx(zero) and total.width == pytest.approx(10 * scale)
    assert height == 4 * 26


def test_a_login_checks_a_hash_whether_or_not_the_user_exists(monkeypatch):
    """The time a login takes must not tell which names exist: argon2 runs for a missing
    or disabled user too (against a dummy hash), and only the right password opens."""
    from pensionlink.desk import accounts

    row = {"password_hash": accounts.hash_password("correct-horse-7"), "disabled": 0}
    checked: list[str] = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda h, p: checked.append(h) or real(h, p))
    assert accounts.check_login(row, "correct-horse-7")
    assert not accounts.check_login(row, "wrong")
    assert not accounts.check_login({**row, "disabled": 1}, "correct-horse-7")
    assert not accounts.check_login(None, "correct-horse-7")
    assert len(checked) == 4 and checked[-1].startswith("$argon2")


def test_the_nightly_command_line_loads_without_the_desk_stack():
    """`pensionlink run` must not stop because the desk's argon2 or web stack is missing:
    the command line imports neither until a desk or users command runs."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for m in ('argon2', 'fastapi', 'uvicorn', 'starlette'): sys.modules[m] = None\n"
        "import pensionlink.cli\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-500:]
