"""Stage 4, the quirks of the extracts (数据瑕疵): IDs and names damaged per row at the
rates in `ID_QUIRK_RATES` and `NAME_QUIRK_RATES` (multiplied by `noise`): inner spaces,
lower-case ``x``, full-width digits, 15-digit IDs, spreadsheet ``2.22405E+17``,
single-digit typos, swapped neighbours, empty IDs; spaced, traditional, homophone and
padded names. Quirks that destroy an ID never touch the records the truth relies on.
"""

from __future__ import annotations

import numpy as np

#: Per source, the share of rows whose ID is damaged, by kind (before `noise`).
#: space: " 222405 19440405 3219"; fullwidth: ２２２４０５…; old15: 15-digit old ID
#: (people born 19xx only); sci: spreadsheet "2.22405E+17"; typo: one digit changed;
#: swap: two neighbouring digits swapped; empty: no ID.
ID_QUIRK_RATES: dict[str, dict[str, float]] = {
    "hukou": {"space": 0.002, "fullwidth": 0.004},
    "custody": {"space": 0.01, "typo": 0.01, "swap": 0.005},
    "assistance": {"sci": 0.04, "space": 0.01, "fullwidth": 0.01, "typo": 0.005},
    "funeral": {"space": 0.01, "typo": 0.01, "swap": 0.01, "empty": 0.06},
    "pension_fuxu": {"fullwidth": 0.02, "space": 0.01},
    "medical_enrollment": {"old15": 0.005, "space": 0.005, "typo": 0.003, "swap": 0.003},
    "death_certificates": {"typo": 0.01, "swap": 0.005, "space": 0.01},
    "visits": {"space": 0.005, "fullwidth": 0.005, "typo": 0.004, "swap": 0.004, "empty": 0.01},
    "disabled": {"typo": 0.005, "swap": 0.005},
    "poverty": {"space": 0.01, "fullwidth": 0.01, "sci": 0.01, "typo": 0.005},
    "resident_roster": {
        "old15": 0.02,
        "space": 0.005,
        "fullwidth": 0.005,
        "typo": 0.003,
        "swap": 0.003,
        "empty": 0.001,
    },
    "funeral_subsidies": {"space": 0.01, "typo": 0.005},
    "employee_roster": {"old15": 0.02, "space": 0.005, "typo": 0.003, "swap": 0.002},
}


#: Share of IDs ending in X written with a lower-case x (every source but the hukou).
LOWER_X_RATE = 0.15

#: Share of rows whose name is damaged, by kind (hukou: a tenth of these).
NAME_QUIRK_RATES: dict[str, float] = {
    "space": 0.01,
    "traditional": 0.008,
    "homophone": 0.004,
    "trailing": 0.01,
}


_UNRECOVERABLE = frozenset({"sci", "typo", "swap", "empty"})

TRADITIONAL = dict(
    zip(
        "刘张赵陈黄郑许孙韩龙华兰丽东国军锡顺贞爱红杰强涛辉万静勋伟莲刚马杨罗冯谢卢吴",
        "劉張趙陳黃鄭許孫韓龍華蘭麗東國軍錫順貞愛紅傑強濤輝萬靜勳偉蓮剛馬楊羅馮謝盧吳",
        strict=True,
    )
)


HOMOPHONES = dict(
    zip("华花丽红英明玉燕秀成志军平兰芳光", "花华莉虹瑛铭钰艳绣城智君萍岚方广", strict=True)
)


_FULLWIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def quirk_ids(
    rng: np.random.Generator,
    ids: np.ndarray,
    source: str,
    noise: float,
    protect: np.ndarray | None = None,
) -> np.ndarray:
    """Render true IDs as `source` sends them (see ID_QUIRK_RATES)."""
    out = np.array(ids, dtype=object)
    n = len(out)
    rates = ID_QUIRK_RATES.get(source, {})
    kinds = list(rates)
    u = rng.random(n)
    xu = rng.random(n)
    pos = rng.integers(0, 17, n)
    delta = rng.integers(1, 10, n)
    cum = np.cumsum([rates[k] * noise for k in kinds]) if kinds else np.zeros(0)
    choice = np.searchsorted(cum, u, side="right") if kinds else np.full(n, 0)
    if protect is None:
        protect = np.zeros(n, bool)
    for k, kind in enumerate(kinds):
        rows = np.flatnonzero((choice == k) & ~(protect & (kind in _UNRECOVERABLE)))
        out[rows] = [
            _damage(kind, s, int(pos[r]), int(delta[r]))
            for s, r in zip(out[rows], rows, strict=True)
        ]
    if source != "hukou":
        lower = np.flatnonzero((choice == len(kinds)) & (xu < LOWER_X_RATE * noise))
        out[lower] = [s[:17] + "x" if s.endswith("X") else s for s in out[lower]]
    return out


def _damage(kind: str, s: str, pos: int, delta: int) -> str:
    """One ID quirk applied to a clean 18-character ID."""
    if kind == "space":
        return f" {s[:6]} {s[6:14]} {s[14:]}"
    if kind == "fullwidth":
        return s.translate(_FULLWIDTH)
    if kind == "old15":
        return s[:6] + s[8:17] if s[6:8] == "19" else s
    if kind == "sci":
        return f"{s[0]}.{s[1:6]}E+17"
    if kind == "typo":
        return s[:pos] + str((int(s[pos]) + delta) % 10) + s[pos + 1 :]
    if kind == "swap":
        for i in [*range(min(pos, 15), 16), *range(0, min(pos, 15))]:
            if s[i] != s[i + 1]:
                return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        return s
    if kind == "empty":
        return ""
    raise ValueError(kind)


def quirk_names(rng: np.random.Generator, names: np.ndarray, noise: float) -> np.ndarray:
    """Render names with spaces, traditional or homophone characters, trailing blanks."""
    out = np.array(names, dtype=object)
    kinds = list(NAME_QUIRK_RATES)
    cum = np.cumsum([NAME_QUIRK_RATES[k] * noise for k in kinds])
    choice = np.searchsorted(cum, rng.random(len(out)), side="right")
    for k, kind in enumerate(kinds):
        rows = np.flatnonzero(choice == k)
        out[rows] = [_name_quirk(kind, s) for s in out[rows]]
    return out


def _name_quirk(kind: str, s: str) -> str:
    if kind == "space":
        return f"{s[0]} {s[1:]}"
    if kind == "traditional":
        return "".join(TRADITIONAL.get(c, c) for c in s)
    if kind == "homophone":
        for i in range(len(s) - 1, 0, -1):
            if s[i] in HOMOPHONES:
                return s[:i] + HOMOPHONES[s[i]] + s[i + 1 :]
        return s
    if kind == "trailing":
        return s + " "
    raise ValueError(kind)
