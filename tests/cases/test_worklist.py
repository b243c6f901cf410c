"""The warehouse's cases: identities mapped back, nights open, balances, next steps."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from pensionlink.cases.keys import person_keys
from pensionlink.cases.model import CASE_SCHEMA, EVENT_SCHEMA, NIGHT_SCHEMA
from pensionlink.cases.worklist import identities, warehouse_cases

KEY = b"a-test-key-for-pseudonyms-0001"
CID = "222405194408239619"


def test_cases_as_published():
    pk = person_keys(pl.Series([CID]), KEY)[0]
    base = {**dict.fromkeys(CASE_SCHEMA), "person_key": pk, "amount_recovered_fen": 0}
    cases = pl.DataFrame(
        [
            {
                **base,
                "case_id": "D000001",
                "kind": "death",
                "state": "notified",
                "opened_run": "r1",
                "opened_on": "2026-11-01",
                "objection_until": "2026-11-16",
            },
            {
                **base,
                "case_id": "R000001",
                "kind": "recovery",
                "state": "partly_recovered",
                "opened_run": "r2",
                "opened_on": "2026-11-02",
                "amount_due_fen": 60000,
                "amount_recovered_fen": 12345,
                "balance_since": "2026-11-02",
            },
            {
                **base,
                "case_id": "U000001",
                "kind": "uninsured",
                "state": "closed",
                "opened_run": "r1",
                "opened_on": "2026-11-01",
                "closed_on": "2026-11-02",
                "close_reason": "enrolled",
            },
        ],
        schema=CASE_SCHEMA,
    )
    nights = pl.DataFrame(
        [
            ("r1", "2026-11-01", "", 1),
            ("r0", "2026-10-31", "", 0),
            ("r2", "2026-11-02", "", 1),
            ("r3", "2026-11-03", "", 1),
        ],
        schema=NIGHT_SCHEMA,
        orient="row",
    )
    hukou = pl.DataFrame(
        {"citizen_id": [CID], "name": ["金顺花"], "township": ["龙井镇"], "village": ["东村"]}
    )
    out, events = warehouse_cases(
        cases, pl.DataFrame(schema=EVENT_SCHEMA), nights, identities([hukou], KEY)
    )
    rows = {r["case_id"]: r for r in out.to_dicts()}
    assert rows["D000001"]["nights_open"] == 3 and rows["U000001"]["nights_open"] == 2
    assert rows["D000001"]["citizen_id"] == CID and rows["D000001"]["name"] == "金顺花"
    assert rows["D000001"]["next_step"] == "异议期内，等待期满"
    assert rows["U000001"]["next_step"] is None
    assert rows["R000001"]["balance"] == Decimal("476.55")
    assert rows["R000001"]["amount_recovered"] == Decimal("123.45")
    assert rows["D000001"]["balance"] is None
    assert [r["new_tonight"] for r in out.to_dicts()] == [False, False, False]
    assert events.is_empty()


def test_a_funeral_finding_takes_its_township_from_the_hukou():
    """The funeral finding carries a name but no township; the hukou's fills it, so the
    recovery case reaches the township's worklist."""
    funeral = pl.DataFrame({"citizen_id": [CID], "name": ["金某"]})
    hukou = pl.DataFrame(
        {"citizen_id": [CID], "name": ["金某某"], "township": ["三合镇"], "village": ["龙渊村"]}
    )
    people = identities([funeral, hukou], KEY)
    assert people.select("name", "township", "village").row(0) == ("金某", "三合镇", "龙渊村")
    assert people["person_key"][0] == person_keys(pl.Series([CID]), KEY)[0]
    assert people.height == 1


def test_identities_of_the_cases_people_only():
    """With the cases' person keys, only their people come back, each field still from the
    first frame that has it (the finding's name, the hukou's township)."""
    other = "22240519500101001X"
    funeral = pl.DataFrame({"citizen_id": [other, CID], "name": ["朴某", "金某"]})
    hukou = pl.DataFrame(
        {
            "citizen_id": [other, CID, None],
            "name": ["朴某某", "金某某", "无号"],
            "township": ["开山屯镇", "三合镇", "老头沟镇"],
            "village": ["光新村", "龙渊村", None],
        }
    )
    wanted = person_keys(pl.Series([CID, "222405199001010000"]), KEY)
    people = identities([funeral, hukou], KEY, wanted)
    assert people.rows() == [(CID, "金某", "三合镇", "龙渊村", wanted[0])]
    assert identities([funeral, hukou], KEY, wanted.clear()).is_empty()
    assert identities([funeral, hukou], KEY)["citizen_id"].to_list() == [other, CID]
