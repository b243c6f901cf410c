"""Deaths needing deregistration (待注销人员) with their settlement.

A person on the residents' roster whose 参保状态 is 参保缴费, 待遇领取 or 暂停 and whom
some agency reports dead (社保局's own termination for death never lists a person: the
record is terminated already). `decision = 'confirmed'` only where the reported names
agree with the roster, the dates agree within the policy's window, no health visit
follows the death, the status history holds together, and the reports linked on the
citizen ID alone make the case: one of the policy's `death_confirmation` source sets
(bundled: hukou 死亡, a death certificate or a cremation record, each alone). A report
linked on name and birth date may corroborate a death, never establish one. Anything else
goes to review with its reasons: wrongly stopping a living person's pension is the worst
error this system can make.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from pensionlink.findings.custody import in_custody_on
from pensionlink.findings.death_evidence import DEATH_SOURCES, death_evidence
from pensionlink.findings.first_record import first_record
from pensionlink.findings.settlement import settle_deceased
from pensionlink.findings.status_at_death import status_at_death
from pensionlink.findings.status_history import CONTRADICTORY, history_problems
from pensionlink.findings.withheld import rejected_roster_people, withheld_death_reports
from pensionlink.matching.names import add_name_keys
from rapidfuzz import process
from rapidfuzz.distance import OSA

from pensionlink.settings import Policy
from pensionlink.vocabulary import ACTIVE_STATUSES, SOURCE_TITLES

__all__ = ["ACTIVE_STATUSES", "deaths_to_deregister", "review_reasons"]

#: The order the rows are kept in (nulls last); `findings.partitioned` sorts the parts' rows by it.
ORDER = ("township", "village", "pension_no", "citizen_id")

COLUMNS = (
    "citizen_id",
    "pension_no",
    "name",
    "township",
    "village",
    "roster_status",
    "death_date",
    "evidence",
    "decision",
    "reason",
    "status_at_death",
    "overpaid_months",
    "overpaid_amount",
    "funeral_subsidy",
    "account_balance",
    "net_to_heirs",
    "to_recover",
)


def _name_mismatches(candidates: pl.DataFrame) -> pl.DataFrame:
    """Per (pension_no): how many reported names differ from the roster name."""
    roster_keys = add_name_keys(candidates.select("pension_no", "name").unique("pension_no"))
    reported = (
        candidates.select("pension_no", "report_names")
        .explode("report_names")
        .drop_nulls("report_names")
        .pipe(add_name_keys, column="report_names")
        .join(roster_keys, on="pension_no", suffix="_roster")
    )
    agrees = (pl.col("name_key") == pl.col("name_key_roster")) | (
        pl.col("pinyin_key") == pl.col("pinyin_key_roster")
    )
    return reported.group_by("pension_no").agg(name_mismatches=(~agrees.fill_null(False)).sum())


def _sufficient(column: str, confirmation: tuple[tuple[str, ...], ...]) -> pl.Expr:
    """The sources in `column` include one of the policy's confirming source sets."""
    sets = [
        pl.all_horizontal(pl.col(column).list.contains(pl.lit(source)) for source in sources)
        for sources in confirmation
    ]
    return pl.any_horizontal(sets) if sets else pl.lit(False)


def _required(confirmation: tuple[tuple[str, ...], ...]) -> str:
    """The policy's confirming sets in words: 公安户籍、死亡医学证明或民政火化记录."""
    words = ["+".join(SOURCE_TITLES.get(s, s) for s in sources) for sources in confirmation]
    if not words:
        return "（政策未设定）"
    return words[0] if len(words) == 1 else "、".join(words[:-1]) + "或" + words[-1]


def _first(column: str) -> pl.Expr:
    return (
        pl.col(column)
        .list.first()
        .replace_strict(SOURCE_TITLES, default=pl.col(column).list.first())
    )


