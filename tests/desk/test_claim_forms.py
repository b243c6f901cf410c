"""The subsidy claims' forms downloaded from the desk (丧葬补助金发放审批表、申领汇总表):
the steps recorded today are on them, only the user's area is printed, another township's
is refused by the server, and the audit names the claims printed."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from pensionlink.cases.store import case_store_location, open_case_store
from pensionlink.cases_cli import list_cases
from pensionlink.desk.accounts import DeskUser
from pensionlink.desk.app import DeskConfig, create_app
from pensionlink.desk.claim_forms import claims_in_area, render_claim_form
from pensionlink.desk.sessions import CSRF_HEADER
from tests.desk.desk_night import PASSWORD, add_user

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def client(db: Path, name: str) -> TestClient:
    c = TestClient(create_app(DeskConfig(db)), follow_redirects=False)
    r = c.post("/login", data={"username": name, "password": PASSWORD})
    assert r.status_code == 303, r.text
    c.headers.update({CSRF_HEADER: c.cookies["csrf_token"]})
    return c


def downloads(db: Path, who: str) -> list[str]:
    with open_case_store(case_store_location(db)) as store:
        rows = store.desk_audit().filter(pl.col("who") == who)
    return rows.filter(pl.col("what").str.starts_with("download"))["detail"].to_list()


def test_a_townships_claim_forms_carry_todays_steps_and_only_its_claims(desk_db: Path):
    cases = list_cases(desk_db)
    claims = cases.filter((pl.col("kind") == "subsidy") & (pl.col("state") == "to_apply"))
    claim = claims.sort("case_id").row(0, named=True)
    township = claim["township"]
    others = sorted(set(cases["township"].drop_nulls()) - {township})
    add_user(desk_db, "村干事", "village", township, claim["village"])
    add_user(desk_db, "乡镇李", "township", township)
    clerk, town = client(desk_db, "村干事"), client(desk_db, "乡镇李")

    # nothing applied for yet: no 审批表, but the 汇总表 lists every claim of the township
    assert town.get("/downloads/claims?form=approval").status_code == 404
    summary = town.get("/downloads/claims?form=summary")
    assert summary.status_code == 200 and summary.content[:4] == b"%PDF"
    in_town = sorted(claims.filter(pl.col("township") == township)["case_id"].to_list())
    assert downloads(desk_db, "乡镇李")[-1].endswith(",".join(in_town))
    # another township's forms are refused by the server, whatever the link says
    assert town.get(f"/downloads/claims?township={others[0]}&form=summary").status_code == 403
    assert town.get("/downloads/claims?form=cash").status_code == 400

    body = {"action": "apply", "applicant": "李四", "relation": "子", "note": "死亡证明"}
    assert clerk.post(f"/api/cases/{claim['case_id']}/actions", json=body).status_code == 200
    approval = town.get("/downloads/claims?form=approval")
    assert approval.status_code == 200 and approval.content[:4] == b"%PDF"
    assert downloads(desk_db, "乡镇李")[-1] == f"claims approval 1: {claim['case_id']}"
    # the village clerk prints their own village's claims only
    assert clerk.get("/downloads/claims?form=summary").status_code == 200
    in_village = claims.filter(
        (pl.col("township") == township) & (pl.col("village") == claim["village"])
    )["case_id"]
    assert downloads(desk_db, "村干事")[-1].endswith(",".join(sorted(in_village.to_list())))


def test_the_form_is_built_from_the_store_as_it_is_now(desk_db: Path):
    """The 审批表's HTML shows the applicant and the step recorded after the night."""
    from pensionlink.desk.night_data import people_by_key
    from pensionlink.warehouse.published import LatestNight

    cases = list_cases(desk_db)
    claim = (
        cases.filter((pl.col("kind") == "subsidy") & (pl.col("state") == "to_apply"))
        .sort("case_id")
        .row(0, named=True)
    )
    add_user(desk_db, "村干事", "village", claim["township"], claim["village"])
    body = {"action": "apply", "applicant": "李四", "relation": "子", "note": "死亡证明"}
    clerk = client(desk_db, "村干事")
    assert clerk.post(f"/api/cases/{claim['case_id']}/actions", json=body).status_code == 200
    with open_case_store(case_store_location(desk_db)) as store:
        frames = store.cases(), store.events(), store.nights()
    people = people_by_key(LatestNight(desk_db))
    user = DeskUser("乡镇李", "township", claim["township"])
    mine, steps = claims_in_area(*frames, people, user, claim["township"])
    assert set(mine["township"]) == {claim["township"]}
    assert "*" in mine["citizen_id"][0]  # masked, as the reports print it
    html, ids = render_claim_form(
        "approval", claim["township"], mine, steps, pl.DataFrame(), dt_of(frames[2]), "龙井市"
    )
    assert ids == [claim["case_id"]]
    assert "李四" in html and "村干事" in html and "子" in html


def dt_of(nights: pl.DataFrame):
    import datetime as dt

    return dt.date.fromisoformat(nights["as_of"].max())
