"""Source quality rows: counts that add up, stale sources visible, no values."""

import polars as pl
from pensionlink.findings.source_quality import source_quality


def entry(source, **kw):
    return {
        "source": source,
        "file": f"{source}.csv",
        "stale": False,
        "note": None,
        "rows_read": 4,
        "rows_rejected": 1,
    } | kw


def test_counts_per_source():
    visits = pl.DataFrame(
        {
            "id_status": ["valid", "repaired", "mangled", "valid"],
            "person_id": ["a", "b", None, None],
        }
    )
    payments = pl.DataFrame({"pension_no": ["1"]})
    validation = pl.DataFrame(
        {
            "source": ["visits"],
            "expectations": [5],
            "failed": [1],
            "failures": [["id_status in set"]],
        }
    )
    out = source_quality(
        [entry("visits"), entry("pension_payments", stale=True, note="未送达 not delivered")],
        {"visits": visits, "pension_payments": payments},
        validation,
    )
    v, p = out.row(0, named=True), out.row(1, named=True)
    assert (v["ids_valid"], v["ids_repaired"], v["ids_mangled"], v["ids_empty"]) == (2, 1, 1, 0)
    assert (v["rows_linked"], v["rows_unlinked"]) == (2, 2)
    assert (v["expectations"], v["expectations_failed"]) == (5, 1)
    assert v["agency"] == "卫健局"
    assert p["stale"] and p["ids_valid"] is None and p["expectations"] is None
