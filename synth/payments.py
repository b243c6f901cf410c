"""Stage 2, the pension paid (养老金发放): one row per pensioner and month in which the
roster said 待遇领取, which keeps flowing after an unreported death (the overpayment).
"""

from __future__ import annotations

import numpy as np
from pensionlink.synth.lives import RECEIVING, Lives
from pensionlink.synth.population import People
from pensionlink.synth.status_history import status_on
from pensionlink.synth.values import NEVER, month_index, month_start

PAYMENT_MONTHS = 24


def draw_payments(p: People, life: Lives) -> dict[str, np.ndarray]:
    """One row per pensioner and month paid, for the last PAYMENT_MONTHS months."""
    last = month_index(np.array([p.as_of]))[0]
    months = np.arange(last - PAYMENT_MONTHS + 1, last + 1)
    who = np.flatnonzero(life.receiving_from < NEVER)
    pid = np.repeat(who, len(months))
    month = np.tile(months, len(who))
    paid = status_on(life, pid, month_start(month)) == RECEIVING
    pid, month = pid[paid], month[paid]
    return {"pid": pid, "month": month, "amount": life.pension[pid]}
