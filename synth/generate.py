"""Synthetic nights (合成数据): a Longjing-like city's 15 agency extracts plus the truth.

`generate_night(out, people, seed, as_of)` writes the folder that `pensionlink run
--extracts` reads (layout, headers, date formats and encodings as in
shared/contract/EXTRACTS.md) and, under `out/truth/`, the answers the nightly findings
should reproduce (column names as read by `synth/evaluate.py`).

This module runs the stages in turn, all vectorised with numpy (one
`numpy.random.Generator` per night, drawn from in a fixed order, so a seed gives
byte-identical files); each stage is a module of its own:

1. **People** (`population`).
2. **Lives** (`lives`, `status_history`, `payments`, `custody`, `groups`,
   `death_reports`, `benefits`, and issue 13's `patterns`): the *true* story of each
   person. A few living pensioners are wrongly reported dead; they have health visits
   after that date.
3. **Truth** (`truth`): computed from the true story, never from the messy files,
   following shared/contract/RULES.md, with the policy amounts in force on the as-of
   date (`amounts`, read from the policy file).
4. **Extracts** (`render_*` per agency, with the `quirks` of `ID_QUIRK_RATES`,
   `NAME_QUIRK_RATES` and friends multiplied by `noise`), written as `files` says.

Dates are held as int64 days since 1970-01-01 (`NEVER` for "no date"); money as int64
fen, rendered with two decimals only when written (`values`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import numpy as np
from pensionlink.synth import patterns
from pensionlink.synth import render_civil_affairs as civil_affairs
from pensionlink.synth import render_groups as groups_render
from pensionlink.synth import render_health as health
from pensionlink.synth import render_public_security as public_security
from pensionlink.synth import render_social_security as social_security
from pensionlink.synth.amounts import Amounts
from pensionlink.synth.benefits import draw_benefits
from pensionlink.synth.custody import draw_custody, in_custody
from pensionlink.synth.death_reports import draw_death_reports
from pensionlink.synth.draws import chance
from pensionlink.synth.files import FILES, write_source
from pensionlink.synth.groups import draw_groups, special_groups_on
from pensionlink.synth.lives import RECEIVING, SUSPENDED, UNKNOWN, draw_lives, draw_wrongly_dead
from pensionlink.synth.payments import draw_payments
from pensionlink.synth.population import draw_people
from pensionlink.synth.quirks import ID_QUIRK_RATES, LOWER_X_RATE, NAME_QUIRK_RATES
from pensionlink.synth.render import Renderer
from pensionlink.synth.status_history import draw_status_history, status_on
from pensionlink.synth.truth import (
    residents_and_insured,
    truth_coverage,
    truth_deaths,
    truth_funeral,
    truth_never_dead,
    truth_record_links,
    truth_uninsured,
)
from pensionlink.synth.values import NEVER, day_number

from pensionlink.settings import Policy, load_policy

__all__ = [
    "DEFAULT_AS_OF",
    "FILES",
    "ID_QUIRK_RATES",
    "LOWER_X_RATE",
    "NAME_QUIRK_RATES",
    "NEVER",
    "RECEIVING",
    "SUSPENDED",
    "UNKNOWN",
    "generate_night",
]

log = logging.getLogger(__name__)

DEFAULT_AS_OF = dt.date(2026, 11, 28)


def generate_night(
    out: Path,
    people: int = 150_000,
    seed: int = 0,
    as_of: dt.date = DEFAULT_AS_OF,
    xlsx: bool = False,
    *,
    noise: float = 1.0,
    record_links: bool = True,
    policy: Policy | None = None,
) -> dict:
    """Write a synthetic night of the 15 extracts under `out/` and the truth under `out/truth/`.

    Deterministic for (`people`, `seed`, `as_of`, `xlsx`, `noise`, `policy`). `noise`
    multiplies every quirk rate. `policy` is the one in force on `as_of` (by default the
    bundled policy file's). Returns a summary: rows per extract and per truth file, and
    seconds taken.
    """
    t0 = time.perf_counter()
    out = Path(out)
    amounts = Amounts.from_policy(policy or load_policy(as_of))
    rng = np.random.default_rng(seed)
    prng = np.random.default_rng([seed, 13])  # the patterns' own draws
    p = draw_people(rng, int(people), day_number(as_of))
    life = draw_lives(rng, p, amounts)
    draw_status_history(rng, p, life)
    patterns.certification_suspensions(prng, p, life, noise)
    draw_wrongly_dead(rng, p, life)
    pay = draw_payments(p, life)
    reports = draw_death_reports(rng, p, life, amounts.death_date_conflict_days)
    roster_only = patterns.roster_only_deaths(prng, p, life, reports, noise)
    patterns.cremation_only_deaths(prng, p, life, reports, roster_only, noise)

    dead = life.death < NEVER
    status_at_death = np.full(p.n, -1)
    on_roster_dead = np.flatnonzero(life.roster & dead)
    status_at_death[on_roster_dead] = status_on(life, on_roster_dead, life.death[on_roster_dead])
    died_in_custody = chance(rng, 0.03, life.roster & dead & (p.age >= 30)) & ~roster_only
    custody = draw_custody(rng, p, life, died_in_custody)
    custody_at_death = np.zeros(p.n, bool)
    custody_at_death[on_roster_dead] = in_custody(
        custody, on_roster_dead, life.death[on_roster_dead]
    )
    at_death = {"status": status_at_death, "custody": custody_at_death}
    benefits = draw_benefits(rng, p, life, at_death)
    patterns.roster_only_subsidies(prng, p, life, at_death, benefits, roster_only)
    groups = draw_groups(rng, p, life)
    special = special_groups_on(p, groups, amounts.severe_disability_grades)
    contradictions = patterns.contradict_histories(prng, p, life, roster_only, noise)
    known = {
        **at_death,
        "status": patterns.truth_status_at_death(
            life, status_at_death, roster_only, reports["funeral_protect"], contradictions
        ),
    }

    hukou_dead = reports["hukou"] | (life.wrongly_dead & life.false_by_hukou)
    resident, insured = residents_and_insured(p, life, hukou_dead, amounts.enrollment_min_age)
    uninsured = resident & ~insured
    subsidy = amounts.funeral_subsidy
    truth = {
        "deaths_to_deregister": truth_deaths(p, life, known, pay, subsidy),
        "never_confirm_dead": truth_never_dead(p, life),
        "uninsured_eligible": truth_uninsured(p, resident, insured, special, amounts),
        "duplicate_funeral_benefits": truth_funeral(p, life, known, benefits, subsidy),
        "coverage_by_area": truth_coverage(p, resident, insured),
    }

    r = Renderer(rng, p, life, noise)
    extracts = {
        "hukou": public_security.hukou(r, reports),
        "custody": public_security.custody(r, custody),
        "assistance": civil_affairs.assistance(r, groups["assistance"], uninsured),
        "funeral": civil_affairs.funeral(r, reports),
        "pension_fuxu": civil_affairs.pension_fuxu(r, benefits["pension_fuxu"]),
        "medical_enrollment": health.medical(r, reports),
        "death_certificates": health.death_certificates(r, reports),
        "visits": health.visits(r),
        "disabled": groups_render.disabled(r, groups["disabled"], uninsured),
        "poverty": groups_render.poverty(r, groups["poverty"], uninsured),
        "resident_roster": social_security.resident_roster(r),
        "status_changes": social_security.status_changes(r),
        "pension_payments": social_security.pension_payments(r, pay),
        "funeral_subsidies": social_security.funeral_subsidies(
            r, benefits["funeral_subsidies"], subsidy
        ),
        "employee_roster": social_security.employee_roster(r),
    }
    extracts["status_changes"] = contradictions.recorded(extracts["status_changes"], life)
    truth["deceased"] = patterns.deceased_truth(p, life, reports)
    truth["contradictory_histories"] = contradictions.truth(p, life)
    truth["agency_disagreements"] = patterns.disagreement_truth(p, extracts)
    for source, ex in extracts.items():
        write_source(out, source, ex.frame, xlsx)
    if record_links:
        truth["record_links"] = truth_record_links(extracts, p.cid)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    for name, frame in truth.items():
        frame.write_csv(out / "truth" / f"{name}.csv")
    seconds = time.perf_counter() - t0
    log.info("generated a %d-person night in %s (%.1f s)", people, out, seconds)
    return {
        "people": int(people),
        "seed": seed,
        "as_of": as_of.isoformat(),
        "rows": {s: ex.frame.height for s, ex in extracts.items()},
        "truth": {k: v.height for k, v in truth.items()},
        "seconds": round(seconds, 2),
    }
