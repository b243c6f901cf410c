"""Synthetic nights (合成数据): a Longjing-like city's 15 agency extracts plus the truth.

`generate_night(out, people, seed, as_of)` writes the folder that `pensionlink run
--extracts` reads (layout, headers, date formats and encodings as in
shared/contract/EXTRACTS.md) and, under `out/truth/`, the answers the nightly findings
should reproduce (column names as read by `synth/evaluate.py`).

Design, in four stages, all vectorised with numpy (one `numpy.random.Generator` per
night, so a seed gives byte-identical files):

1. **People** (`_people`): township/village, ethnicity (about 62 % 朝鲜族), sex, an
   ageing birth-date distribution, names from small pools (namesakes are frequent and a
   few people share name, sex and birth date), unique valid GB 11643 IDs.
2. **Lives** (`_lives`, `_rosters`, `_deaths_reported`, ...): the *true* story of each
   person — moved away, died (and when), employee roster, residents' roster with a
   pension number, enrolment, the month pension starts, suspensions and terminations
   (the status history), payments for the last 24 months (which keep flowing after an
   unreported death: the overpayment), custody terms, assistance, disability,
   poverty registry, funeral subsidies (with the duplicates and improper payments the
   rules look for), and which agencies report each death on which date. A few living
   pensioners are wrongly reported dead; they have health visits after that date.
3. **Truth** (`_truth_*`): computed from the true story, never from the messy files,
   following shared/contract/RULES.md.
4. **Extracts** (`_extract_*`): the true records rendered as agencies send them, with
   quirks drawn per row at rates kept in the module constants `ID_QUIRK_RATES`,
   `NAME_QUIRK_RATES` and friends (multiplied by `noise`): inner spaces, lower-case
   ``x``, full-width digits, 15-digit IDs, spreadsheet ``2.22405E+17``, single-digit
   typos, swapped neighbours, empty IDs; spaced, traditional, homophone and padded names.
   Quirks that destroy an ID never touch the records the truth relies on for
   identification (the hukou, and the special-group records of uninsured people).

Dates are held as int64 days since 1970-01-01 (`NEVER` for "no date"); money as int64
fen, rendered with two decimals only when written.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from pensionlink.matching.citizen_id import CHECK_CHARS, WEIGHTS, check_character

__all__ = [
    "DEFAULT_AS_OF",
    "FILES",
    "ID_QUIRK_RATES",
    "LOWER_X_RATE",
    "NAME_QUIRK_RATES",
    "generate_night",
]

log = logging.getLogger(__name__)

DEFAULT_AS_OF = dt.date(2026, 11, 28)
NEVER = np.int64(10**7)  # a day far beyond any real date: "no such date"
_EPOCH = dt.date(1970, 1, 1)

# --------------------------------------------------------------------------- files

#: source -> (path without suffix, encoding, byte-order mark, line terminator, headers).
#: Encodings and marks as the agencies send them (see the sample night): 公安局 and
#: 乡村振兴局 GB18030, 民政局 UTF-8 with a BOM (抚恤金 with CRLF), the rest plain UTF-8.
FILES: dict[str, tuple[str, str, bool, str, tuple[str, ...]]] = {
    source: (stem, encoding, bom, eol, tuple(headers.split()))
    for source, stem, encoding, bom, eol, headers in (
        ("hukou", "public_security/hukou", "gb18030", False, "\n",
         "公民身份号码 姓名 性别 出生日期 民族 户籍地址 乡镇街道 村社区 人员状态 死亡日期 "
         "注销日期"),
        ("custody", "public_security/custody", "gb18030", False, "\n",
         "公民身份号码 姓名 入所日期 出所日期 羁押场所"),
        ("assistance", "civil_affairs/assistance", "utf-8", True, "\n",
         "身份证号 姓名 救助类别 起始日期 终止日期 乡镇街道"),
        ("funeral", "civil_affairs/funeral", "utf-8", True, "\n",
         "逝者身份证号 逝者姓名 性别 死亡日期 火化日期 殡仪馆"),
        ("pension_fuxu", "civil_affairs/pension_fuxu", "utf-8", False, "\r\n",
         "身份证号 姓名 抚恤类别 发放日期 金额"),
        ("medical_enrollment", "medical_insurance/enrollment", "utf-8", False, "\n",
         "证件号码 姓名 参保险种 参保状态 终止日期 终止原因"),
        ("death_certificates", "health/death_certificates", "utf-8", False, "\n",
         "死者身份证号 姓名 性别 出生日期 死亡时间 死亡地点"),
        ("visits", "health/visits", "utf-8", False, "\n",
         "身份证号 姓名 就诊日期 医疗机构"),
        ("disabled", "disabled/disabled_persons", "utf-8", False, "\n",
         "残疾人证号 姓名 性别 残疾类别 残疾等级 乡镇街道"),
        ("poverty", "poverty/registry", "gb18030", False, "\n",
         "证件号码 姓名 户类型 乡镇 村"),
        ("resident_roster", "social_security/resident_roster", "utf-8", False, "\n",
         "个人编号 公民身份号码 姓名 性别 出生日期 乡镇街道 村社区 参保状态 参保日期 月养老金 "
         "个人账户余额"),
        ("status_changes", "social_security/status_changes", "utf-8", False, "\n",
         "个人编号 变更前状态 变更后状态 变更日期 变更原因"),
        ("pension_payments", "social_security/pension_payments", "utf-8", False, "\n",
         "个人编号 发放年月 发放金额"),
        ("funeral_subsidies", "social_security/funeral_subsidies", "utf-8", False, "\n",
         "个人编号 公民身份号码 姓名 险种 发放日期 金额"),
        ("employee_roster", "social_security/employee_roster", "utf-8", False, "\n",
         "公民身份号码 姓名 参保状态 单位名称"),
    )
}  # fmt: skip
#: Sources written as .xlsx when `xlsx=True`.
XLSX_SOURCES = ("assistance", "poverty")
#: Sources keyed by the pension number only (not listed in truth/record_links.csv).
_PENSION_NO_KEYED = ("status_changes", "pension_payments")

# --------------------------------------------------------------------------- quirk rates

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
#: Share of death certificates without an ID (home deaths far more often).
CERT_NO_ID_HOME = 0.7
CERT_NO_ID_HOSPITAL = 0.1
#: Share of cremation records carrying a living relative's ID instead of the deceased's.
FUNERAL_RELATIVE_ID = 0.03
#: Share of deaths (with two or more reports) where a lower-priority source is >31 days off.
DEATH_DATE_CONFLICT = 0.03
#: Share of living pensioners falsely reported dead (by hukou, else by medical insurance).
WRONGLY_DEAD_RATE = 0.002
#: Share of recent deaths not yet on the hukou although the registry lag has passed.
LATE_HUKOU_REPORT = 0.04
#: Share of deaths the roster is slow to learn of (months to years: the overpayments).
SLOW_DEREGISTRATION = 0.2
#: Share of people with a namesake twin (same name, sex and birth date, another ID).
TWIN_RATE = 0.005

_UNRECOVERABLE = frozenset({"sci", "typo", "swap", "empty"})

# --------------------------------------------------------------------------- vocabularies

# Township -> (village, weight) from the sample hukou (乡镇街道 / 村社区).
VILLAGES: dict[str, tuple[tuple[str, int], ...]] = {
    "安民街道": (("光明社区", 115), ("安民社区", 91), ("海兰社区", 111), ("龙江社区", 126)),
    "龙门街道": (
        ("中心社区", 121),
        ("北山社区", 90),
        ("文化社区", 99),
        ("新城社区", 91),
        ("龙门社区", 98),
    ),
    "三合镇": (("三合村", 36), ("下东村", 38), ("北兴村", 40), ("江东村", 46)),
    "东盛涌镇": (
        ("东盛涌村", 29),
        ("仁化村", 38),
        ("大新村", 32),
        ("新安村", 31),
        ("龙河村", 33),
    ),
    "开山屯镇": (("光新村", 30), ("开山屯村", 34), ("怀庆村", 29), ("船口村", 28)),
    "德新乡": (("南坪村", 45), ("德新村", 45), ("金谷村", 21)),
    "智新镇": (
        ("东明村", 29),
        ("城南村", 49),
        ("大成村", 30),
        ("明东村", 23),
        ("智新村", 35),
        ("长财村", 36),
    ),
    "白金乡": (("白金村", 37), ("石门村", 37), ("龙岩村", 38)),
    "老头沟镇": (
        ("天佛村", 28),
        ("朝阳川村", 30),
        ("老头沟村", 33),
        ("铜佛寺村", 36),
        ("长仁村", 26),
        ("龙山村", 36),
    ),
}
AREA_CODES = (
    (222405, 0.86),
    (222401, 0.03),
    (222402, 0.03),
    (222406, 0.025),
    (220102, 0.02),
    (230103, 0.02),
    (370283, 0.015),
)
KOREAN_SHARE = 0.62
KOREAN_SURNAMES = (
    "金李朴崔郑姜赵尹张林韩申吴徐权黄安宋柳全洪高文梁孙裴白许南沈卢河具池方玄鱼太千琴康元"
)
_KOREAN_WEIGHTS = (
    20, 14, 9, 6, 4, 4, 3, 3, 3, 2, 3, 3, 3, 2, 2, 2, 2, 2, 1, 3, 2, 2, 2, 1, 1, 1, 1, 2, 2,
    1, 1, 0.5, 1, 2, 1, 1.5, 0.3, 0.3, 0.5, 0.3, 0.5, 0.5,
)  # fmt: skip
HAN_SURNAMES = "王张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董"
GIVEN_CHARS = (
    "秀霞成强明斌春玉锡海熙军涛东丽淑吉龙辉建光顺文杰子浩洙万平志华国石永兰燕贞波亮敏静勋善"
    "伟莲花红仁福植姬芳泰爱英昌香日美虎刚俊哲"
)
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
CITY_HOSPITALS = ("龙井市人民医院", "龙井市中医院", "延边大学附属医院")
FUNERAL_HOMES = (("龙井市殡仪馆", 0.85), ("延吉市殡仪馆", 0.12), ("和龙市殡仪馆", 0.03))
EMPLOYERS = (
    ("龙井市建筑公司", 0.25),
    ("龙井市供电公司", 0.22),
    ("龙井市自来水公司", 0.2),
    ("龙井市商贸公司", 0.2),
    ("龙井市第一中学", 0.05),
    ("龙井市人民医院", 0.05),
    ("延边烟草公司龙井分公司", 0.03),
)
DISABILITY_CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
FUXU_CATEGORIES = ("伤残军人", "在乡复员军人", "带病回乡退伍军人")
STATUS = ("参保缴费", "待遇领取", "暂停", "终止")
CONTRIB, RECEIVING, SUSPENDED, TERMINATED = 0, 1, 2, 3
#: Status at death from a history that does not hold together (truth: review, no clawback).
UNKNOWN = -2
RESIDENT_SCHEME = "城乡居民基本养老保险"
EMPLOYEE_SCHEME = "企业职工基本养老保险"

# --------------------------------------------------------------------------- policy

RESIDENT_FUNERAL_SUBSIDY = 60_000  # fen (600.00, Longjing since 2021)
EMPLOYEE_FUNERAL_GRANT = 500_000  # fen
BENEFIT_AGE = 60
ENROLLMENT_MIN_AGE = 16
ADVANCE_AMOUNT = min(15 * 100_00, 1000_00)  # fen: min(required years × min grade, cap)
PAYMENT_MONTHS = 24
HISTORY_DAYS = 3 * 365  # deaths and status changes reach back this far

# --------------------------------------------------------------------------- small helpers


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of int days."""
    d64 = days.astype("datetime64[D]")
    months = d64.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (d64 - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of int days."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_start(month_index: np.ndarray) -> np.ndarray:
    """Day number of the first day of a month index."""
    return np.asarray(month_index).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _dates(days: np.ndarray, fmt: str) -> pl.Series:
    """Format int days (NEVER = null) with a strftime format."""
    s = pl.Series(np.where(days >= NEVER, 0, days).astype(np.int32)).cast(pl.Date)
    out = s.dt.strftime(fmt)
    return out.set(pl.Series(days >= NEVER), None) if (days >= NEVER).any() else out


def _money(fen: np.ndarray) -> pl.Series:
    """Fen as '123.45'."""
    s = pl.Series(np.asarray(fen, dtype=np.int64))
    return pl.select(
        (s // 100).cast(pl.String) + "." + (s % 100).cast(pl.String).str.zfill(2)
    ).to_series()


def _pick(rng: np.random.Generator, table, n: int) -> np.ndarray:
    """Indices into a ((value, weight), ...) table."""
    w = np.array([x[1] for x in table], dtype=float)
    return rng.choice(len(table), size=n, p=w / w.sum())


def _between(rng: np.random.Generator, lo, hi, n: int | None = None) -> np.ndarray:
    """Uniform ints in [lo, hi] (hi < lo gives lo); `n` rows when both bounds are scalars."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.maximum(np.asarray(hi, dtype=np.int64), lo)
    shape = np.broadcast(lo, hi).shape if n is None else (n,)
    if shape == ():
        raise ValueError("scalar bounds need n")
    return lo + np.floor(rng.random(shape) * (hi - lo + 1)).astype(np.int64)


def _chance(rng: np.random.Generator, p, mask: np.ndarray) -> np.ndarray:
    """Per person, True with probability `p` (scalar or array) where `mask` holds."""
    return (rng.random(len(mask)) < p) & mask


# --------------------------------------------------------------------------- stage 1: people


@dataclass
class People:
    """One entry per person (index = person id); dates are int days."""

    n: int
    as_of: int
    township: np.ndarray  # str
    village: np.ndarray  # str
    village_idx: np.ndarray
    korean: np.ndarray
    male: np.ndarray
    birth: np.ndarray
    age: np.ndarray
    name: np.ndarray  # object str
    cid: np.ndarray  # object str, the true 18-character ID


def _age_on(birth: np.ndarray, on: int) -> np.ndarray:
    by, bm, bd = _ymd(birth)
    oy, om, od = _ymd(np.array([on]))
    before = (bm > om[0]) | ((bm == om[0]) & (bd > od[0]))
    return (oy[0] - by - before).astype(np.int64)


_AGE_BANDS = (  # (from, to, share): an ageing city, a third aged 60+
    (0, 16, 0.10),
    (16, 30, 0.12),
    (30, 45, 0.16),
    (45, 60, 0.26),
    (60, 70, 0.17),
    (70, 80, 0.12),
    (80, 90, 0.055),
    (90, 101, 0.015),
)


def _births(rng: np.random.Generator, n: int, as_of: int) -> np.ndarray:
    band = _pick(rng, [((a, b), s) for a, b, s in _AGE_BANDS], n)
    lo = np.array([a for a, _, _ in _AGE_BANDS])[band]
    hi = np.array([b for _, b, _ in _AGE_BANDS])[band]
    age_days = ((lo + rng.random(n) * (hi - lo)) * 365.2425).astype(np.int64)
    return as_of - age_days - 1


def _names(rng: np.random.Generator, korean: np.ndarray) -> np.ndarray:
    n = len(korean)
    kw = np.array(_KOREAN_WEIGHTS) / np.sum(_KOREAN_WEIGHTS)
    hw = 1.0 / np.arange(1, len(HAN_SURNAMES) + 1) ** 0.6
    ks = np.array(list(KOREAN_SURNAMES))[rng.choice(len(KOREAN_SURNAMES), n, p=kw)]
    hs = np.array(list(HAN_SURNAMES))[rng.choice(len(HAN_SURNAMES), n, p=hw / hw.sum())]
    surname = np.where(korean, ks, hs)
    gw = 1.0 / np.arange(1, len(GIVEN_CHARS) + 1) ** 0.3
    gw /= gw.sum()
    chars = np.array(list(GIVEN_CHARS))
    g1 = chars[rng.choice(len(chars), n, p=gw)]
    g2 = chars[rng.choice(len(chars), n, p=gw)]
    two = rng.random(n) < 0.74
    given = np.where(two, np.char.add(g1, g2), g1)
    return np.char.add(surname, given).astype(object)


def _make_ids(rng: np.random.Generator, area: np.ndarray, birth: np.ndarray, male: np.ndarray):
    """Unique valid 18-character IDs (odd sequence = male) for the given people."""
    y, m, d = _ymd(birth)
    ymd = y * 10_000 + m * 100 + d
    n = len(area)

    def draw(k: int, is_male: np.ndarray) -> np.ndarray:
        return 2 * rng.integers(1, 500, k) - is_male.astype(np.int64)  # male odd, female even

    seq = draw(n, male)
    key = area.astype(np.int64) * 10**11 + ymd * 1000 + seq
    while True:
        order = np.argsort(key, kind="stable")
        dup = order[1:][key[order][1:] == key[order][:-1]]
        if len(dup) == 0:
            break
        key[dup] = key[dup] - key[dup] % 1000 + draw(len(dup), male[dup])
    digits = (key[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = np.array(list(CHECK_CHARS))[(digits @ np.array(WEIGHTS)) % 11]
    ids = np.char.add(key.astype(str), check).astype(object)
    sample = ids[: min(n, 50)]
    assert all(s[17] == check_character(s[:17]) for s in sample)
    return ids


def _people(rng: np.random.Generator, n: int, as_of: int) -> People:
    places = [(t, v, w) for t, vs in VILLAGES.items() for v, w in vs]
    village_idx = _pick(rng, [((t, v), w) for t, v, w in places], n)
    township = np.array([t for t, _, _ in places], dtype=object)[village_idx]
    village = np.array([v for _, v, _ in places], dtype=object)[village_idx]
    korean = rng.random(n) < KOREAN_SHARE
    male = rng.random(n) < 0.49
    birth = _births(rng, n, as_of)
    name = _names(rng, korean)
    # Namesake twins: same name, sex and birth date as someone else, another ID.
    twins = np.flatnonzero(rng.random(n) < TWIN_RATE)
    donors = rng.integers(0, n, len(twins))
    name[twins], male[twins], birth[twins] = name[donors], male[donors], birth[donors]
    area = np.array([a for a, _ in AREA_CODES])[_pick(rng, AREA_CODES, n)]
    cid = _make_ids(rng, area, birth, male)
    return People(
        n=n,
        as_of=as_of,
        township=township,
        village=village,
        village_idx=village_idx,
        korean=korean,
        male=male,
        birth=birth,
        age=_age_on(birth, as_of),
        name=name,
        cid=cid,
    )


# --------------------------------------------------------------------------- stage 2: lives


@dataclass
class Lives:
    """The true story. Person-indexed arrays unless noted; NEVER = no such date."""

    moved: np.ndarray
    moved_day: np.ndarray
    death: np.ndarray
    employee: np.ndarray
    employee_retired: np.ndarray
    roster: np.ndarray
    pension_no: np.ndarray
    enrolled: np.ndarray
    receiving_from: np.ndarray  # first day of the first month paid (NEVER if never)
    pension: np.ndarray  # fen a month
    balance: np.ndarray  # fen
    initial_status: np.ndarray
    # status history, one row per change (sorted by person, date)
    ch_pid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ch_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ch_after: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ch_reason: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    status: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    wrongly_dead: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    false_death: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    false_by_hukou: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    tables: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


_MORTALITY = ((40, 0.0008), (60, 0.004), (70, 0.012), (80, 0.035), (90, 0.10), (200, 0.22))


def _deaths(rng: np.random.Generator, p: People) -> np.ndarray:
    """True death day (NEVER if alive on as_of) within the last three years."""
    q = np.select([p.age < a for a, _ in _MORTALITY], [r for _, r in _MORTALITY])
    dies = rng.random(p.n) < 1 - (1 - q) ** (HISTORY_DAYS / 365)
    day = _between(rng, p.as_of - HISTORY_DAYS, p.as_of - 1, p.n)
    day = np.maximum(day, p.birth + 30)
    return np.where(dies & (day < p.as_of), day, NEVER)


def _lives(rng: np.random.Generator, p: People) -> Lives:
    death = _deaths(rng, p)
    alive = death >= NEVER
    moved = _chance(rng, 0.015, alive & (p.age >= 16) & (p.age < 60))
    moved_day = np.where(moved, _between(rng, p.as_of - HISTORY_DAYS, p.as_of - 10, p.n), NEVER)
    adult = p.age >= 18
    employee = _chance(rng, np.where(p.age < 60, 0.26, 0.2), adult & ~moved)
    # An employee who died long ago has left the roster.
    employee &= death >= p.as_of - 90
    retire_age = np.where(p.male, 60, 55)
    employee_retired = employee & (p.age >= retire_age)
    # Residents' roster: most adults not in the employee scheme, a few on both (重复参保).
    share = np.select([p.age < 25, p.age < 60], [0.45, 0.8], 0.92)
    roster = _chance(rng, share, (p.age >= 16) & ~employee)
    roster |= _chance(rng, 0.04, employee)
    n_roster = int(roster.sum())
    order = rng.permutation(np.flatnonzero(roster))
    pension_no = np.full(p.n, -1, np.int64)
    pension_no[order] = 2205000000 + np.cumsum(rng.integers(1, 8, n_roster))
    sixteen = _add_years(p.birth, 16)
    latest = np.minimum(np.minimum(p.as_of - 60, death - 30), moved_day - 30)
    earliest = np.maximum(sixteen, _day(dt.date(2011, 1, 1)))
    enrolled = _month_start(_month_index(_between(rng, earliest, latest)))
    # Pension from the month after the 60th birthday (or after a late enrolment).
    start = np.maximum(
        _month_start(_month_index(_add_years(p.birth, BENEFIT_AGE)) + 1),
        _month_start(_month_index(enrolled) + 1),
    )
    receives = roster & (start <= p.as_of) & (start < death)
    receiving_from = np.where(receives, start, NEVER)
    pension = np.where(
        receives, np.clip(10_000 + rng.gamma(2.0, 2_500, p.n), 10_000, 30_000), 0
    ).astype(np.int64)
    balance = np.where(
        receives,
        np.where(rng.random(p.n) < 0.08, 0, rng.uniform(0, 900_000, p.n)),
        rng.uniform(30_000, 1_500_000, p.n),
    ).astype(np.int64)
    initial = np.where(receives & (start <= p.as_of - HISTORY_DAYS), RECEIVING, CONTRIB)
    return Lives(
        moved=moved,
        moved_day=moved_day,
        death=death,
        employee=employee,
        employee_retired=employee_retired,
        roster=roster,
        pension_no=pension_no,
        enrolled=np.where(roster, enrolled, NEVER),
        receiving_from=receiving_from,
        pension=pension,
        balance=np.where(roster, balance, 0),
        initial_status=np.where(roster, initial, -1),
    )


def _add_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same calendar day `years` later (29 February becomes 1 March)."""
    _, _, d = _ymd(days)
    return _month_start(_month_index(days) + 12 * years) + d - 1


def _status_history(rng: np.random.Generator, p: People, life: Lives) -> None:
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
    pre = _chance(rng, 0.06, dead & rec & (room > 40))
    pre_day = death - _between(rng, 10, np.minimum(300, room - 20))
    events.append((pre, pre_day, SUSPENDED, _reasons(rng, n, ("银行账户异常", "未按时资格认证"))))

    # 3. Deaths processed by the roster: 终止 (死亡) some weeks after the death.
    slow = rng.random(n) < SLOW_DEREGISTRATION
    lag = 10 + rng.exponential(np.where(slow, 500, 60), n).astype(np.int64)
    processed = life.roster & dead & (death + lag < as_of)
    term_day = death + lag
    events.append((processed, term_day, TERMINATED, "死亡"))

    # 4. Unprocessed deaths suspended later for a missed annual check (status at death kept).
    after = _chance(rng, 0.4, life.roster & rec & dead & ~processed & ~pre & (as_of - death > 120))
    after_day = death + _between(rng, 90, np.minimum(400, as_of - death - 1))
    events.append((after, after_day, SUSPENDED, "未按时资格认证"))

    # 5. Living pensioners suspended (some resumed), living contributors terminated.
    alive = life.roster & ~dead
    suspend = _chance(rng, 0.015, alive & rec & (life.receiving_from < as_of - 60))
    s_day = _between(rng, np.maximum(life.receiving_from + 30, as_of - 700), as_of - 5)
    resume = _chance(rng, 0.4, suspend & (as_of - s_day > 30))
    r_day = _between(rng, s_day + 20, np.minimum(s_day + 200, as_of - 1))
    events.append((suspend, s_day, SUSPENDED, _reasons(rng, n, ("银行账户异常", "未按时资格认证"))))
    events.append((resume, r_day, RECEIVING, "资格认证通过"))
    leaves = alive & life.moved
    events.append((leaves, life.moved_day, TERMINATED, "户籍迁出"))
    to_employee = _chance(rng, 0.004, alive & ~rec & ~life.moved & (p.age < 55))
    events.append(
        (to_employee, _between(rng, as_of - 700, as_of - 5, n), TERMINATED, "转入企业职工养老保险")
    )
    life.employee |= to_employee
    # A few living contributors stop (本人申请终止) while still registered: uninsured again.
    stops = _chance(rng, 0.003, alive & ~rec & ~life.moved & ~to_employee)
    events.append((stops, _between(rng, as_of - 700, as_of - 5, n), TERMINATED, "本人申请终止"))

    pid = np.concatenate([np.flatnonzero(m) for m, *_ in events])
    day = np.concatenate([d[m] for m, d, *_ in events])
    after_s = np.concatenate([np.full(m.sum(), s) for m, _, s, _ in events])
    reason = np.concatenate(
        [np.full(m.sum(), r, object) if isinstance(r, str) else r[m] for m, _, _, r in events]
    )
    order = np.lexsort((day, pid))
    life.ch_pid, life.ch_day = pid[order], day[order]
    life.ch_after, life.ch_reason = after_s[order], reason[order]
    life.status = np.where(life.roster, _status_on(life, np.arange(n), np.full(n, as_of + 1)), -1)


def _reasons(rng: np.random.Generator, n: int, choices: tuple[str, ...]) -> np.ndarray:
    return np.array(choices, dtype=object)[rng.integers(0, len(choices), n)]


def _status_on(life: Lives, pid: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Roster status in force on `day`: the last change strictly before it, else initial."""
    key = life.ch_pid * 2 * NEVER + life.ch_day
    q = pid.astype(np.int64) * 2 * NEVER + day
    i = np.searchsorted(key, q, side="left") - 1
    ok = i >= 0
    ok[ok] = life.ch_pid[i[ok]] == pid[ok]
    return np.where(ok, life.ch_after[np.maximum(i, 0)], life.initial_status[pid])


def _wrongly_dead(rng: np.random.Generator, p: People, life: Lives) -> None:
    """Living pensioners some agency reports dead (they keep visiting doctors)."""
    alive = (life.death >= NEVER) & ~life.moved
    pool = alive & life.roster & np.isin(life.status, (RECEIVING, CONTRIB))
    rate = np.where(life.status == RECEIVING, WRONGLY_DEAD_RATE, WRONGLY_DEAD_RATE / 6)
    life.wrongly_dead = _chance(rng, rate, pool)
    life.false_death = np.where(
        life.wrongly_dead, _between(rng, p.as_of - 330, p.as_of - 20, p.n), NEVER
    )
    life.false_by_hukou = life.wrongly_dead & (rng.random(p.n) < 0.8)


def _payments(p: People, life: Lives) -> dict[str, np.ndarray]:
    """One row per pensioner and month paid, for the last PAYMENT_MONTHS months."""
    last = _month_index(np.array([p.as_of]))[0]
    months = np.arange(last - PAYMENT_MONTHS + 1, last + 1)
    who = np.flatnonzero(life.receiving_from < NEVER)
    pid = np.repeat(who, len(months))
    month = np.tile(months, len(who))
    paid = _status_on(life, pid, _month_start(month)) == RECEIVING
    pid, month = pid[paid], month[paid]
    return {"pid": pid, "month": month, "amount": life.pension[pid]}


# --------------------------------------------------------------------------- custody and groups


def _custody(rng: np.random.Generator, p: People, life: Lives, at_death: np.ndarray) -> dict:
    """Custody terms: ordinary ones for living adults, plus people who died in custody."""
    alive = life.death >= NEVER
    rate = np.where(p.male, 0.004, 0.0008)
    base = np.flatnonzero(_chance(rng, rate, alive & (p.age >= 18) & (p.age < 75)))
    start = _between(rng, p.as_of - 1500, p.as_of - 5, len(base))
    length = _between(rng, 20, 1800, len(base))
    end = np.where(start + length < p.as_of, start + length, NEVER)
    died = np.flatnonzero(at_death)
    d = life.death[died]
    d_start = d - _between(rng, 30, 900, len(died))
    d_end = np.where(rng.random(len(died)) < 0.5, d, NEVER)
    pid = np.concatenate([base, died])
    start, end = np.concatenate([start, d_start]), np.concatenate([end, d_end])
    short = (np.minimum(end, p.as_of) - start) < 365
    facility = np.where(
        short,
        "龙井市看守所",
        np.where(rng.random(len(pid)) < 0.8, "吉林监狱", "延边监狱"),
    ).astype(object)
    return {"pid": pid, "start": start, "end": end, "facility": facility}


def _in_custody(custody: dict, pid: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Whether each (pid, day) falls inside a custody term (ends inclusive)."""
    out = np.zeros(len(pid), bool)
    if len(pid) == 0 or len(custody["pid"]) == 0:
        return out
    pos = {int(x): i for i, x in enumerate(pid)}
    for c_pid, s, e in zip(custody["pid"], custody["start"], custody["end"], strict=True):
        i = pos.get(int(c_pid))
        if i is not None and s <= day[i] <= e:
            out[i] = True
    return out


def _groups(rng: np.random.Generator, p: People, life: Lives) -> dict[str, dict]:
    """Assistance (低保/特困), disability cards and the poverty registry."""
    as_of = p.as_of
    street = np.char.endswith(p.township.astype(str), "街道")
    aid = np.flatnonzero(_chance(rng, np.where(p.age >= 60, 0.05, 0.03), ~life.moved))
    old = p.age[aid] >= 60
    category = np.where(
        old & (rng.random(len(aid)) < 0.3),
        "特困供养",
        np.where(street[aid], "城市低保", "农村低保"),
    ).astype(object)
    latest = np.minimum(as_of - 20, life.death[aid] - 30)
    start = _month_start(_month_index(_between(rng, _day(dt.date(2018, 1, 1)), latest)))
    u = rng.random(len(aid))
    ended = _between(rng, start + 60, as_of - 1)
    future = _between(rng, as_of + 1, as_of + 365, len(aid))
    end = np.select([u < 0.15, u < 0.2], [ended, future], NEVER)
    d = life.death[aid]
    end = np.where((d < NEVER) & (rng.random(len(aid)) < 0.7), np.maximum(d, start), end)
    assistance = {"pid": aid, "category": category, "start": start, "end": end}

    dis = np.flatnonzero(_chance(rng, np.where(p.age >= 60, 0.04, 0.02), ~life.moved))
    grade = rng.choice(4, len(dis), p=[0.1, 0.2, 0.33, 0.37]) + 1
    disabled = {"pid": dis, "category": rng.integers(1, 8, len(dis)), "grade": grade}

    pov = np.flatnonzero(_chance(rng, 0.04, ~street & ~life.moved))
    kind = np.where(rng.random(len(pov)) < 0.67, "脱贫户", "监测户").astype(object)
    poverty = {"pid": pov, "kind": kind}
    return {"assistance": assistance, "disabled": disabled, "poverty": poverty}


def _special_groups(p: People, groups: dict) -> np.ndarray:
    """Per person, the sorted ';'-joined special groups on as_of ('' for none)."""
    labels = np.full(p.n, "", object)
    a = groups["assistance"]
    active = (a["start"] <= p.as_of) & (a["end"] > p.as_of)
    entries = [
        (a["pid"][active], a["category"][active]),
        (groups["disabled"]["pid"][groups["disabled"]["grade"] <= 2], "重度残疾"),
        (groups["poverty"]["pid"], groups["poverty"]["kind"]),
    ]
    found: dict[int, set[str]] = {}
    for pids, label in entries:
        lab = np.broadcast_to(np.asarray(label, dtype=object), pids.shape)
        for x, g in zip(pids.tolist(), lab.tolist(), strict=True):
            found.setdefault(x, set()).add(g)
    for x, gs in found.items():
        labels[x] = ";".join(sorted(gs))
    return labels


# --------------------------------------------------------------------------- deaths and benefits


def _death_reports(rng: np.random.Generator, p: People, life: Lives) -> dict[str, np.ndarray]:
    """Which agencies report each death, and the date each reports.

    Person-indexed. The highest-priority report (certificate, hukou, funeral, medical)
    always carries the true date (and so does the hukou when the certificate has no ID);
    for DEATH_DATE_CONFLICT of the deaths with two or more
    reports a lower-priority one is 35-150 days off. Every death has an identifiable
    report: the hukou, or else a certificate with an ID.
    """
    n, as_of, death = p.n, p.as_of, life.death
    dead = death < NEVER
    hukou_lag = 3 + rng.exponential(30, n).astype(np.int64)
    late = _chance(rng, LATE_HUKOU_REPORT, dead & (as_of - death < 180))
    hukou = dead & (death + hukou_lag < as_of) & ~late
    cert = _chance(rng, 0.75, dead) | (dead & ~hukou)
    home = rng.random(n) < 0.3
    cert_no_id = (
        cert & hukou & (rng.random(n) < np.where(home, CERT_NO_ID_HOME, CERT_NO_ID_HOSPITAL))
    )
    funeral = _chance(rng, 0.85, dead)
    medical = _chance(rng, 0.5, dead)
    reported = {"cert": cert, "hukou": hukou, "funeral": funeral, "medical": medical}
    dates = {k: np.where(m, death, NEVER) for k, m in reported.items()}
    # A conflict: one lower-priority report far off the true date.
    stacked = np.stack([cert, hukou, funeral, medical])
    conflict = _chance(rng, DEATH_DATE_CONFLICT, stacked.sum(axis=0) >= 2)
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
        shift = int(rng.integers(35, 151))
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


def _benefits(rng: np.random.Generator, p: People, life: Lives, at_death: dict) -> dict:
    """Funeral subsidies paid (both schemes, with the improper ones) and 抚恤金."""
    as_of, death = p.as_of, life.death
    dead = death < NEVER
    status, custody = at_death["status"], at_death["custody"]
    term = _termination_day(life)
    processed = term < NEVER
    eligible = (status == RECEIVING) & ~custody
    prob = np.select(
        [eligible, custody, status == SUSPENDED, status == CONTRIB], [0.93, 0.5, 0.4, 0.08], 0
    )
    paid = _chance(rng, prob, life.roster & dead & processed)
    pay_day = term + _between(rng, 3, 45, p.n)
    paid &= pay_day < as_of
    twice = _chance(rng, 0.05, paid)
    again = pay_day + _between(rng, 15, 120, p.n)
    twice &= again < as_of
    r_pid = np.concatenate([np.flatnonzero(paid), np.flatnonzero(twice)])
    r_day = np.concatenate([pay_day[paid], again[twice]])

    grant = _chance(rng, 0.75, dead & life.employee)
    g_day = death + _between(rng, 20, 90, p.n)
    grant &= g_day < as_of
    e_pid = np.flatnonzero(grant)
    subsidies = {
        "pid": np.concatenate([r_pid, e_pid]),
        "day": np.concatenate([r_day, g_day[grant]]),
        "resident": np.concatenate([np.ones(len(r_pid), bool), np.zeros(len(e_pid), bool)]),
    }
    fuxu = _chance(rng, 0.04, dead & p.male & (p.age >= 65))
    f_day = death + _between(rng, 15, 120, p.n)
    fuxu &= f_day < as_of
    f_pid = np.flatnonzero(fuxu)
    f_amount = rng.integers(8, 51, len(f_pid)) * 1_000_00
    pension_fuxu = {"pid": f_pid, "day": f_day[fuxu], "amount": f_amount}
    return {"funeral_subsidies": subsidies, "pension_fuxu": pension_fuxu}


def _termination_day(life: Lives) -> np.ndarray:
    """Per person, the day the roster recorded 终止 for a death (NEVER if not)."""
    out = np.full(len(life.death), NEVER)
    m = (life.ch_after == TERMINATED) & (life.ch_reason == "死亡")
    out[life.ch_pid[m]] = life.ch_day[m]
    return out


# --------------------------------------------------------------------------- stage 3: truth


def _truth_deaths(p: People, life: Lives, at_death: dict, pay: dict) -> pl.DataFrame:
    active = life.roster & np.isin(life.status, (CONTRIB, RECEIVING, SUSPENDED))
    dead = life.death < NEVER
    rows = np.flatnonzero(active & (dead | life.wrongly_dead))
    d = life.death[rows]
    truly = d < NEVER
    # Overpaid: payments for months after the month of death.
    over = pay["month"] > _month_index(np.minimum(life.death, p.as_of))[pay["pid"]]
    over &= dead[pay["pid"]]
    months = np.bincount(pay["pid"][over], minlength=p.n)[rows]
    amount = np.bincount(pay["pid"][over], weights=pay["amount"][over], minlength=p.n)
    amount = amount.astype(np.int64)[rows]
    status = at_death["status"][rows]
    subsidy = np.where(
        (status == RECEIVING) & ~at_death["custody"][rows], RESIDENT_FUNERAL_SUBSIDY, 0
    )
    balance = life.balance[rows]
    net = subsidy + balance - amount
    reported = np.where(truly, d, life.false_death[rows])

    def only_dead(series: pl.Series) -> pl.Series:
        return series.set(pl.Series(~truly), None) if (~truly).any() else series

    status_text = np.where(
        status == UNKNOWN, "unknown", np.array(STATUS, dtype=object)[np.maximum(status, 0)]
    )
    return pl.DataFrame(
        {
            "citizen_id": p.cid[rows],
            "pension_no": life.pension_no[rows].astype(str),
            "name": p.name[rows],
            "death_date": _dates(reported, "%Y-%m-%d"),
            "truly_dead": np.where(truly, "true", "false"),
            "status_at_death": only_dead(pl.Series(status_text, dtype=pl.String)),
            "overpaid_months": only_dead(pl.Series(months.astype(str))),
            "overpaid_amount": only_dead(_money(amount)),
            "funeral_subsidy": only_dead(_money(subsidy)),
            "account_balance": only_dead(_money(balance)),
            "net_to_heirs": only_dead(_money(np.maximum(net, 0))),
            "to_recover": only_dead(_money(np.maximum(-net, 0))),
        },
        schema_overrides={"citizen_id": pl.String, "name": pl.String},
    ).sort("pension_no")


def _truth_never_dead(p: People, life: Lives) -> pl.DataFrame:
    rows = np.flatnonzero(life.wrongly_dead)
    src = np.where(life.false_by_hukou[rows], "公安局户籍死亡", "医保局终止参保(死亡)")
    reason = [f"{s}，其后仍有就诊记录" for s in src]
    return pl.DataFrame(
        {"citizen_id": p.cid[rows], "name": p.name[rows], "reason": reason},
        schema={"citizen_id": pl.String, "name": pl.String, "reason": pl.String},
    ).sort("citizen_id")


def _residents(p: People, life: Lives, hukou_dead: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(resident 16+ mask, insured mask) — the base of coverage and uninsured."""
    alive = life.death >= NEVER
    resident = alive & ~life.moved & ~hukou_dead & (p.age >= ENROLLMENT_MIN_AGE)
    active = life.roster & np.isin(life.status, (CONTRIB, RECEIVING, SUSPENDED))
    insured = active | life.employee
    return resident, insured


def _truth_uninsured(p: People, resident, insured, special: np.ndarray) -> pl.DataFrame:
    rows = np.flatnonzero(resident & ~insured)
    groups = special[rows]
    old = p.age[rows] >= BENEFIT_AGE
    category = np.where(groups != "", "government_paid", np.where(old, "back_payment", "standard"))
    advance_text = f"{ADVANCE_AMOUNT // 100}.{ADVANCE_AMOUNT % 100:02d}"
    advance = pl.Series(
        [advance_text if c == "back_payment" else None for c in category.tolist()], dtype=pl.String
    )
    return pl.DataFrame(
        {
            "citizen_id": p.cid[rows],
            "name": p.name[rows],
            "township": p.township[rows],
            "village": p.village[rows],
            "age": p.age[rows],
            "category": category,
            "special_groups": [g or None for g in groups.tolist()],
            "advance_amount": advance,
        },
        schema_overrides={
            k: pl.String for k in ("citizen_id", "name", "township", "village", "special_groups")
        },
    ).sort("township", "village", "citizen_id")


def _truth_coverage(p: People, resident, insured) -> pl.DataFrame:
    frame = (
        pl.DataFrame(
            {
                "township": p.township[resident],
                "village": p.village[resident],
                "insured": insured[resident],
            },
            schema={"township": pl.String, "village": pl.String, "insured": pl.Boolean},
        )
        .group_by("township", "village")
        .agg(
            residents_16_plus=pl.len(),
            insured=pl.col("insured").sum(),
            uninsured_eligible=(~pl.col("insured")).sum(),
        )
        .sort("township", "village")
    )
    rate = [
        f"{a / b:.4f}"
        for a, b in zip(
            frame["insured"].to_list(), frame["residents_16_plus"].to_list(), strict=True
        )
    ]
    return frame.with_columns(coverage_rate=pl.Series(rate, dtype=pl.String))


def _truth_funeral(p: People, life: Lives, at_death: dict, benefits: dict) -> pl.DataFrame:
    """Rows per deceased and kind; the first payment is recovered under one kind only."""
    sub = benefits["funeral_subsidies"]
    res = sub["resident"]
    pid = sub["pid"][res]
    other = np.zeros(p.n, bool)
    other[sub["pid"][~res]] = True
    other[benefits["pension_fuxu"]["pid"]] = True
    count = np.bincount(pid, minlength=p.n)
    people = np.unique(pid)
    rows: list[tuple[int, str, int]] = []
    for x in people.tolist():
        n_paid = int(count[x])
        kinds = []
        if n_paid > 1:
            rows.append((x, "duplicate_resident", (n_paid - 1) * RESIDENT_FUNERAL_SUBSIDY))
        if at_death["custody"][x]:
            kinds.append("ineligible_custody")
        if at_death["status"][x] not in (RECEIVING, UNKNOWN):
            kinds.append("ineligible_suspended")
        if other[x]:
            kinds.append("duplicate_other_scheme")
        for i, kind in enumerate(kinds):
            rows.append((x, kind, RESIDENT_FUNERAL_SUBSIDY if i == 0 else 0))
    pids = np.array([r[0] for r in rows], dtype=np.int64)
    return pl.DataFrame(
        {
            "citizen_id": pl.Series(p.cid[pids], dtype=pl.String),
            "pension_no": life.pension_no[pids].astype(str),
            "name": pl.Series(p.name[pids], dtype=pl.String),
            "kind": pl.Series([r[1] for r in rows], dtype=pl.String),
            "amount_to_recover": _money(np.array([r[2] for r in rows], dtype=np.int64)),
        }
    ).sort("pension_no", "kind")


# --------------------------------------------------------------------------- stage 4: quirks


_FULLWIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def _quirk_ids(
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


def _quirk_names(rng: np.random.Generator, names: np.ndarray, noise: float) -> np.ndarray:
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


# --------------------------------------------------------------------------- stage 4: extracts


@dataclass
class Extract:
    """One source file: columns in header order, and the true person behind each row."""

    frame: pl.DataFrame
    pid: np.ndarray


def _extract(source: str, columns: dict[str, object], pid: np.ndarray) -> Extract:
    headers = FILES[source][4]
    data = {h: columns[h] for h in headers}
    frame = pl.DataFrame({h: _text(v) for h, v in data.items()})
    frame = frame.select(pl.when(pl.all() != "").then(pl.all()))  # "" is written as nothing
    return Extract(frame, np.asarray(pid, dtype=np.int64))


def _text(values) -> pl.Series:
    """A string column from a Series, a numpy array (None = null) or a list."""
    if isinstance(values, pl.Series):
        return values.cast(pl.String)
    if isinstance(values, np.ndarray):
        values = values.tolist()
    return pl.Series(values, dtype=pl.String)


def _shuffled(rng: np.random.Generator, pid: np.ndarray) -> np.ndarray:
    return rng.permutation(len(pid))


class _Renderer:
    """Renders the true story into the 15 extracts."""

    def __init__(self, rng, p: People, life: Lives, noise: float):
        self.rng, self.p, self.life, self.noise = rng, p, life, noise
        self.sex = np.where(p.male, "男", "女").astype(object)

    def ids(self, source: str, pid: np.ndarray, protect: np.ndarray | None = None) -> np.ndarray:
        return _quirk_ids(self.rng, self.p.cid[pid], source, self.noise, protect)

    def names(self, pid: np.ndarray, scale: float = 1.0) -> np.ndarray:
        return _quirk_names(self.rng, self.p.name[pid], self.noise * scale)

    # -- public security ----------------------------------------------------------------
    def hukou(self, reports: dict) -> Extract:
        p, life = self.p, self.life
        pid = np.arange(p.n)
        dead_h = reports["hukou"] | (life.wrongly_dead & life.false_by_hukou)
        death_day = np.where(reports["hukou"], reports["hukou_day"], NEVER)
        death_day = np.where(life.wrongly_dead & life.false_by_hukou, life.false_death, death_day)
        dereg = np.where(reports["hukou"], reports["hukou_dereg"], NEVER)
        lag = _between(self.rng, 3, 60, p.n)
        false_dereg = np.minimum(life.false_death + lag, p.as_of - 1)
        dereg = np.where(life.wrongly_dead & life.false_by_hukou, false_dereg, dereg)
        dereg = np.where(life.moved, life.moved_day, dereg)
        status = np.where(dead_h, "死亡", np.where(life.moved, "迁出", "正常")).astype(object)
        address = "吉林省龙井市" + p.township + p.village
        return _extract(
            "hukou",
            {
                "公民身份号码": self.ids("hukou", pid),
                "姓名": self.names(pid, 0.1),
                "性别": self.sex,
                "出生日期": _dates(p.birth, "%Y%m%d"),
                "民族": np.where(p.korean, "朝鲜族", "汉族"),
                "户籍地址": address,
                "乡镇街道": p.township,
                "村社区": p.village,
                "人员状态": status,
                "死亡日期": _dates(death_day, "%Y%m%d"),
                "注销日期": _dates(dereg, "%Y%m%d"),
            },
            pid,
        )

    def custody(self, custody: dict) -> Extract:
        order = _shuffled(self.rng, custody["pid"])
        pid = custody["pid"][order]
        return _extract(
            "custody",
            {
                "公民身份号码": self.ids("custody", pid),
                "姓名": self.names(pid),
                "入所日期": _dates(custody["start"][order], "%Y-%m-%d"),
                "出所日期": _dates(custody["end"][order], "%Y-%m-%d"),
                "羁押场所": custody["facility"][order],
            },
            pid,
        )

    # -- civil affairs --------------------------------------------------------------------
    def assistance(self, a: dict, protect: np.ndarray) -> Extract:
        order = _shuffled(self.rng, a["pid"])
        pid = a["pid"][order]
        return _extract(
            "assistance",
            {
                "身份证号": self.ids("assistance", pid, protect[pid]),
                "姓名": self.names(pid),
                "救助类别": a["category"][order],
                "起始日期": _dates(a["start"][order], "%Y/%m/%d"),
                "终止日期": _dates(a["end"][order], "%Y/%m/%d"),
                "乡镇街道": self.p.township[pid],
            },
            pid,
        )

    def funeral(self, reports: dict) -> Extract:
        p, rng = self.p, self.rng
        pid = rng.permutation(np.flatnonzero(reports["funeral"]))
        death = reports["funeral_day"][pid]
        # Cremated 1-4 days after the death, and never after the night itself.
        cremation = np.minimum(death + rng.integers(1, 5, len(pid)), p.as_of - 1)
        protect = reports.get("funeral_protect", np.zeros(p.n, bool))[pid]
        ids = self.ids("funeral", pid, protect)
        relative = (rng.random(len(pid)) < FUNERAL_RELATIVE_ID * self.noise) & ~protect
        ids[relative] = p.cid[self._relatives(pid[relative])]
        return _extract(
            "funeral",
            {
                "逝者身份证号": ids,
                "逝者姓名": self.names(pid),
                "性别": self.sex[pid],
                "死亡日期": self._loose_dates(death),
                "火化日期": self._loose_dates(cremation),
                "殡仪馆": np.array([h for h, _ in FUNERAL_HOMES], dtype=object)[
                    _pick(rng, FUNERAL_HOMES, len(pid))
                ],
            },
            pid,
        )

    def _loose_dates(self, days: np.ndarray) -> pl.Series:
        """YYYY/M/D for most rows, YYYY/MM/DD for the rest."""
        padded = pl.Series(self.rng.random(len(days)) < 0.4)
        return pl.select(
            pl.when(padded).then(_dates(days, "%Y/%m/%d")).otherwise(_dates(days, "%Y/%-m/%-d"))
        ).to_series()

    def _relatives(self, pid: np.ndarray) -> np.ndarray:
        """A living person of the same village (a relative typed in by mistake)."""
        p, life = self.p, self.life
        living = np.flatnonzero((life.death >= NEVER) & ~life.moved)
        living = living[np.argsort(p.village_idx[living], kind="stable")]
        v = p.village_idx[living]
        first = np.searchsorted(v, p.village_idx[pid], side="left")
        count = np.searchsorted(v, p.village_idx[pid], side="right") - first
        return living[first + (self.rng.random(len(pid)) * count).astype(np.int64)]

    def pension_fuxu(self, f: dict) -> Extract:
        pid = f["pid"]
        fmt = self.rng.integers(0, 3, len(pid))
        day = f["day"]
        dates = pl.select(
            pl.when(pl.Series(fmt == 0))
            .then(_dates(day, "%Y-%m-%d"))
            .when(pl.Series(fmt == 1))
            .then(_dates(day, "%Y/%m/%d"))
            .otherwise(_dates(day, "%Y%m%d"))
        ).to_series()
        return _extract(
            "pension_fuxu",
            {
                "身份证号": self.ids("pension_fuxu", pid),
                "姓名": self.names(pid),
                "抚恤类别": np.array(FUXU_CATEGORIES, dtype=object)[
                    self.rng.integers(0, len(FUXU_CATEGORIES), len(pid))
                ],
                "发放日期": dates,
                "金额": _money(f["amount"]),
            },
            pid,
        )

    # -- medical insurance and health -----------------------------------------------------
    def medical(self, reports: dict) -> Extract:
        p, life, rng = self.p, self.life, self.rng
        enrolled = rng.random(p.n) < 0.96
        enrolled |= reports["medical"] | (life.wrongly_dead & ~life.false_by_hukou)
        pid = rng.permutation(np.flatnonzero(enrolled))
        scheme = np.where(life.employee[pid], "职工基本医疗保险", "城乡居民基本医疗保险")
        dead_m = reports["medical"][pid]
        false_m = (life.wrongly_dead & ~life.false_by_hukou)[pid]
        moved = life.moved[pid]
        paused = rng.random(len(pid)) < 0.005
        status = np.select(
            [dead_m | false_m | moved, paused], ["终止参保", "暂停"], "参保缴费"
        ).astype(object)
        end = np.select(
            [dead_m, false_m, moved],
            [reports["medical_day"][pid], life.false_death[pid], life.moved_day[pid]],
            NEVER,
        )
        reason = np.select([dead_m | false_m, moved], ["死亡", "转外地参保"], None).astype(object)
        return _extract(
            "medical_enrollment",
            {
                "证件号码": self.ids("medical_enrollment", pid),
                "姓名": self.names(pid),
                "参保险种": scheme,
                "参保状态": status,
                "终止日期": _dates(end, "%Y-%m-%d"),
                "终止原因": reason,
            },
            pid,
        )

    def death_certificates(self, reports: dict) -> Extract:
        p, rng = self.p, self.rng
        pid = rng.permutation(np.flatnonzero(reports["cert"]))
        ids = self.ids("death_certificates", pid, ~reports["hukou"][pid])
        ids[reports["cert_no_id"][pid]] = ""
        minutes = rng.integers(0, 24 * 60, len(pid))
        time_text = pl.Series(
            [f" {m // 60:02d}:{m % 60:02d}" for m in minutes.tolist()], dtype=pl.String
        )
        home = reports["cert_home"][pid]
        hospital = np.array(CITY_HOSPITALS, dtype=object)[rng.integers(0, 3, len(pid))]
        return _extract(
            "death_certificates",
            {
                "死者身份证号": ids,
                "姓名": self.names(pid),
                "性别": self.sex[pid],
                "出生日期": _dates(p.birth[pid], "%Y-%m-%d"),
                "死亡时间": _dates(reports["cert_day"][pid], "%Y-%m-%d") + time_text,
                "死亡地点": np.where(home, "家中", hospital),
            },
            pid,
        )

    def visits(self) -> Extract:
        p, life, rng = self.p, self.life, self.rng
        as_of = p.as_of
        old = p.age >= 60
        visits = rng.random(p.n) < np.where(old, 0.6, 0.3)
        visits &= ~life.moved
        count = np.where(visits, 1 + rng.poisson(np.where(old, 3.0, 1.5)), 0)
        pid = np.repeat(np.arange(p.n), count)
        last = np.minimum(life.death, as_of) - 1
        first = as_of - 365
        keep = last[pid] >= first
        pid = pid[keep]
        day = _between(rng, first, last[pid])
        # The wrongly dead visit a doctor after their reported death.
        wd = np.flatnonzero(life.wrongly_dead)
        extra = np.repeat(wd, rng.integers(1, 4, len(wd)))
        extra_day = _between(rng, life.false_death[extra] + 1, as_of - 1)
        pid, day = np.concatenate([pid, extra]), np.concatenate([day, extra_day])
        order = rng.permutation(len(pid))
        pid, day = pid[order], day[order]
        own = np.array(
            [f"{t}卫生院" if not t.endswith("街道") else f"{t}社区卫生服务中心" for t in VILLAGES],
            dtype=object,
        )
        town_idx = {t: i for i, t in enumerate(VILLAGES)}
        t_of = np.array([town_idx[t] for t in p.township[pid]]) if len(pid) else np.zeros(0, int)
        local = rng.random(len(pid)) < 0.45
        facility = np.where(
            local, own[t_of], np.array(CITY_HOSPITALS, dtype=object)[rng.integers(0, 3, len(pid))]
        )
        return _extract(
            "visits",
            {
                "身份证号": self.ids("visits", pid),
                "姓名": self.names(pid),
                "就诊日期": _dates(day, "%Y-%m-%d"),
                "医疗机构": facility,
            },
            pid,
        )

    # -- disabled persons and poverty -----------------------------------------------------
    def disabled(self, d: dict, protect: np.ndarray) -> Extract:
        order = _shuffled(self.rng, d["pid"])
        pid = d["pid"][order]
        ids = self.ids("disabled", pid, protect[pid])
        card = [
            f"{s}{c}{g}"
            for s, c, g in zip(ids, d["category"][order], d["grade"][order], strict=True)
        ]
        return _extract(
            "disabled",
            {
                "残疾人证号": card,
                "姓名": self.names(pid),
                "性别": self.sex[pid],
                "残疾类别": np.array(DISABILITY_CATEGORIES, dtype=object)[d["category"][order] - 1],
                "残疾等级": [f"{g}级" for g in d["grade"][order]],
                "乡镇街道": self.p.township[pid],
            },
            pid,
        )

    def poverty(self, v: dict, protect: np.ndarray) -> Extract:
        order = _shuffled(self.rng, v["pid"])
        pid = v["pid"][order]
        return _extract(
            "poverty",
            {
                "证件号码": self.ids("poverty", pid, protect[pid]),
                "姓名": self.names(pid),
                "户类型": v["kind"][order],
                "乡镇": self.p.township[pid],
                "村": self.p.village[pid],
            },
            pid,
        )

    # -- social security ------------------------------------------------------------------
    def resident_roster(self) -> Extract:
        p, life = self.p, self.life
        pid = np.flatnonzero(life.roster)
        pid = pid[np.argsort(life.pension_no[pid])]
        rec = life.receiving_from[pid] < NEVER
        return _extract(
            "resident_roster",
            {
                "个人编号": life.pension_no[pid].astype(str),
                "公民身份号码": self.ids("resident_roster", pid),
                "姓名": self.names(pid),
                "性别": self.sex[pid],
                "出生日期": _dates(p.birth[pid], "%Y-%m-%d"),
                "乡镇街道": p.township[pid],
                "村社区": p.village[pid],
                "参保状态": np.array(STATUS, dtype=object)[life.status[pid]],
                "参保日期": _dates(life.enrolled[pid], "%Y-%m-%d"),
                "月养老金": _money(life.pension[pid]).set(pl.Series(~rec), None),
                "个人账户余额": _money(life.balance[pid]),
            },
            pid,
        )

    def status_changes(self) -> Extract:
        life = self.life
        pid = life.ch_pid
        before = np.empty(len(pid), np.int64)
        same = np.zeros(len(pid), bool)
        same[1:] = pid[1:] == pid[:-1]
        before[~same] = life.initial_status[pid[~same]]
        before[1:][same[1:]] = life.ch_after[:-1][same[1:]]
        order = np.lexsort((life.ch_day, life.pension_no[pid]))
        names = np.array(STATUS, dtype=object)
        return _extract(
            "status_changes",
            {
                "个人编号": life.pension_no[pid][order].astype(str),
                "变更前状态": names[before[order]],
                "变更后状态": names[life.ch_after[order]],
                "变更日期": _dates(life.ch_day[order], "%Y-%m-%d"),
                "变更原因": life.ch_reason[order],
            },
            pid[order],
        )

    def pension_payments(self, pay: dict) -> Extract:
        order = np.lexsort((pay["month"], self.life.pension_no[pay["pid"]]))
        pid, month = pay["pid"][order], pay["month"][order]
        yyyymm = (month // 12 + 1970) * 100 + month % 12 + 1
        return _extract(
            "pension_payments",
            {
                "个人编号": self.life.pension_no[pid].astype(str),
                "发放年月": yyyymm.astype(str),
                "发放金额": _money(pay["amount"][order]),
            },
            pid,
        )

    def funeral_subsidies(self, s: dict) -> Extract:
        order = np.argsort(s["day"], kind="stable")
        pid, res, day = s["pid"][order], s["resident"][order], s["day"][order]
        pension_no = np.where(res, self.life.pension_no[pid].astype(str), None).astype(object)
        return _extract(
            "funeral_subsidies",
            {
                "个人编号": pension_no,
                "公民身份号码": self.ids("funeral_subsidies", pid),
                "姓名": self.names(pid),
                "险种": np.where(res, RESIDENT_SCHEME, EMPLOYEE_SCHEME),
                "发放日期": _dates(day, "%Y-%m-%d"),
                "金额": _money(np.where(res, RESIDENT_FUNERAL_SUBSIDY, EMPLOYEE_FUNERAL_GRANT)),
            },
            pid,
        )

    def employee_roster(self) -> Extract:
        life, rng = self.life, self.rng
        pid = rng.permutation(np.flatnonzero(life.employee))
        return _extract(
            "employee_roster",
            {
                "公民身份号码": self.ids("employee_roster", pid),
                "姓名": self.names(pid),
                "参保状态": np.where(life.employee_retired[pid], "退休", "在职"),
                "单位名称": np.array([e for e, _ in EMPLOYERS], dtype=object)[
                    _pick(rng, EMPLOYERS, len(pid))
                ],
            },
            pid,
        )


# --------------------------------------------------------------------------- writing


def _write_csv(frame: pl.DataFrame, path: Path, encoding: str, bom: bool, eol: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.write_csv(line_terminator=eol)
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def _write_source(out: Path, source: str, ex: Extract, xlsx: bool) -> Path:
    stem, encoding, bom, eol, _ = FILES[source]
    if xlsx and source in XLSX_SOURCES:
        path = out / f"{stem}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        ex.frame.write_excel(path, worksheet="Sheet1", autofit=False)
        return path
    path = out / f"{stem}.csv"
    _write_csv(ex.frame, path, encoding, bom, eol)
    return path


def _record_links(extracts: dict[str, Extract], cid: np.ndarray) -> pl.DataFrame:
    """source, line_no (1 = first data row below the header), true citizen_id of every row.

    Files keyed by the pension number alone (status changes, payments) are left out: their
    person follows from 个人编号 on the roster.
    """
    parts = []
    for source, ex in extracts.items():
        if source in _PENSION_NO_KEYED:
            continue
        parts.append(
            pl.DataFrame(
                {
                    "source": pl.Series([source]).repeat_by(len(ex.pid)).explode()
                    if len(ex.pid)
                    else pl.Series([], dtype=pl.String),
                    "line_no": np.arange(1, len(ex.pid) + 1, dtype=np.int64),
                    "citizen_id": pl.Series(cid[ex.pid], dtype=pl.String),
                }
            )
        )
    return pl.concat(parts)


# --------------------------------------------------------------------------- entry point


def generate_night(
    out: Path,
    people: int = 150_000,
    seed: int = 0,
    as_of: dt.date = DEFAULT_AS_OF,
    xlsx: bool = False,
    *,
    noise: float = 1.0,
    record_links: bool = True,
) -> dict:
    """Write a synthetic night of the 15 extracts under `out/` and the truth under `out/truth/`.

    Deterministic for (`people`, `seed`, `as_of`, `xlsx`, `noise`). `noise` multiplies every
    quirk rate. Returns a summary: rows per extract and per truth file, and seconds taken.
    """
    from pensionlink.synth import patterns  # builds on this module's helpers (issue 13's patterns)

    t0 = time.perf_counter()
    out = Path(out)
    rng = np.random.default_rng(seed)
    prng = np.random.default_rng([seed, 13])  # the patterns' own draws
    today = _day(as_of)
    p = _people(rng, int(people), today)
    life = _lives(rng, p)
    _status_history(rng, p, life)
    patterns.certification_suspensions(prng, p, life, noise)
    _wrongly_dead(rng, p, life)
    pay = _payments(p, life)
    reports = _death_reports(rng, p, life)
    roster_only = patterns.roster_only_deaths(prng, p, life, reports, noise)
    patterns.cremation_only_deaths(prng, p, life, reports, roster_only, noise)

    dead = life.death < NEVER
    status_at_death = np.full(p.n, -1)
    on_roster_dead = np.flatnonzero(life.roster & dead)
    status_at_death[on_roster_dead] = _status_on(life, on_roster_dead, life.death[on_roster_dead])
    died_in_custody = _chance(rng, 0.03, life.roster & dead & (p.age >= 30)) & ~roster_only
    custody = _custody(rng, p, life, died_in_custody)
    custody_at_death = np.zeros(p.n, bool)
    custody_at_death[on_roster_dead] = _in_custody(
        custody, on_roster_dead, life.death[on_roster_dead]
    )
    at_death = {"status": status_at_death, "custody": custody_at_death}
    benefits = _benefits(rng, p, life, at_death)
    patterns.roster_only_subsidies(prng, p, life, at_death, benefits, roster_only)
    groups = _groups(rng, p, life)
    special = _special_groups(p, groups)
    contradictions = patterns.contradict_histories(prng, p, life, roster_only, noise)
    known = {
        **at_death,
        "status": patterns.truth_status_at_death(
            life, status_at_death, roster_only, reports["funeral_protect"], contradictions
        ),
    }

    hukou_dead = reports["hukou"] | (life.wrongly_dead & life.false_by_hukou)
    resident, insured = _residents(p, life, hukou_dead)
    uninsured = resident & ~insured
    truth = {
        "deaths_to_deregister": _truth_deaths(p, life, known, pay),
        "never_confirm_dead": _truth_never_dead(p, life),
        "uninsured_eligible": _truth_uninsured(p, resident, insured, special),
        "duplicate_funeral_benefits": _truth_funeral(p, life, known, benefits),
        "coverage_by_area": _truth_coverage(p, resident, insured),
    }

    r = _Renderer(rng, p, life, noise)
    extracts = {
        "hukou": r.hukou(reports),
        "custody": r.custody(custody),
        "assistance": r.assistance(groups["assistance"], uninsured),
        "funeral": r.funeral(reports),
        "pension_fuxu": r.pension_fuxu(benefits["pension_fuxu"]),
        "medical_enrollment": r.medical(reports),
        "death_certificates": r.death_certificates(reports),
        "visits": r.visits(),
        "disabled": r.disabled(groups["disabled"], uninsured),
        "poverty": r.poverty(groups["poverty"], uninsured),
        "resident_roster": r.resident_roster(),
        "status_changes": r.status_changes(),
        "pension_payments": r.pension_payments(pay),
        "funeral_subsidies": r.funeral_subsidies(benefits["funeral_subsidies"]),
        "employee_roster": r.employee_roster(),
    }
    extracts["status_changes"] = contradictions.recorded(extracts["status_changes"], life)
    truth["deceased"] = patterns.deceased_truth(p, life, reports)
    truth["contradictory_histories"] = contradictions.truth(p, life)
    truth["agency_disagreements"] = patterns.disagreement_truth(p, extracts)
    for source, ex in extracts.items():
        _write_source(out, source, ex, xlsx)
    if record_links:
        truth["record_links"] = _record_links(extracts, p.cid)
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
