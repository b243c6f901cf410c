"""Cross-agency disagreements (数据不一致): what each agency should correct.

The plan gives each agency a duty to provide its data (annex 1, 二.5-10); where two
agencies' records about one person cannot both be right, the bureau needs to show each
of them what to check. One row per person and kind, from the night's death evidence
(`findings.death_evidence`; only reports and health visits linked on the citizen ID —
a record matched on name and birth date says nothing about this person for certain):

- `<source>_dead_hukou_alive`: an agency reports the death (社保局's termination for
  death `roster`, 医保局 `medical`, 民政局 cremation `funeral`, 卫健局 death certificate
  `certificate`) while the hukou still says 正常 and no later visit shows the person
  alive — ask 公安局 to deregister;
- `<source>_dead_later_visit`: a death report (hukou included) followed by a health visit
  on the person's own ID — ask the reporting agency to check a wrong death record;
- `death_dates_disagree`: reported dates of death further apart than the policy's
  `death_date_conflict_days`;
- `roster_terminated_before_death`: 社保局 terminated the record for death before the
  date another agency gives for the death.
"""

from __future__ import annotations

import polars as pl
from pensionlink.findings.death_evidence import ROSTER_TERMINATION, UNCERTAIN_METHODS
from pensionlink.findings.first_record import first_record

from pensionlink.settings import Policy

__all__ = ["COLUMNS", "KINDS", "SCHEMA", "agency_disagreements"]

#: The order the rows are kept in (nulls last); `findings.partitioned` sorts the parts' rows by it.
ORDER = ("township", "village", "citizen_id", "kind")

AGENCY = {
    "hukou": "公安局",
    "death_certificates": "卫健局",
    "funeral": "民政局",
    "medical_enrollment": "医保局",
    ROSTER_TERMINATION: "社保局",
}
PREFIX = {
    "hukou": "hukou",
    "death_certificates": "certificate",
    "funeral": "funeral",
    "medical_enrollment": "medical",
    ROSTER_TERMINATION: "roster",
}
# What each source says, with the date it gives ({} is the date).
SAYS = {
    "hukou": "公安局户籍登记{}死亡",
    "death_certificates": "卫健局死亡医学证明死亡日期{}",
    "funeral": "民政局火化记录死亡日期{}",
    "medical_enrollment": "医保局{}终止参保（原因：死亡）",
    ROSTER_TERMINATION: "社保局城乡居保参保记录{}终止（原因：死亡）",
}
HUKOU_ALIVE = "公安局户籍人员状态为正常"
VISIT = "卫健局{}有本人身份证号的就诊记录"
ASK_HUKOU_ALIVE = {
    "roster": "请公安局核实死亡情况并办理户籍注销（社保局已因死亡终止参保）",
    "medical": "请公安局核实是否死亡并办理户籍注销；如本人在世，请医保局更正终止原因并恢复参保",
    "funeral": "请公安局依据火化记录核实并办理户籍注销；如火化记录身份证号有误，请民政局更正",
    "certificate": "请公安局依据死亡医学证明核实并办理户籍注销；如证明身份证号有误，请卫健局更正",
}
ASK_LATER_VISIT = {
    "hukou": (
        "请公安局核查是否误注销户籍（注销后仍有本人就诊记录）；如确已死亡，请卫健局核实该就诊记录"
    ),
    "roster": "社保局核实终止原因（终止后仍有本人就诊记录），如本人在世应恢复参保",
    "medical": "请医保局核实终止原因（终止后仍有本人就诊记录），如本人在世应恢复参保",
    "funeral": "请民政局核实火化记录的身份证号（火化后该身份证号仍有就诊记录）",
    "certificate": "请卫健局核实死亡医学证明与就诊记录，二者不能同时属实",
}
KINDS = (
    *(f"{p}_dead_hukou_alive" for p in ASK_HUKOU_ALIVE),
    *(f"{p}_dead_later_visit" for p in ASK_LATER_VISIT),
    "death_dates_disagree",
    "roster_terminated_before_death",
)
SCHEMA = {
    "citizen_id": pl.String,
    "name": pl.String,
    "township": pl.String,
    "village": pl.String,
    "kind": pl.String,
    "agencies": pl.List(pl.String),
    "details": pl.String,
    "ask": pl.String,
}
COLUMNS = tuple(SCHEMA)


def _says(source: pl.Expr, day: pl.Expr) -> pl.Expr:
    text = pl.lit(None, pl.String)
    for name, template in SAYS.items():
        before, after = template.split("{}")
        text = (
            pl.when(source == name)
            .then(pl.concat_str(pl.lit(before), day.dt.strftime("%Y-%m-%d"), pl.lit(after)))
            .otherwise(text)
        )
    return text


def _id_reports(evidence: pl.DataFrame) -> pl.DataFrame:
    """One row per person and source linked on the ID: the date it gives (the earliest),
    or for the roster's termination the change date."""
    reports = (
        evidence.select("person_id", "last_id_visit", "reports")
        .explode("reports")
        .unnest("reports")
        .filter(~pl.col("link_method").is_in(UNCERTAIN_METHODS).fill_null(False))
        .with_columns(day=pl.coalesce("death_date", "died_by"))
    )
    return (
        reports.sort("day", nulls_last=True)
        .group_by("person_id", "source", maintain_order=True)
        .agg(pl.col("day").first(), pl.col("last_id_visit").first())
        .with_columns(
            agency=pl.col("source").replace_strict(AGENCY),
            prefix=pl.col("source").replace_strict(PREFIX),
            says=_says(pl.col("source"), pl.col("day")),
        )
    )


