"""Staff decisions feeding the night's findings (经办决定回写核查结果). Pure.

- `verify_alive` (核实在世): that death, on the same evidence, is neither confirmed nor
  listed; the reporting agencies' error is listed in `agency_disagreements` (kind
  `death_reported_verified_alive`) so it is corrected at the source.
- `verify_dead` (核实死亡): a death listed for review is confirmed, on the same evidence
  (fingerprint) only: a later visit or another death date is decided afresh by the rules.
- `contacted` 已在外地参保: the person leaves `uninsured_eligible` and is counted in
  `coverage_by_area.covered_elsewhere` (the rate is unchanged: the one rule).
"""

from __future__ import annotations

import polars as pl

from pensionlink.cases.candidates import death_fingerprint
from pensionlink.cases.keys import PersonKeys, person_keys
from pensionlink.cases.model import CLOSED

__all__ = ["VERIFIED_ALIVE", "apply_case_decisions", "case_decisions"]

VERIFIED_ALIVE = "death_reported_verified_alive"
DECISION_SCHEMA = {"person_key": pl.String, "decision": pl.String, "fingerprint": pl.String}
_AGENCY = {
    "hukou": "公安局",
    "death_certificates": "卫健局",
    "funeral": "民政局",
    "medical_enrollment": "医保局",
    "status_changes": "社保局",
}


def case_decisions(cases: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """The decisions that change findings: ('alive', fingerprint) of deaths closed alive,
    ('dead', fingerprint) of open deaths staff verified dead (and no conflict sent back
    since), ('covered_elsewhere', None). `events` in the order they happened."""
    alive = cases.filter(
        (pl.col("kind") == "death")
        & (pl.col("state") == CLOSED)
        & (pl.col("close_reason") == "alive")
    ).select("person_key", decision=pl.lit("alive"), fingerprint="fingerprint")
    # verified dead, and not sent back to be verified since (the store lists in order)
    last = (
        events.filter(pl.col("action").is_in(["verify_dead", "back_to_verify"]))
        .group_by("case_id", maintain_order=True)
        .agg(pl.col("action").last())
        .filter(pl.col("action") == "verify_dead")
    )
    dead = cases.filter(
        (pl.col("kind") == "death")
        & (pl.col("state") != CLOSED)
        & pl.col("case_id").is_in(last["case_id"].implode())
    ).select("person_key", decision=pl.lit("dead"), fingerprint="fingerprint")
    covered = cases.filter(
        (pl.col("kind") == "uninsured") & (pl.col("close_reason") == "covered_elsewhere")
    ).select(
        "person_key", decision=pl.lit("covered_elsewhere"), fingerprint=pl.lit(None, pl.String)
    )
    return pl.concat([alive, dead, covered]).cast(DECISION_SCHEMA).unique(maintain_order=True)


def apply_case_decisions(
    tables: dict[str, pl.DataFrame], decisions: pl.DataFrame, key: bytes | PersonKeys
) -> dict[str, pl.DataFrame]:
    """The night's finding tables with the staff decisions applied (see the module)."""
    out = dict(tables)
    decisions = decisions.cast(DECISION_SCHEMA)
    alive = decisions.filter(pl.col("decision") == "alive").select("person_key", "fingerprint")
    dead = decisions.filter(pl.col("decision") == "dead").select("person_key", "fingerprint")
    covered = decisions.filter(pl.col("decision") == "covered_elsewhere")["person_key"]
    deaths = out.get("deaths_to_deregister")
    if deaths is not None:
        keyed = deaths.with_columns(
            _key=person_keys(deaths["citizen_id"], key),
            _fp=death_fingerprint(pl.col("evidence"), pl.col("death_date")),
        )
        held = keyed.join(
            alive.rename({"person_key": "_key", "fingerprint": "_fp"}),
            on=["_key", "_fp"],
            how="semi",
        )
        keyed = keyed.join(held.select("_key", "_fp"), on=["_key", "_fp"], how="anti")
        verified = pl.concat_str("_key", "_fp", separator="|").is_in(
            dead.select(pl.concat_str("person_key", "fingerprint", separator="|"))
            .to_series()
            .drop_nulls()
            .implode()
        )
        keyed = keyed.with_columns(
            decision=pl.when(verified).then(pl.lit("confirmed")).otherwise("decision"),
            reason=pl.when(verified).then(pl.lit(None, pl.String)).otherwise("reason"),
        )
        out["deaths_to_deregister"] = keyed.drop("_key", "_fp")
        disagreements = out.get("agency_disagreements")
        if disagreements is not None and held.height:
            out["agency_disagreements"] = pl.concat(
                [disagreements, _verified_alive(held)], how="diagonal_relaxed"
            )
    uninsured = out.get("uninsured_eligible")
    if uninsured is not None:
        keyed = uninsured.with_columns(_key=person_keys(uninsured["citizen_id"], key))
        gone = keyed.filter(pl.col("_key").is_in(covered.implode()))
        out["uninsured_eligible"] = keyed.filter(~pl.col("_key").is_in(covered.implode())).drop(
            "_key"
        )
        coverage = out.get("coverage_by_area")
        if coverage is not None:
            out["coverage_by_area"] = _covered_elsewhere(coverage, gone)
    return out


def _verified_alive(held: pl.DataFrame) -> pl.DataFrame:
    agencies = pl.col("evidence").list.eval(
        pl.element().replace_strict(_AGENCY, default=pl.element())
    )
    return held.select(
        "citizen_id",
        "name",
        "township",
        "village",
        kind=pl.lit(VERIFIED_ALIVE),
        agencies=agencies.list.unique(maintain_order=True),
        details=pl.concat_str(
            pl.lit("经办人核实本人在世；"), agencies.list.join("、"), pl.lit("报告的死亡不予认定")
        ),
        ask=pl.concat_str(pl.lit("请"), agencies.list.join("、"), pl.lit("更正本人的死亡记录")),
    )


def _covered_elsewhere(coverage: pl.DataFrame, gone: pl.DataFrame) -> pl.DataFrame:
    """Per area, people contacted and found insured elsewhere: out of the uninsured count,
    into `covered_elsewhere`. The rate stays the one rule (`findings.coverage.coverage_rate`,
    insured here ÷ residents): insured elsewhere is not on this city's rosters."""
    counts = gone.group_by("township", "village").agg(covered=pl.len().cast(pl.Int32))
    out = coverage.drop("covered_elsewhere", strict=False).join(
        counts, on=["township", "village"], how="left", nulls_equal=True
    )
    n = pl.col("covered").fill_null(0)
    return out.with_columns(
        uninsured_eligible=(pl.col("uninsured_eligible") - n).cast(pl.Int32),
        covered_elsewhere=n.cast(pl.Int32),
    ).drop("covered")