def _unlinked_visits_after(candidates: pl.DataFrame, visits: pl.DataFrame) -> pl.DataFrame:
    """Per pension_no: the latest visit after the death by someone of the same name whose
    visit could not be linked to anyone (no usable ID, or an ID that contradicts the name).

    It may be a namesake, or the person alive: the record cannot tell, so a reviewer must.
    A visit whose ID is readable but two or more characters away from the deceased's is
    someone else's and does not count.
    """
    schema = {"pension_no": pl.String, "namesake_visit": pl.Date}
    unlinked = visits.filter(pl.col("person_id").is_null() & pl.col("name").is_not_null())
    if unlinked.is_empty() or candidates.is_empty():
        return pl.DataFrame(schema=schema)
    if "id_clean" not in unlinked.columns:
        unlinked = unlinked.with_columns(id_clean=pl.lit(None, pl.String))
    unlinked = add_name_keys(unlinked.select("name", "visit_date", "id_clean")).drop(
        "name", "name_key"
    )
    dead = add_name_keys(candidates.select("pension_no", "citizen_id", "name", "death_date"))
    pairs = dead.drop("name", "name_key").join(unlinked, on="pinyin_key")
    pairs = pairs.filter(pl.col("visit_date") > pl.col("death_date"))
    if pairs.is_empty():
        return pl.DataFrame(schema=schema)
    distance = process.cpdist(
        pairs["id_clean"].fill_null("").to_list(),
        pairs["citizen_id"].fill_null("").to_list(),
        scorer=OSA.distance,
    )
    someone_else = pl.col("id_clean").is_not_null() & (pl.col("_distance") >= 2)
    return (
        pairs.with_columns(_distance=pl.Series(distance))
        .filter(~someone_else)
        .group_by("pension_no")
        .agg(namesake_visit=pl.col("visit_date").max())
        .cast(schema)
    )


def review_reasons(
    window_days: int, as_of: dt.date, confirmation: tuple[tuple[str, ...], ...]
) -> pl.Expr:
    """Chinese reasons why a reported death cannot be confirmed, '；'-joined (null if none);
    `confirmation` is the policy's `death_confirmation`."""
    required = _required(confirmation)
    checks = [
        (pl.col("death_date").is_null(), pl.lit("无死亡日期")),
        (pl.col("death_date") < pl.col("birth_date"), pl.lit("死亡日期早于出生日期")),
        (
            pl.col("withheld_reports").list.len() > 0,
            pl.format(
                "{}死亡记录数据不合约定已拒收，需核实",
                pl.col("withheld_reports")
                .list.eval(pl.element().replace(SOURCE_TITLES))
                .list.join("、"),
            ),
        ),
        (pl.col("death_date") > pl.lit(as_of), pl.lit("死亡日期晚于核查日期")),
        (pl.col("name_mismatches") > 0, pl.lit("来源姓名与参保登记姓名不一致")),
        (
            pl.col("date_spread_days") > window_days,
            pl.format("各来源死亡日期相差{}天(超过{}天)", "date_spread_days", pl.lit(window_days)),
        ),
        (
            pl.col("last_visit") > pl.col("death_date"),
            pl.format("死亡日期后仍有就诊记录({})，可能仍在世", "last_visit"),
        ),
        (
            pl.col("namesake_visit").is_not_null(),
            pl.format(
                "死亡日期后有同名就诊记录({})，身份证号缺失或不符，需核实是否本人", "namesake_visit"
            ),
        ),
        (
            (pl.col("id_evidence").list.len() == 0) & (pl.col("evidence").list.len() > 0),
            pl.lit("死亡信息均按姓名、出生日期匹配，身份证号未核实"),
        ),
        (
            pl.col("history_problem").is_not_null(),
            pl.format(CONTRADICTORY + "（{}），死亡时参保状态无法确定", "history_problem"),
        ),
        (
            (pl.col("id_evidence").list.len() > 0)
            & ~_sufficient("id_evidence", confirmation)
            & _sufficient("evidence", confirmation),
            pl.format("身份证号核实的仅{}一个来源，其余按姓名匹配", _first("id_evidence")),
        ),
        (
            (pl.col("id_evidence").list.len() > 0)
            & (pl.col("evidence").list.len() == 1)
            & ~_sufficient("evidence", confirmation),
            pl.format(
                "仅{}一个来源报告死亡，不足以确认（需{}）", _first("evidence"), pl.lit(required)
            ),
        ),
        (
            (pl.col("id_evidence").list.len() > 0)
            & (pl.col("evidence").list.len() > 1)
            & ~_sufficient("evidence", confirmation),
            pl.format(
                "{}报告死亡，不足以确认（需{}）",
                pl.col("evidence").list.eval(pl.element().replace(SOURCE_TITLES)).list.join("、"),
                pl.lit(required),
            ),
        ),
    ]
    parts = [pl.when(cond.fill_null(False)).then(text) for cond, text in checks]
    joined = pl.concat_str(parts, separator="；", ignore_nulls=True)
    return pl.when(joined == "").then(None).otherwise(joined)


def _births(hukou: pl.DataFrame) -> pl.DataFrame:
    """person_id → the latest birth date the hukou gives (its 出生日期 or its ID's)."""
    dates = [c for c in ("birth_date", "id_birth_date") if c in hukou.columns]
    birth = pl.max_horizontal(dates) if dates else pl.lit(None, pl.Date)
    return (
        hukou.filter(pl.col("person_id").is_not_null())
        .group_by("person_id")
        .agg(birth_date=birth.max())
    )


