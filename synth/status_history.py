"""Stage 2, the roster's status history (参保状态变更): suspensions, resumptions and
terminations of the true story, the status in force on a day, and the day a death was
recorded as 终止.
"""

from __future__ import annotations

import numpy as np
from pensionlink.synth.draws import _reasons, between, chance
from pensionlink.synth.lives import CONTRIB, RECEIVING, SUSPENDED, TERMINATED, Lives
from pensionlink.synth.population import People
from pensionlink.synth.values import NEVER

#: Share of deaths the roster is slow to learn of (months to years: the overpayments).
SLOW_DEREGISTRATION = 0.2


def draw_status_history(rng: np.random.Generator, p: People, life: Lives) -> None:
    """Status changes of the roster, the wrongly dead, and today's status."""
    n, as_of = p.n, p.as_of
    death = life.death
    dead = death < NEVER
    rec = life.receiving_from < NEVER
    events: list[tuple[np.ndarray, np.ndarray, int, str | np.ndarray]] = []

    # 1. 参保缴费 -> 待遇领取 on the last day before the first month paid (inside history).
    recorded = rec & (life.initial_status == CONTRIB)
    events.append((recorded, life.receiving_from - 1, RECEIVING, "达到待遇领取年龄"))

    # 2. Suspended before death (status at death 暂停).
    room = death - life.receiving_from
    pre = chance(rng, 0.06, dead & rec & (room > 40))
    pre_day = death - between(rng, 10, np.minimum(300, room - 20))
    events.append((pre, pre_day, SUSPENDED, _reasons(rng, n, ("银行账户异常", "未按时资格认证"))))

    # 3. Deaths processed by the roster: 终止 (死亡) some weeks after the death.
    slow = rng.random(n) < SLOW_DEREGISTRATION
    lag = 10 + rng.exponential(np.where(slow, 500, 60), n).astype(np.int64)
    processed = life.roster & dead & (death + lag < as_of)
    term_day = death + lag
    events.append((processed, term_day, TERMINATED, "死亡"))

    # 4. Unprocessed deaths suspended later for a missed annual check (status at death kept).
    after = chance(rng, 0.4, life.roster & rec & dead & ~processed & ~pre & (as_of - death > 120))
    after_day = death + between(rng, 90, np.minimum(400, as_of - death - 1))
    events.append((after, after_day, SUSPENDED, "未按时资格认证"))

    # 5. Living pensioners suspended (some resumed), living contributors terminated.
    alive = life.roster & ~dead
    suspend = chance(rng, 0.015, alive & rec & (life.receiving_from < as_of - 60))
    s_day = between(rng, np.maximum(life.receiving_from + 30, as_of - 700), as_of - 5)
    resume = chance(rng, 0.4, suspend & (as_of - s_day > 30))
    r_day = between(rng, s_day + 20, np.minimum(s_day + 200, as_of - 1))
    events.append((suspend, s_day, SUSPENDED, _reasons(rng, n, ("银行账户异常", "未按时资格认证"))))
    events.append((resume, r_day, RECEIVING, "资格认证通过"))
    leaves = alive & life.moved
    events.append((leaves, life.moved_day, TERMINATED, "户籍迁出"))
    to_employee = chance(rng, 0.004, alive & ~rec & ~life.moved & (p.age < 55))
    events.append(
        (to_employee, between(rng, as_of - 700, as_of - 5, n), TERMINATED, "转入企业职工养老保险")
    )
    life.employee |= to_employee
    # A few living contributors stop (本人申请终止) while still registered: uninsured again.
    stops = chance(rng, 0.003, alive & ~rec & ~life.moved & ~to_employee)
    events.append((stops, between(rng, as_of - 700, as_of - 5, n), TERMINATED, "本人申请终止"))

    pid = np.concatenate([np.flatnonzero(m) for m, *_ in events])
    day = np.concatenate([d[m] for m, d, *_ in events])
    after_s = np.concatenate([np.full(m.sum(), s) for m, _, s, _ in events])
    reason = np.concatenate(
        [np.full(m.sum(), r, object) if isinstance(r, str) else r[m] for m, _, _, r in events]
    )
    order = np.lexsort((day, pid))
    life.ch_pid, life.ch_day = pid[order], day[order]
    life.ch_after, life.ch_reason = after_s[order], reason[order]
    life.status = np.where(life.roster, status_on(life, np.arange(n), np.full(n, as_of + 1)), -1)


def status_on(life: Lives, pid: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Roster status in force on `day`: the last change strictly before it, else initial."""
    key = life.ch_pid * 2 * NEVER + life.ch_day
    q = pid.astype(np.int64) * 2 * NEVER + day
    i = np.searchsorted(key, q, side="left") - 1
    ok = i >= 0
    ok[ok] = life.ch_pid[i[ok]] == pid[ok]
    return np.where(ok, life.ch_after[np.maximum(i, 0)], life.initial_status[pid])


def termination_day(life: Lives) -> np.ndarray:
    """Per person, the day the roster recorded 终止 for a death (NEVER if not)."""
    out = np.full(len(life.death), NEVER)
    m = (life.ch_after == TERMINATED) & (life.ch_reason == "死亡")
    out[life.ch_pid[m]] = life.ch_day[m]
    return out
