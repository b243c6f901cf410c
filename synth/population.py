"""Stage 1, the people (人口): township and village, ethnicity (about 62 % 朝鲜族), sex, an
ageing birth-date distribution, names from small pools (namesakes are frequent and a few
people share name, sex and birth date), unique valid GB 11643 IDs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pensionlink.connectors.citizen_id import CHECK_CHARS, WEIGHTS, check_character
from pensionlink.synth.draws import pick
from pensionlink.synth.values import year_month_day

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


#: Share of people with a namesake twin (same name, sex and birth date, another ID).
TWIN_RATE = 0.005


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
    by, bm, bd = year_month_day(birth)
    oy, om, od = year_month_day(np.array([on]))
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
    band = pick(rng, [((a, b), s) for a, b, s in _AGE_BANDS], n)
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
    y, m, d = year_month_day(birth)
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


def draw_people(rng: np.random.Generator, n: int, as_of: int) -> People:
    """`n` people of the city on day `as_of`."""
    places = [(t, v, w) for t, vs in VILLAGES.items() for v, w in vs]
    village_idx = pick(rng, [((t, v), w) for t, v, w in places], n)
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
    area = np.array([a for a, _ in AREA_CODES])[pick(rng, AREA_CODES, n)]
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