def _hukou_alive(reports: pl.DataFrame, hukou_alive: pl.Series) -> pl.DataFrame:
    alive_after = (pl.col("last_id_visit") > pl.col("day")).fill_null(False)
    found = reports.filter(
        (pl.col("source") != "hukou")
        & pl.col("person_id").is_in(hukou_alive.implode())
        & ~alive_after
    )
    return found.select(
        "person_id",
        kind=pl.concat_str("prefix", pl.lit("_dead_hukou_alive")),
        agencies=pl.concat_list("agency", pl.lit("公安局")),
        details=pl.concat_str(
            pl.col("says").fill_null(pl.concat_str("agency", pl.lit("报告死亡"))),
            pl.lit("；" + HUKOU_ALIVE),
        ),
        ask=pl.col("prefix").replace_strict(ASK_HUKOU_ALIVE),
    )


def _later_visit(reports: pl.DataFrame) -> pl.DataFrame:
    found = reports.filter((pl.col("last_id_visit") > pl.col("day")).fill_null(False))
    before, after = VISIT.split("{}")
    return found.select(
        "person_id",
        kind=pl.concat_str("prefix", pl.lit("_dead_later_visit")),
        agencies=pl.concat_list("agency", pl.lit("卫健局")).list.unique(maintain_order=True),
        details=pl.concat_str(
            "says",
            pl.lit("；" + before),
            pl.col("last_id_visit").dt.strftime("%Y-%m-%d"),
            pl.lit(after),
        ),
        ask=pl.col("prefix").replace_strict(ASK_LATER_VISIT),
    )


def _dates_disagree(reports: pl.DataFrame, window_days: int) -> pl.DataFrame:
    dated = reports.filter(
        (pl.col("source") != ROSTER_TERMINATION) & pl.col("day").is_not_null()
    ).sort("person_id", "day", "source")  # one order for reports of the same day
    spread = dated.group_by("person_id", maintain_order=True).agg(
        _days=(pl.col("day").max() - pl.col("day").min()).dt.total_days(),
        agencies=pl.col("agency").unique(maintain_order=True),
        details=pl.col("says").str.join("；"),
    )
    found = spread.filter(pl.col("_days") > window_days)
    return found.select(
        "person_id",
        kind=pl.lit("death_dates_disagree"),
        agencies="agencies",
        details=pl.concat_str(
            "details",
            pl.lit("（相差"),
            pl.col("_days").cast(pl.String),
            pl.lit(f"天，超过{window_days}天）"),
        ),
        ask=pl.concat_str(pl.lit("请"), pl.col("agencies").list.join("、"), pl.lit("核对死亡日期")),
    )


def _terminated_before_death(reports: pl.DataFrame) -> pl.DataFrame:
    roster = reports.filter(pl.col("source") == ROSTER_TERMINATION).select(
        "person_id", terminated="day", roster_says="says"
    )
    later = reports.filter(
        (pl.col("source") != ROSTER_TERMINATION) & pl.col("day").is_not_null()
    ).join(roster, on="person_id", how="inner")
    later = later.filter(pl.col("day") > pl.col("terminated")).sort("person_id", "day", "source")
    found = later.group_by("person_id", maintain_order=True).agg(
        others=pl.col("agency").unique(maintain_order=True),
        says=pl.col("says").str.join("；"),
        roster_says=pl.col("roster_says").first(),
    )
    return found.select(
        "person_id",
        kind=pl.lit("roster_terminated_before_death"),
        agencies=pl.concat_list(pl.lit(["社保局"]), "others").list.unique(maintain_order=True),
        details=pl.concat_str("roster_says", pl.lit("，早于"), "says"),
        ask=pl.concat_str(
            pl.lit("社保局核实终止日期与原因；请"),
            pl.col("others").list.join("、"),
            pl.lit("核对死亡日期"),
        ),
    )


def agency_disagreements(
    linked: dict[str, pl.DataFrame], evidence: pl.DataFrame, policy: Policy
) -> pl.DataFrame:
    """The `agency_disagreements` rows of one night (without first_seen_run and run_id);
    `evidence` is the night's `death_evidence(linked)`."""
    if evidence.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    reports = _id_reports(evidence)
    hukou = linked["hukou"]
    alive = (  # two columns of the hukou filtered, not all of it copied
        hukou.select("person_id", "hukou_status")
        .filter((pl.col("hukou_status") == "正常") & pl.col("person_id").is_not_null())
        .get_column("person_id")
    )
    found = pl.concat(
        [
            _hukou_alive(reports, alive),
            _later_visit(reports),
            _dates_disagree(reports, policy.death_date_conflict_days),
            _terminated_before_death(reports),
        ],
        how="vertical_relaxed",
    ).unique(["person_id", "kind"], keep="first", maintain_order=True)
    return (
        _with_person(found, hukou, linked["resident_roster"])
        .select(COLUMNS)
        .cast(SCHEMA)
        .sort(ORDER, nulls_last=True)
    )


def _with_person(found: pl.DataFrame, hukou: pl.DataFrame, roster: pl.DataFrame) -> pl.DataFrame:
    """Name, township and village: the hukou's, else the roster's."""
    ids = found["person_id"]
    by_hukou = first_record(hukou, "person_id", ids, _n1="name", _t1="township", _v1="village")
    by_roster = first_record(roster, "person_id", ids, _n2="name", _t2="township", _v2="village")
    return (
        found.join(by_hukou, on="person_id", how="left")
        .join(by_roster, on="person_id", how="left")
        .with_columns(
            citizen_id="person_id",
            name=pl.coalesce("_n1", "_n2"),
            township=pl.coalesce("_t1", "_t2"),
            village=pl.coalesce("_v1", "_v2"),
        )
    )
