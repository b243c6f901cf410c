"""Stage 2, who reports each death (死亡报告): the hukou, the medical certificate, the
crematorium and medical insurance, on which date, with the conflicts and late reports the
rules must handle.
"""

from __future__ import annotations

import numpy as np
from pensionlink.synth.draws import chance
from pensionlink.synth.lives import Lives
from pensionlink.synth.population import People
from pensionlink.synth.values import NEVER

#: Share of death certificates without an ID (home deaths far more often).
CERT_NO_ID_HOME = 0.7

CERT_NO_ID_HOSPITAL = 0.1

#: Share of deaths (with two or more reports) where a lower-priority source is >31 days off.
DEATH_DATE_CONFLICT = 0.03

#: Share of recent deaths not yet on the hukou although the registry lag has passed.
LATE_HUKOU_REPORT = 0.04


def draw_death_reports(
    rng: np.random.Generator, p: People, life: Lives, conflict_days: int
) -> dict[str, np.ndarray]:
    """Which agencies report each death, and the date each reports.

    Person-indexed. The highest-priority report (certificate, hukou, funeral, medical)
    always carries the true date (and so does the hukou when the certificate has no ID);
    for DEATH_DATE_CONFLICT of the deaths with two or more
    reports a lower-priority one is off by more than `conflict_days` (35-150 days under
    the bundled policy). Every death has an identifiable
    report: the hukou, or else a certificate with an ID.
    """
    n, as_of, death = p.n, p.as_of, life.death
    dead = death < NEVER
    hukou_lag = 3 + rng.exponential(30, n).astype(np.int64)
    late = chance(rng, LATE_HUKOU_REPORT, dead & (as_of - death < 180))
    hukou = dead & (death + hukou_lag < as_of) & ~late
    cert = chance(rng, 0.75, dead) | (dead & ~hukou)
    home = rng.random(n) < 0.3
    cert_no_id = (
        cert & hukou & (rng.random(n) < np.where(home, CERT_NO_ID_HOME, CERT_NO_ID_HOSPITAL))
    )
    funeral = chance(rng, 0.85, dead)
    medical = chance(rng, 0.5, dead)
    reported = {"cert": cert, "hukou": hukou, "funeral": funeral, "medical": medical}
    dates = {k: np.where(m, death, NEVER) for k, m in reported.items()}
    # A conflict: one lower-priority report far off the true date.
    stacked = np.stack([cert, hukou, funeral, medical])
    conflict = chance(rng, DEATH_DATE_CONFLICT, stacked.sum(axis=0) >= 2)
    top = np.argmax(stacked, axis=0)
    for i in np.flatnonzero(conflict):
        # Never the hukou when the certificate has no ID: the date of the best report
        # that carries an ID stays true.
        lower = [
            k for k in range(top[i] + 1, 4) if stacked[k, i] and not (k == 1 and cert_no_id[i])
        ]
        if not lower:
            conflict[i] = False
            continue
        source = ("cert", "hukou", "funeral", "medical")[lower[rng.integers(len(lower))]]
        # Beyond the policy's conflict window (35-150 days under the bundled 31).
        low = conflict_days + 4
        shift = int(rng.integers(low, low + 116))
        day = death[i] + shift if death[i] + shift < as_of else death[i] - shift
        dates[source][i] = day
    return {
        "hukou": hukou,
        "hukou_dereg": np.where(hukou, np.minimum(dates["hukou"] + hukou_lag, as_of - 1), NEVER),
        "cert": cert,
        "cert_no_id": cert_no_id,
        "cert_home": home,
        "funeral": funeral,
        "medical": medical,
        "conflict": conflict,
        **{f"{k}_day": v for k, v in dates.items()},
    }
