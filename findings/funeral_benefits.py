"""Duplicate and improper funeral benefits (丧葬补助金重复领取与违规发放).

For each deceased person paid the residents' scheme funeral subsidy:
`duplicate_resident` (paid more than once), `duplicate_other_scheme` (also the employee
scheme's funeral grant or a one-time 抚恤金, annex 2 五.1), `ineligible_suspended` (status
at death not 待遇领取, annex 2 二(三)1), `ineligible_custody` (in custody on the date of
death, 二(三)2). One row per person and kind.

The date of death is the death evidence's (`findings.death_evidence`, 社保局's own
termination for death included). Where it is unknown — a death known only to the roster —
the subsidy is still ineligible when no status in force up to the termination was
待遇领取 (a contributor who never received). The status at death is only read from a
history that holds together (`findings.status_history`): where it does not, a finding
that would depend on it is not asserted but listed with `decision = 'review'`, its reason
and nothing to recover; every asserted row has `decision = 'confirmed'`.

Amounts never double count: a duplicate recovers every payment after the first; the
first payment is recovered once, under the first that applies of custody, suspended,
other scheme — later kinds for the same person show 0.00, so the rows of a person add up
to what must be clawed back.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from pensionlink.findings.custody import in_custody_on
from pensionlink.findings.death_evidence import death_evidence
from pensionlink.findings.first_record import first_record
from pensionlink.findings.status_at_death import ever_receiving, status_on
from pensionlink.findings.status_history import CONTRADICTORY, history_problems

from pensionlink.vocabulary import MONEY, RECEIVING, RESIDENT_SCHEME

__all__ = ["FUNERAL_KINDS", "RESIDENT_SCHEME", "duplicate_funeral_benefits"]

#: The order the rows are kept in (nulls first); `findings.partitioned` sorts the parts' rows by it.
ORDER = ("pension_no", "kind")

FUXU_SCHEME = "一次性抚恤金"
# Kinds that recover the first resident payment, in order of precedence.
FUNERAL_KINDS = (
    "duplicate_resident",
    "ineligible_custody",
    "ineligible_suspended",
    "duplicate_other_scheme",
)
COLUMNS = (
    "citizen_id",
    "pension_no",
    "name",
    "township",
    "village",
    "kind",
    "payments",
    "amount_to_recover",
    "decision",
    "reason",
)
STATUS_UNKNOWN_REASON = (
    CONTRADICTORY + "（{}），死亡时参保状态无法确定，暂不追回；请核实死亡时是否为待遇领取"
)
_PAYMENT = pl.Struct({"scheme": pl.String, "paid_date": pl.Date, "amount": MONEY})


def _payment() -> pl.Expr:
    return pl.struct(pl.col("scheme"), pl.col("paid_date"), pl.col("amount").cast(MONEY)).alias(
        "payment"
    )


def _resident_payments(subsidies: pl.DataFrame, roster: pl.DataFrame) -> pl.DataFrame:
    """Resident-scheme subsidies resolved to a person: by pension number, else by link."""
    by_no = (
        roster.filter(pl.col("pension_no").is_not_null())
        .select(
            "pension_no",
            _pid="person_id",
            _cid="citizen_id",
            _name="name",
        )
        .unique("pension_no", keep="first")
    )
    return (
        subsidies.filter(pl.col("scheme") == RESIDENT_SCHEME)
        .join(by_no, on="pension_no", how="left")
        .with_columns(
            person_id=pl.coalesce("_pid", "person_id"),
            citizen_id=pl.coalesce("_cid", "citizen_id", "person_id"),
            name=pl.coalesce("_name", "name"),
        )
        .filter(pl.col("person_id").is_not_null())
        .drop("_pid", "_cid", "_name")
    )


def _other_payments(subsidies: pl.DataFrame, fuxu: pl.DataFrame) -> pl.DataFrame:
    employee = subsidies.filter(pl.col("scheme") != RESIDENT_SCHEME)
    return pl.concat(
        [
            employee.select("person_id", _payment()),
            fuxu.select(
                "person_id",
                pl.struct(
                    scheme=pl.lit(FUXU_SCHEME),
                    paid_date=pl.col("paid_date"),
                    amount=pl.col("amount").cast(MONEY),
                ).alias("payment"),
            ),
        ]
    ).filter(pl.col("person_id").is_not_null())


def duplicate_funeral_benefits(
    linked: dict[str, pl.DataFrame],
    evidence: pl.DataFrame | None = None,
    problems: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The `duplicate_funeral_benefits` rows of one night (without run_id); `evidence` is
    `death_evidence(linked)` and `problems` the night's `history_problems` when the caller
    has them already."""
    roster = linked["resident_roster"]
    if problems is None:
        problems = history_problems(roster, linked["status_changes"])
    resident = _resident_payments(linked["funeral_subsidies"], roster)
    others = (
        _other_payments(linked["funeral_subsidies"], linked["pension_fuxu"])
        .group_by("person_id")
        .agg(other_payments=pl.col("payment").sort_by(pl.col("payment").struct.field("paid_date")))
    )
    if evidence is None:
        evidence = death_evidence(linked)
    evidence = evidence.select("person_id", "death_date", "died_by", _reported=pl.lit(True))
    people = (
        resident.sort("paid_date")
        .group_by("person_id", maintain_order=True)
        .agg(
            pl.col("citizen_id").first(),
            pl.col("pension_no").drop_nulls().first(),
            pl.col("name").first(),
            resident_payments=_payment(),
            first_amount=pl.col("amount").first().cast(MONEY),
            extra_amount=pl.col("amount").slice(1).sum().cast(MONEY),
            paid=pl.len(),
        )
        .join(evidence, on="person_id", how="left")
        .join(others, on="person_id", how="left")
    )
    changes = linked["status_changes"]
    people = status_on(people.with_columns(on_date=pl.col("death_date")), roster, changes)
    people = ever_receiving(people.with_columns(until=pl.col("died_by")), roster, changes)
    people = in_custody_on(people, linked["custody"]).join(problems, on="pension_no", how="left")
    known_death = pl.col("death_date").is_not_null()
    # What the history says, were it to hold together: not receiving at death, or (date
    # unknown, the death known) never receiving at all up to the termination.
    not_receiving = (
        known_death
        & pl.col("status_on_date").is_not_null()
        & (pl.col("status_on_date") != RECEIVING)
    ) | (~known_death & pl.col("_reported").fill_null(False) & ~pl.col("ever_receiving"))
    holds = pl.col("history_problem").is_null()
    flags = {
        "duplicate_resident": pl.col("paid") > 1,
        "ineligible_custody": known_death & pl.col("in_custody"),
        "ineligible_suspended": holds & not_receiving,
        "duplicate_other_scheme": pl.col("other_payments").list.len().fill_null(0) > 0,
    }
    people = people.with_columns(
        (expr.fill_null(False)).alias(f"_is_{kind}") for kind, expr in flags.items()
    )
    zero = pl.lit(Decimal("0.00"), MONEY)
    rows = []
    claimed = pl.lit(False)
    for kind in FUNERAL_KINDS:
        flag = pl.col(f"_is_{kind}")
        if kind == "duplicate_resident":
            amount = pl.col("extra_amount")
            payments = pl.col("resident_payments")
        else:
            amount = pl.when(claimed).then(zero).otherwise(pl.col("first_amount"))
            claimed = claimed | flag
            payments = (
                pl.concat_list("resident_payments", "other_payments")
                if kind == "duplicate_other_scheme"
                else pl.col("resident_payments")
            )
        rows.append(
            people.filter(flag).select(
                "citizen_id",
                "pension_no",
                "name",
                kind=pl.lit(kind),
                payments=payments.cast(pl.List(_PAYMENT)),
                amount_to_recover=amount.cast(MONEY),
                decision=pl.lit("confirmed"),
                reason=pl.lit(None, pl.String),
            )
        )
    rows.append(
        people.filter((~holds & not_receiving).fill_null(False)).select(
            "citizen_id",
            "pension_no",
            "name",
            kind=pl.lit("ineligible_suspended"),
            payments=pl.col("resident_payments").cast(pl.List(_PAYMENT)),
            amount_to_recover=zero,
            decision=pl.lit("review"),
            reason=pl.format(STATUS_UNKNOWN_REASON, "history_problem"),
        )
    )
    return _with_area(pl.concat(rows), roster, linked["hukou"]).select(COLUMNS).sort(ORDER)


def _with_area(found: pl.DataFrame, roster: pl.DataFrame, hukou: pl.DataFrame) -> pl.DataFrame:
    """Township and village for the township's report: the roster's, else the hukou's."""
    by_no = first_record(roster, "pension_no", found["pension_no"], _t1="township", _v1="village")
    by_person = first_record(
        hukou, "person_id", found["citizen_id"], _t2="township", _v2="village"
    ).rename({"person_id": "citizen_id"})
    return (
        found.join(by_no, on="pension_no", how="left", maintain_order="left")
        .join(by_person, on="citizen_id", how="left", maintain_order="left")
        .with_columns(township=pl.coalesce("_t1", "_t2"), village=pl.coalesce("_v1", "_v2"))
    )
