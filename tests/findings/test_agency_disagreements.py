"""Cross-agency disagreements (数据不一致): one row per person and kind, with the ask."""

import polars as pl
from pensionlink.findings.agency_disagreements import KINDS, agency_disagreements
from pensionlink.findings.death_evidence import death_evidence
from pensionlink.findings.deaths import deaths_to_deregister

from pensionlink.reports.labels import DISAGREEMENT_KIND
from pensionlink.settings import load_policy
from tests.findings.night_frames import D, night

AS_OF = D("2026-11-28")
POLICY = load_policy(AS_OF)
A = "222405195001010011"
B = "222405195202020022"


def hukou(pid=A, status="正常", death=None, name="金顺姬"):
    return {
        "citizen_id": pid,
        "name": name,
        "township": "三合镇",
        "village": "三合村",
        "hukou_status": status,
        "death_date": D(death) if death else None,
    }


def terminated_for_death(no="P1", day="2026-02-17", before="参保缴费"):
    return {
        "pension_no": no,
        "status_before": before,
        "status_after": "终止",
        "changed_date": D(day),
        "reason": "死亡",
    }


def found(n) -> dict[tuple[str, str], dict]:
    out = agency_disagreements(n, death_evidence(n), POLICY)
    return {(r["citizen_id"], r["kind"]): r for r in out.iter_rows(named=True)}


def test_roster_terminated_for_death_while_hukou_says_alive():
    n = night(
        hukou=[hukou()],
        resident_roster=[{"citizen_id": A, "pension_no": "P1", "name": "金顺姬", "status": "终止"}],
        status_changes=[terminated_for_death()],
    )
    got = found(n)
    assert set(got) == {(A, "roster_dead_hukou_alive")}
    row = got[(A, "roster_dead_hukou_alive")]
    assert row["agencies"] == ["社保局", "公安局"]
    assert row["details"] == (
        "社保局城乡居保参保记录2026-02-17终止（原因：死亡）；公安局户籍人员状态为正常"
    )
    assert row["ask"].startswith("请公安局") and "户籍注销" in row["ask"]
    assert (row["name"], row["township"], row["village"]) == ("金顺姬", "三合镇", "三合村")
    # The roster is terminated already: nobody to deregister.
    assert deaths_to_deregister(n, AS_OF, POLICY).is_empty()


def test_hukou_dead_with_a_later_visit_on_the_id():
    n = night(
        hukou=[hukou(status="死亡", death="2026-03-01")],
        visits=[{"citizen_id": A, "visit_date": D("2026-06-10")}],
    )
    row = found(n)[(A, "hukou_dead_later_visit")]
    assert row["agencies"] == ["公安局", "卫健局"]
    assert "2026-03-01" in row["details"] and "2026-06-10" in row["details"]
    assert row["ask"].startswith("请公安局核查是否误注销户籍")
    # A visit matched on name and birth date only, or before the death, says nothing.
    weak = night(
        hukou=[hukou(status="死亡", death="2026-03-01")],
        visits=[
            {"citizen_id": A, "visit_date": D("2026-06-10"), "link_method": "probabilistic"},
            {"citizen_id": A, "visit_date": D("2026-02-10")},
        ],
    )
    assert found(weak) == {}


def test_medical_insurance_terminated_for_death_while_hukou_says_alive():
    medical = {
        "citizen_id": A,
        "name": "金顺姬",
        "status": "终止参保",
        "end_date": D("2026-04-02"),
        "end_reason": "死亡",
    }
    n = night(hukou=[hukou()], medical_enrollment=[medical])
    row = found(n)[(A, "medical_dead_hukou_alive")]
    assert row["agencies"] == ["医保局", "公安局"]
    assert "医保局2026-04-02终止参保（原因：死亡）" in row["details"]
    assert "公安局" in row["ask"] and "医保局" in row["ask"]
    # When the person visits a doctor afterwards, 公安局 is not asked to deregister a
    # living person: 医保局 is asked to check its termination.
    seen = night(
        hukou=[hukou()],
        medical_enrollment=[medical],
        visits=[{"citizen_id": A, "visit_date": D("2026-05-01")}],
    )
    assert set(found(seen)) == {(A, "medical_dead_later_visit")}
    assert found(seen)[(A, "medical_dead_later_visit")]["ask"].startswith("请医保局")


def test_cremation_record_and_dates_far_apart_and_termination_before_death():
    n = night(
        hukou=[hukou(status="死亡", death="2026-03-01"), hukou(pid=B, name="朴英哲")],
        funeral=[
            {"citizen_id": A, "name": "金顺姬", "death_date": D("2026-05-20")},
            {"citizen_id": B, "name": "朴英哲", "death_date": D("2026-01-05")},
        ],
        resident_roster=[{"citizen_id": A, "pension_no": "P1", "name": "金顺姬", "status": "终止"}],
        status_changes=[terminated_for_death(day="2026-02-17", before="待遇领取")],
    )
    got = found(n)
    assert set(got) == {
        (A, "death_dates_disagree"),
        (A, "roster_terminated_before_death"),
        (B, "funeral_dead_hukou_alive"),
    }
    dates = got[(A, "death_dates_disagree")]
    assert dates["agencies"] == ["公安局", "民政局"]
    assert "相差80天，超过31天" in dates["details"]
    early = got[(A, "roster_terminated_before_death")]
    assert early["agencies"] == ["社保局", "公安局", "民政局"]
    assert got[(B, "funeral_dead_hukou_alive")]["agencies"] == ["民政局", "公安局"]


def test_name_matched_reports_raise_no_disagreement():
    n = night(
        hukou=[hukou()],
        death_certificates=[
            {"citizen_id": A, "death_date": D("2026-03-01"), "link_method": "attributes"}
        ],
    )
    assert found(n) == {}
    empty = night()
    out = agency_disagreements(empty, death_evidence(empty), POLICY)
    assert out.is_empty() and out.schema["agencies"] == pl.List(pl.String)


def test_every_kind_has_the_staffs_words():
    assert set(KINDS) <= set(DISAGREEMENT_KIND)
    assert {"roster_dead_hukou_alive", "hukou_dead_later_visit", "medical_dead_hukou_alive"} <= set(
        KINDS
    )
