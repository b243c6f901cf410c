"""Status-history patterns of real rosters (issue 13), added to a generated night.

`synth.generate.generate_night` calls these on the true story it builds, with a random
generator of their own (so the rest of a night stays as it was):

- **Suspensions for missed certification after an unreported death**
  (`certification_suspensions`): a pensioner whose death the roster learns of late is
  first suspended (待遇领取 → 暂停, 未按时资格认证) months after the death, then
  terminated (暂停 → 终止, 死亡). The status at death stays 待遇领取.
- **Deaths known only to the roster** (`roster_only_deaths`): 社保局 terminated the record
  for death (status_changes 终止/死亡, roster 终止) while the hukou still says 正常 and no
  other agency reports the death; some have one other source, a cremation record (火化)
  made against the ID card. Some contributors among them were paid the funeral subsidy
  anyway (`roster_only_subsidies`): improper, and found only from the roster's record.
- **Deaths known only from the cremation record** (`cremation_only_deaths`): a recent
  death the roster has not processed, not yet on the hukou, without a certificate; the
  crematorium recorded it against the deceased's own ID.
- **Contradictory status histories** (`contradict_histories`): a 待遇领取 → 暂停 dated after
  the record's 暂停 → 终止; a 变更前状态 that is not the previous 变更后状态; two changes on
  one day that no order chains; a current 参保状态 unlike the last change. Only the
  recorded history (and the roster's current status) is wrong, never the true story.

What the truth expects of them (shared/contract/RULES.md §1, issue 13): the dead are
never uninsured and not living residents (already so in the generator's truth); a status
at death read from a history that does not hold together, or from a roster-only death
whose date no agency gives when the statuses before the termination differ and include
待遇领取, is `unknown` (`truth_status_at_death`): the death goes to review and no
`ineligible_suspended` is expected. New truth files: `deceased.csv` (every true death and
who reports it), `contradictory_histories.csv` and `agency_disagreements.csv`.

Rates are shares of the people each pattern can apply to, multiplied by `noise` (at most 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from pensionlink.connectors.citizen_id import normalise_citizen_id
from pensionlink.synth.draws import between, chance
from pensionlink.synth.lives import (
    ACTIVE,
    CONTRIB,
    RECEIVING,
    STATUS,
    SUSPENDED,
    UNKNOWN,
    Lives,
)
from pensionlink.synth.population import People
from pensionlink.synth.render import Extract
from pensionlink.synth.status_history import status_on, termination_day
from pensionlink.synth.values import NEVER, dates_text

from pensionlink import vocabulary

__all__ = [
    "CERTIFICATION_SUSPENSION",
    "CONTRADICTORY_DEAD",
    "CONTRADICTORY_LIVING",
    "CREMATION_ONLY_DEATH",
    "DEATH_REPORTERS",
    "DISAGREEMENT_KINDS",
    "ROSTER_ONLY_CREMATION",
    "ROSTER_ONLY_DEATH",
    "ROSTER_ONLY_SUBSIDY",
    "Contradictions",
    "certification_suspensions",
    "contradict_histories",
    "cremation_only_deaths",
    "deceased_truth",
    "disagreement_truth",
    "roster_only_deaths",
    "roster_only_subsidies",
    "truth_status_at_death",
]

#: Share of slowly processed pensioner deaths (> 120 days to the termination) suspended
#: for a missed annual certification before the roster terminates them.
CERTIFICATION_SUSPENSION = 0.5
#: Share of deaths the roster processed that no other agency reports (hukou still 正常).
ROSTER_ONLY_DEATH = 0.04
#: Of those, the share with a cremation record (linked on the deceased's own ID).
ROSTER_ONLY_CREMATION = 0.3
#: Share of roster-only deaths of contributors paid the funeral subsidy all the same.
ROSTER_ONLY_SUBSIDY = 0.4
#: Share of the past year's deaths the roster has not processed whose only report is the
#: cremation record (linked on the deceased's own ID): no hukou update yet, no certificate.
CREMATION_ONLY_DEATH = 0.05
#: Share of the roster's dead (not roster-only) whose recorded history contradicts itself.
CONTRADICTORY_DEAD = 0.008
#: Share of living people on the roster (active) whose recorded history contradicts itself.
CONTRADICTORY_LIVING = 0.002

#: Death-reporting source -> (kind prefix, agency), as the findings name them.
DEATH_REPORTERS = {
    "status_changes": ("roster", "社保局"),
    "hukou": ("hukou", "公安局"),
    "medical_enrollment": ("medical", "医保局"),
    "funeral": ("funeral", "民政局"),
    "death_certificates": ("certificate", "卫健局"),
}
#: The kinds of disagreement the truth lists: `<prefix>_dead_later_visit` (a health visit
#: on the person's own ID after the reported death: ask the reporter to check) and, for
#: every reporter but the hukou, `<prefix>_dead_hukou_alive` (the hukou still 正常 and no
#: such visit: ask 公安局 to deregister).
DISAGREEMENT_KINDS = tuple(
    kind
    for source, (prefix, _) in DEATH_REPORTERS.items()
    for kind in (
        (f"{prefix}_dead_later_visit",)
        if source == "hukou"
        else (f"{prefix}_dead_hukou_alive", f"{prefix}_dead_later_visit")
    )
)
_CERTIFICATION = "未按时资格认证"
_DEATH = "死亡"


def _rate(share: float, noise: float) -> float:
    return min(1.0, share * noise)


def _sorted_history(life: Lives) -> None:
    order = np.lexsort((life.ch_day, life.ch_pid))
    life.ch_pid, life.ch_day = life.ch_pid[order], life.ch_day[order]
    life.ch_after, life.ch_reason = life.ch_after[order], life.ch_reason[order]


# --------------------------------------------------------------------------- pattern b


def certification_suspensions(
    rng: np.random.Generator, p: People, life: Lives, noise: float
) -> np.ndarray:
    """Suspend some slowly processed pensioner deaths 90+ days after the death and 20+ days
    before the termination (in the true history: payments stop there). Returns the mask."""
    death = life.death
    term = termination_day(life)
    who = np.flatnonzero(life.roster & (death < NEVER) & (term < NEVER) & (term - death > 120))
    receiving = np.zeros(p.n, bool)
    receiving[who] = status_on(life, who, death[who]) == RECEIVING
    chosen = chance(rng, _rate(CERTIFICATION_SUSPENSION, noise), receiving)
    day = between(rng, death + 90, term - 20)
    life.ch_pid = np.concatenate([life.ch_pid, np.flatnonzero(chosen)])
    life.ch_day = np.concatenate([life.ch_day, day[chosen]])
    life.ch_after = np.concatenate([life.ch_after, np.full(chosen.sum(), SUSPENDED)])
    life.ch_reason = np.concatenate([life.ch_reason, np.full(chosen.sum(), _CERTIFICATION, object)])
    _sorted_history(life)
    return chosen


# --------------------------------------------------------------------------- pattern a


def roster_only_deaths(
    rng: np.random.Generator, p: People, life: Lives, reports: dict, noise: float
) -> np.ndarray:
    """Take every agency's report away from some deaths the roster processed (one in
    ROSTER_ONLY_CREMATION keeps its cremation record, with the deceased's own ID).

    Updates `reports` in place (and sets `reports["funeral_protect"]`); returns the mask.
    """
    term = termination_day(life)
    # Deaths with conflicting reports keep them (that pattern needs the reports).
    pool = life.roster & (term < NEVER) & ~reports["conflict"]
    chosen = chance(rng, _rate(ROSTER_ONLY_DEATH, noise), pool)
    cremation = chance(rng, ROSTER_ONLY_CREMATION, chosen)
    _leave_cremation_only(reports, life, chosen, cremation)
    return chosen


def _leave_cremation_only(
    reports: dict, life: Lives, chosen: np.ndarray, cremation: np.ndarray
) -> None:
    """Take the hukou's, the certificate's and medical insurance's reports of the `chosen`
    deaths away; keep a cremation record only where `cremation` (the true date, its ID
    the deceased's own: `reports["funeral_protect"]`)."""
    for source in ("hukou", "cert", "medical"):
        reports[source] = reports[source] & ~chosen
        reports[f"{source}_day"] = np.where(chosen, NEVER, reports[f"{source}_day"])
    reports["hukou_dereg"] = np.where(chosen, NEVER, reports["hukou_dereg"])
    reports["cert_no_id"] = reports["cert_no_id"] & ~chosen
    reports["funeral"] = np.where(chosen, cremation, reports["funeral"])
    reports["funeral_day"] = np.where(
        chosen, np.where(cremation, life.death, NEVER), reports["funeral_day"]
    )
    kept = chosen & cremation
    reports["funeral_protect"] = reports.get("funeral_protect", np.zeros_like(kept)) | kept


def cremation_only_deaths(
    rng: np.random.Generator,
    p: People,
    life: Lives,
    reports: dict,
    roster_only: np.ndarray,
    noise: float,
) -> np.ndarray:
    """Leave some recent deaths not yet processed by the roster with the cremation record
    as their only report (its ID the deceased's own; a death certificate, the hukou's and
    medical insurance's reports not yet made). A body recorded against the ID card: the
    bundled policy confirms such a death. Updates `reports` in place; returns the mask."""
    term = termination_day(life)
    recent = (life.death < NEVER) & (life.death >= p.as_of - 365)
    pool = life.roster & recent & (term >= NEVER) & ~roster_only & ~reports["conflict"]
    chosen = chance(rng, _rate(CREMATION_ONLY_DEATH, noise), pool)
    _leave_cremation_only(reports, life, chosen, chosen)
    return chosen


def roster_only_subsidies(
    rng: np.random.Generator,
    p: People,
    life: Lives,
    at_death: dict,
    benefits: dict,
    roster_only: np.ndarray,
) -> None:
    """Pay the residents' funeral subsidy on some roster-only deaths of contributors
    (3-45 days after the termination), in `benefits` in place."""
    sub = benefits["funeral_subsidies"]
    paid_before = np.zeros(p.n, bool)
    paid_before[sub["pid"][sub["resident"]]] = True
    day = termination_day(life) + between(rng, 3, 45, p.n)
    mask = roster_only & (at_death["status"] == CONTRIB) & ~paid_before & (day < p.as_of)
    paid = np.flatnonzero(chance(rng, ROSTER_ONLY_SUBSIDY, mask))
    sub["pid"] = np.concatenate([sub["pid"], paid])
    sub["day"] = np.concatenate([sub["day"], day[paid]])
    sub["resident"] = np.concatenate([sub["resident"], np.ones(len(paid), bool)])


# --------------------------------------------------------------------------- pattern c


@dataclass
class Contradictions:
    """Recorded rows that contradict the history, per person: one row each."""

    pid: np.ndarray
    kind: np.ndarray  # object str
    row_day: np.ndarray  # the extra recorded change (NEVER for current_unlike_last)
    row_before: np.ndarray
    row_after: np.ndarray
    row_reason: np.ndarray  # object str

    def truth(self, p: People, life: Lives) -> pl.DataFrame:
        """contradictory_histories.csv: citizen_id, pension_no, kind, death_case."""
        case = (life.death[self.pid] < NEVER) & np.isin(life.status[self.pid], ACTIVE)
        return pl.DataFrame(
            {
                "citizen_id": pl.Series(p.cid[self.pid], dtype=pl.String),
                "pension_no": life.pension_no[self.pid].astype(str),
                "kind": pl.Series(self.kind, dtype=pl.String),
                "death_case": np.where(case, "true", "false"),
            }
        ).sort("pension_no")

    def recorded(self, ex: Extract, life: Lives) -> Extract:
        """The status_changes extract with the contradictory rows added (by 个人编号, date)."""
        extra = self.row_day < NEVER
        pid = self.pid[extra]
        names = np.array(STATUS, dtype=object)
        rows = pl.DataFrame(
            {
                "个人编号": life.pension_no[pid].astype(str),
                "变更前状态": pl.Series(names[self.row_before[extra]], dtype=pl.String),
                "变更后状态": pl.Series(names[self.row_after[extra]], dtype=pl.String),
                "变更日期": dates_text(self.row_day[extra], "%Y-%m-%d"),
                "变更原因": pl.Series(self.row_reason[extra], dtype=pl.String),
            }
        )
        frame = pl.concat([ex.frame, rows.select(ex.frame.columns)])
        all_pid = np.concatenate([ex.pid, pid])
        order = np.lexsort((frame["变更日期"].to_numpy(), frame["个人编号"].to_numpy()))
        return Extract(frame[order], all_pid[order])


def _first_change(life: Lives, pid: np.ndarray) -> np.ndarray:
    """Index into life.ch_* of each person's first change (-1 if none)."""
    i = np.searchsorted(life.ch_pid, pid, side="left")
    ok = (i < len(life.ch_pid)) & (life.ch_pid[np.minimum(i, len(life.ch_pid) - 1)] == pid)
    return np.where(ok, i, -1)


def contradict_histories(
    rng: np.random.Generator, p: People, life: Lives, roster_only: np.ndarray, noise: float
) -> Contradictions:
    """Choose people whose recorded history contradicts itself, and how.

    Processed deaths (terminated for death): `suspended_after_termination` for half of
    those who received (a 待遇领取 → 暂停 dated after the 终止; roster 暂停), else
    `current_unlike_last` (the roster still shows the status before the 终止). Others
    (people with a recorded change), half each: `before_not_previous` (an earlier change
    whose after-state is not the first change's before-state) and `same_day_impossible`
    (a second change on the first change's day whose before-state is neither state of the
    first: no order chains). Sets `life.status` to what the roster shows.
    """
    as_of = p.as_of
    dead = life.death < NEVER
    term = termination_day(life)
    active = np.isin(life.status, ACTIVE)
    changed = np.zeros(len(dead), bool)
    changed[life.ch_pid] = True  # a history to contradict: processed, or some change
    pool = life.roster & ~roster_only & ((dead & (term < NEVER)) | changed)
    chosen = chance(rng, _rate(CONTRADICTORY_DEAD, noise), pool & dead)
    chosen |= chance(rng, _rate(CONTRADICTORY_LIVING, noise), pool & ~dead & active)
    pid = np.flatnonzero(chosen)
    k = len(pid)
    kind = np.full(k, "before_not_previous", object)
    day = np.full(k, NEVER)
    before = np.full(k, SUSPENDED)
    after = np.full(k, RECEIVING)
    reason = np.full(k, "资格认证通过", object)

    processed = term[pid] < NEVER
    received = life.receiving_from[pid] < life.death[pid]
    late = between(rng, term[pid] + 10, np.minimum(term[pid] + 90, as_of - 1))
    a = processed & received & (late < as_of) & (rng.random(k) < 0.5)
    kind[a], day[a], reason[a] = "suspended_after_termination", late[a], _CERTIFICATION
    before[a], after[a] = RECEIVING, SUSPENDED
    d = processed & ~a
    kind[d] = "current_unlike_last"
    shown = life.status.copy()
    shown[pid[a]] = SUSPENDED
    shown[pid[d]] = status_on(life, pid[d], term[pid[d]])

    first = _first_change(life, pid)
    fi = np.maximum(first, 0)
    b_state = status_on(life, pid, life.ch_day[fi])  # in force before the first change
    a_state = life.ch_after[fi]
    lo = np.maximum(life.enrolled[pid] + 1, life.ch_day[fi] - 200)
    earlier = between(rng, lo, life.ch_day[fi] - 1)
    b = ~processed & (earlier < life.ch_day[fi]) & (rng.random(k) < 0.5)
    y = np.where(b_state == SUSPENDED, RECEIVING, SUSPENDED)
    kind[b], day[b], before[b], after[b] = "before_not_previous", earlier[b], b_state[b], y[b]
    reason[b] = np.where(y[b] == SUSPENDED, _CERTIFICATION, "资格认证通过")

    c = ~processed & ~b
    y = np.where(
        (b_state != SUSPENDED) & (a_state != SUSPENDED),
        SUSPENDED,
        np.where((b_state != RECEIVING) & (a_state != RECEIVING), RECEIVING, CONTRIB),
    )
    kind[c], day[c], reason[c] = "same_day_impossible", life.ch_day[fi[c]], life.ch_reason[fi[c]]
    before[c], after[c] = y[c], a_state[c]
    life.status = np.where(life.roster, shown, -1)
    return Contradictions(pid, kind, day, before, after, reason)


# --------------------------------------------------------------------------- truth


def truth_status_at_death(
    life: Lives,
    status: np.ndarray,
    roster_only: np.ndarray,
    cremation: np.ndarray,
    contradictions: Contradictions,
) -> np.ndarray:
    """The status at death the findings can know: `UNKNOWN` for a contradictory history,
    and for a roster-only death no agency dates (the death is on or before the
    termination) unless every status in force before the termination is the same, or
    none is 待遇领取 (then the subsidy is ineligible whatever the date)."""
    out = status.copy()
    out[contradictions.pid[life.death[contradictions.pid] < NEVER]] = UNKNOWN
    undated = np.flatnonzero(roster_only & ~cremation)
    term = termination_day(life)
    for x in undated.tolist():
        m = (life.ch_pid == x) & (life.ch_day < term[x])
        states = {int(life.initial_status[x]), *life.ch_after[m].tolist()}
        if len(states) > 1 and RECEIVING in states:
            out[x] = UNKNOWN
    return out


def deceased_truth(p: People, life: Lives, reports: dict) -> pl.DataFrame:
    """deceased.csv: every person truly dead on as-of, the sources that report it, and
    whether one report gives a date more than 31 days off (`dates_conflict`: review)."""
    dead = np.flatnonzero(life.death < NEVER)
    roster = termination_day(life) < NEVER
    sources = (
        ("death_certificates", reports["cert"]),
        ("hukou", reports["hukou"]),
        ("funeral", reports["funeral"]),
        ("medical_enrollment", reports["medical"]),
        ("status_changes", roster),
    )
    reported = [";".join(name for name, mask in sources if mask[x]) for x in dead.tolist()]
    only_roster = [r == "status_changes" for r in reported]
    return pl.DataFrame(
        {
            "citizen_id": pl.Series(p.cid[dead], dtype=pl.String),
            "name": pl.Series(p.name[dead], dtype=pl.String),
            "death_date": dates_text(life.death[dead], "%Y-%m-%d"),
            "reported_by": pl.Series(reported, dtype=pl.String),
            "roster_only": np.where(only_roster, "true", "false"),
            "dates_conflict": np.where(reports["conflict"][dead], "true", "false"),
        }
    ).sort("citizen_id")


def _one_slip(written: str | None, own: str) -> bool:
    """`written` is `own` with one digit changed or two neighbours swapped (the matcher's
    repair pass links such an ID to the one same-named person it is that close to)."""
    if written is None or len(written) != len(own) or written == own:
        return False
    diff = [i for i, (a, b) in enumerate(zip(written, own, strict=True)) if a != b]
    swap = len(diff) == 2 and diff[1] == diff[0] + 1 and written[diff[0]] == own[diff[1]]
    return len(diff) == 1 or (swap and written[diff[1]] == own[diff[0]])


def _own_id(p: People, ex: Extract, column: str) -> pl.Series:
    """Per row, whether the ID written is the true person's own: it normalises to it, or
    is one typo or one swap away from it."""
    own = p.cid[ex.pid]
    ids = ex.frame.select(normalise_citizen_id(pl.col(column)).alias("n")).unnest("n")
    same = (ids["citizen_id"] == pl.Series(own, dtype=pl.String)).fill_null(False).to_numpy()
    clean = ids["id_clean"].to_list()
    slips = [i for i in np.flatnonzero(~same) if _one_slip(clean[i], own[i])]
    same[slips] = True
    return pl.Series(same)


def _death_rows(p: People, extracts: dict[str, Extract]) -> pl.DataFrame:
    """pid, source, day of every death report attributable to its person: the roster's
    termination for death (by 个人编号), and agency records carrying the person's own ID."""
    spec = {  # source -> (filter, date, date format, ID column)
        "hukou": (pl.col("人员状态") == "死亡", "死亡日期", "%Y%m%d", "公民身份号码"),
        "medical_enrollment": (
            pl.col("终止原因").str.strip_chars() == _DEATH,
            "终止日期",
            "%Y-%m-%d",
            "证件号码",
        ),
        "funeral": (pl.lit(True), "死亡日期", "%Y/%m/%d", "逝者身份证号"),
        "death_certificates": (pl.lit(True), "死亡时间", "%Y-%m-%d", "死者身份证号"),
    }
    parts = []
    changes = extracts["status_changes"]
    parts.append(
        changes.frame.with_columns(pid=pl.Series(changes.pid, dtype=pl.Int64))
        .filter(
            (pl.col("变更后状态") == vocabulary.TERMINATED)
            & (pl.col("变更原因").str.strip_chars() == _DEATH)
        )
        .select("pid", source=pl.lit("status_changes"), day=pl.col("变更日期").str.to_date())
    )
    for source, (keep, date, fmt, id_column) in spec.items():
        ex = extracts[source]
        parts.append(
            ex.frame.with_columns(
                pid=pl.Series(ex.pid, dtype=pl.Int64), _own=_own_id(p, ex, id_column)
            )
            .filter(keep & pl.col("_own"))
            .select(
                "pid",
                source=pl.lit(source),
                day=pl.col(date).str.slice(0, 10).str.strptime(pl.Date, fmt, strict=False),
            )
        )
    return pl.concat(parts).group_by("pid", "source").agg(pl.col("day").min())


def disagreement_truth(p: People, extracts: dict[str, Extract]) -> pl.DataFrame:
    """agency_disagreements.csv from what the extracts show, one row per person and kind
    (`DISAGREEMENT_KINDS`): a death report followed by a health visit on the person's own
    ID, or else a non-hukou death report while the hukou says 正常."""
    hukou = extracts["hukou"]
    alive = set(hukou.pid[(hukou.frame["人员状态"] == "正常").to_numpy()].tolist())
    visits = extracts["visits"]
    last_visit = (
        visits.frame.with_columns(
            pid=pl.Series(visits.pid, dtype=pl.Int64), _own=_own_id(p, visits, "身份证号")
        )
        .filter(pl.col("_own"))
        .group_by("pid")
        .agg(last=pl.col("就诊日期").str.to_date().max())
    )
    reports = _death_rows(p, extracts).join(last_visit, on="pid", how="left")
    later = (pl.col("last") > pl.col("day")).fill_null(False)
    rows = []
    for pid, source, is_later in reports.select("pid", "source", later.alias("l")).iter_rows():
        prefix, agency = DEATH_REPORTERS[source]
        if is_later:
            rows.append((pid, f"{prefix}_dead_later_visit", f"{agency};卫健局"))
        elif source != "hukou" and pid in alive:
            rows.append((pid, f"{prefix}_dead_hukou_alive", f"{agency};公安局"))
    pid = np.array([r[0] for r in rows], dtype=np.int64)
    return (
        pl.DataFrame(
            {
                "citizen_id": pl.Series(p.cid[pid], dtype=pl.String),
                "name": pl.Series(p.name[pid], dtype=pl.String),
                "kind": pl.Series([r[1] for r in rows], dtype=pl.String),
                "agencies": pl.Series([r[2] for r in rows], dtype=pl.String),
            }
        )
        .unique(["citizen_id", "kind"])
        .sort("kind", "citizen_id")
    )