def _with_withheld(evidence: pl.DataFrame, withheld: pl.DataFrame) -> pl.DataFrame:
    """`evidence` plus `withheld_reports`, and a row (no usable report) for each person
    whose only death report tonight was rejected."""
    joined = evidence.join(withheld, on="person_id", how="full", coalesce=True)
    return joined.with_columns(
        pl.col(c).fill_null(pl.lit([], pl.List(pl.String)))
        for c in ("evidence", "id_evidence", "report_names", "withheld_reports")
    )


def deaths_to_deregister(
    linked: dict[str, pl.DataFrame],
    as_of: dt.date,
    policy: Policy,
    evidence: pl.DataFrame | None = None,
    problems: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The `deaths_to_deregister` rows of one night (without run_id); `evidence` is
    `death_evidence(linked)` and `problems` the night's `history_problems` when the caller
    has them already."""
    if evidence is None:
        evidence = death_evidence(linked)
    roster = linked["resident_roster"]
    if problems is None:
        problems = history_problems(roster, linked["status_changes"])
    # Reported by an agency: the roster's own termination never lists a person.
    evidence = evidence.filter(
        pl.col("evidence").list.eval(pl.element().is_in(DEATH_SOURCES)).list.any()
    )
    # a death report rejected tonight is not dropped: its person goes to review
    withheld = withheld_death_reports(linked)
    evidence = _with_withheld(evidence, withheld)
    candidates = (
        roster.filter(pl.col("status").is_in(ACTIVE_STATUSES) & pl.col("person_id").is_not_null())
        .select(
            "person_id",
            "pension_no",
            "name",
            "township",
            "village",
            "account_balance",
            citizen_id=pl.coalesce("citizen_id", "person_id"),
            roster_status="status",
        )
        .join(evidence, on="person_id", how="inner")
        .join(_births(linked["hukou"]), on="person_id", how="left")
    )
    candidates = candidates.join(_name_mismatches(candidates), on="pension_no", how="left")
    candidates = candidates.with_columns(pl.col("name_mismatches").fill_null(0)).join(
        _unlinked_visits_after(candidates, linked["visits"]), on="pension_no", how="left"
    )
    dated = candidates.with_columns(on_date=pl.col("death_date"))
    dated = status_at_death(dated, roster, linked["status_changes"], problems).rename(
        {"status_on_date": "status_at_death"}
    )
    dated = dated.join(problems, on="pension_no", how="left")
    dated = in_custody_on(dated, linked["custody"])
    settled = settle_deceased(
        dated.with_columns(pl.col("death_date").fill_null(pl.lit(as_of))),
        linked["pension_payments"],
        policy.funeral_subsidy,
    ).with_columns(death_date=dated["death_date"])
    reason = review_reasons(policy.death_date_conflict_days, as_of, policy.death_confirmation)
    out = settled.with_columns(reason=reason).with_columns(
        decision=pl.when(pl.col("reason").is_null())
        .then(pl.lit("confirmed"))
        .otherwise(pl.lit("review"))
    )
    unknown = _rejected_roster_deaths(linked, evidence, out)
    return pl.concat([out.select(COLUMNS), unknown], how="vertical_relaxed").sort(
        ORDER, nulls_last=True
    )


REJECTED_ROSTER_REASON = "城乡居保参保登记记录数据不合约定已拒收，参保状态未知，需核实后处理"


def _rejected_roster_deaths(
    linked: dict[str, pl.DataFrame], evidence: pl.DataFrame, listed: pl.DataFrame
) -> pl.DataFrame:
    """A person an agency reports dead whose residents' roster row was rejected tonight:
    listed for review (status and settlement unknown), never dropped and never confirmed
    — a refused row must not let a dead pensioner's payments run on unnoticed."""
    people = rejected_roster_people(linked)
    schema = listed.select(COLUMNS).schema
    if people.is_empty():
        return pl.DataFrame(schema=schema)
    hukou = first_record(
        linked["hukou"], "person_id", people, name="name", township="township", village="village"
    )
    rows = (
        evidence.filter(
            pl.col("person_id").is_in(people.implode())
            & ~pl.col("person_id").is_in(listed["citizen_id"].implode())
        )
        .join(hukou, on="person_id", how="inner")
        .select(
            citizen_id="person_id",
            name="name",
            township="township",
            village="village",
            death_date="death_date",
            evidence="evidence",
            decision=pl.lit("review"),
            reason=pl.lit(REJECTED_ROSTER_REASON),
        )
    )
    return rows.select(
        pl.col(c) if c in rows.columns else pl.lit(None).alias(c) for c in COLUMNS
    ).cast(schema)
