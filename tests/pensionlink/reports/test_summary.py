"""The daily summary page: well-formed, self-contained, right numbers, aggregates only."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from decimal import Decimal
from html.parser import HTMLParser

import polars as pl
import pytest

from pensionlink.reports.data import ReportData
from pensionlink.reports.summary import render_summary

MONEY = pl.Decimal(12, 2)
AS_OF = dt.date(2026, 11, 28)
# A whole (unmasked) ID on purpose: the page must not print IDs at all.
WHOLE_ID = "22240619500101123X"
MASKED_ID = "222406********1234"

# township → [(village, residents 16+, insured, uninsured eligible)]
COVERAGE = {
    "安民街道": [("民主社区", 1000, 900, 100), ("新华社区", 500, 400, 100)],
    "龙门街道": [("龙门社区", 2000, 1700, 300)],
    "东盛涌镇": [("东盛村", 800, 720, 80)],
    "智新镇": [("智新村", 1000, 810, 190)],
    "老头沟镇": [("老头沟村", 600, 480, 120)],
    "三合镇": [("三合村", 400, 380, 20)],
    "开山屯镇": [("开山屯村", 500, 350, 150)],
    "白金乡": [("白金村", 300, 279, 21)],
    "德新乡": [("德新村", 400, 300, 100)],
}
# Hand-computed: insured / residents per township, rounded to 4 places.
EXPECTED_RATES = {
    "安民街道": 0.8667,  # 1300 / 1500
    "龙门街道": 0.85,  # 1700 / 2000
    "东盛涌镇": 0.9,  # 720 / 800
    "智新镇": 0.81,  # 810 / 1000
    "老头沟镇": 0.8,  # 480 / 600
    "三合镇": 0.95,  # 380 / 400
    "开山屯镇": 0.7,  # 350 / 500
    "白金乡": 0.93,  # 279 / 300
    "德新乡": 0.75,  # 300 / 400
}
# City: 6319 insured / 7500 residents = 0.842533…
CITY_RATE_TEXT = "84.3%"
# City per night: 安民街道 had 60 and 30 fewer insured on the two nights before.
EXPECTED_TREND = [
    {"as_of": "2026-11-26", "coverage_rate": 0.8345},  # 6259 / 7500
    {"as_of": "2026-11-27", "coverage_rate": 0.8385},  # 6289 / 7500
    {"as_of": "2026-11-28", "coverage_rate": 0.8425},  # 6319 / 7500
]


def _counts(integer: type[pl.DataType]) -> dict:
    """The coverage counts and rate, as both the night's table and the trend have them."""
    return {
        "residents_16_plus": integer,
        "insured": integer,
        "uninsured_eligible": integer,
        "coverage_rate": pl.Float64,
    }


def _coverage() -> pl.DataFrame:
    rows = [
        {
            "township": township,
            "village": village,
            "residents_16_plus": residents,
            "insured": insured,
            "uninsured_eligible": uninsured,
            "coverage_rate": round(insured / residents, 4),
        }
        for township, villages in COVERAGE.items()
        for village, residents, insured, uninsured in villages
    ]
    return pl.DataFrame(
        rows,
        schema={"township": pl.String, "village": pl.String, **_counts(pl.Int32)},
    )


def _trend(nights: int = 3) -> pl.DataFrame:
    rows = []
    for back in range(nights - 1, -1, -1):
        day = AS_OF - dt.timedelta(days=back)
        for township, villages in COVERAGE.items():
            residents = sum(v[1] for v in villages)
            insured = sum(v[2] for v in villages) - (30 * back if township == "安民街道" else 0)
            rows.append(
                {
                    "as_of": day,
                    "township": township,
                    "residents_16_plus": residents,
                    "insured": insured,
                    "uninsured_eligible": residents - insured,
                    "coverage_rate": round(insured / residents, 4),
                }
            )
    return pl.DataFrame(
        rows,
        schema={"as_of": pl.Date, "township": pl.String, **_counts(pl.Int64)},
    )


def _deaths() -> pl.DataFrame:
    def row(township, decision, months, overpaid, recover, cid=MASKED_ID):
        return {
            "citizen_id": cid,
            "pension_no": "P0001",
            "name": "金某某",
            "township": township,
            "village": "测试村",
            "roster_status": "正常待遇",
            "death_date": dt.date(2026, 6, 1),
            "evidence": ["hukou", "funeral"],
            "decision": decision,
            "reason": None if decision == "confirmed" else "各来源死亡日期相差62天(超过31天)",
            "status_at_death": "正常待遇",
            "overpaid_months": months,
            "overpaid_amount": Decimal(overpaid),
            "funeral_subsidy": Decimal("1000.00"),
            "account_balance": Decimal("300.00"),
            "net_to_heirs": Decimal("0.00"),
            "to_recover": Decimal(recover),
        }

    return pl.DataFrame(
        [
            row("安民街道", "confirmed", 5, "1234.50", "234.50", cid=WHOLE_ID),
            row("安民街道", "review", 8, "2000.00", "700.00"),
            row("三合镇", "confirmed", 2, "500.25", "0.00"),
        ],
        schema={
            "citizen_id": pl.String,
            "pension_no": pl.String,
            "name": pl.String,
            "township": pl.String,
            "village": pl.String,
            "roster_status": pl.String,
            "death_date": pl.Date,
            "evidence": pl.List(pl.String),
            "decision": pl.String,
            "reason": pl.String,
            "status_at_death": pl.String,
            "overpaid_months": pl.Int32,
            "overpaid_amount": MONEY,
            "funeral_subsidy": MONEY,
            "account_balance": MONEY,
            "net_to_heirs": MONEY,
            "to_recover": MONEY,
        },
    )


def _uninsured() -> pl.DataFrame:
    def row(township, category, groups, advance):
        return {
            "citizen_id": MASKED_ID,
            "name": "朴某某",
            "township": township,
            "village": "测试村",
            "age": 45,
            "category": category,
            "special_groups": groups,
            "advance_amount": None if advance is None else Decimal(advance),
            "monthly_pension_estimate": Decimal("180.00"),
            "repay_months": 12,
            "evidence": "未参保",
        }

    return pl.DataFrame(
        [
            row("安民街道", "government_paid", ["城市低保", "重度残疾"], "1500.00"),
            row("德新乡", "back_payment", ["脱贫户"], "12345.60"),
            row("德新乡", "standard", [], None),
        ],
        schema={
            "citizen_id": pl.String,
            "name": pl.String,
            "township": pl.String,
            "village": pl.String,
            "age": pl.Int32,
            "category": pl.String,
            "special_groups": pl.List(pl.String),
            "advance_amount": MONEY,
            "monthly_pension_estimate": MONEY,
            "repay_months": pl.Int32,
            "evidence": pl.String,
        },
    )


def _funeral() -> pl.DataFrame:
    payment = pl.Struct({"scheme": pl.String, "paid_date": pl.Date, "amount": MONEY})

    def row(township, kind, amount):
        return {
            "citizen_id": MASKED_ID,
            "pension_no": "P0002",
            "name": "李某某",
            "township": township,
            "village": "测试村",
            "kind": kind,
            "payments": [
                {
                    "scheme": "城乡居民基本养老保险",
                    "paid_date": dt.date(2026, 7, 1),
                    "amount": Decimal(amount),
                }
            ],
            "amount_to_recover": Decimal(amount),
        }

    return pl.DataFrame(
        [
            row("智新镇", "duplicate_resident", "1000.00"),
            row("白金乡", "ineligible_custody", "2500.00"),
        ],
        schema={
            "citizen_id": pl.String,
            "pension_no": pl.String,
            "name": pl.String,
            "township": pl.String,
            "village": pl.String,
            "kind": pl.String,
            "payments": pl.List(payment),
            "amount_to_recover": MONEY,
        },
    )


def _quality() -> pl.DataFrame:
    def row(agency, title, source, stale, note, read, valid, repaired, linked, unlinked, failed):
        return {
            "agency": agency,
            "title": title,
            "source": source,
            "stale": stale,
            "note": note,
            "rows_read": read,
            "rows_rejected": 0,
            "ids_valid": valid,
            "ids_repaired": repaired,
            "ids_invalid": 0,
            "ids_mangled": 0,
            "ids_empty": 0,
            "rows_linked": linked,
            "rows_unlinked": unlinked,
            "expectations": 12,
            "expectations_failed": failed,
        }

    return pl.DataFrame(
        [
            row("公安局", "户籍人口", "hukou", False, None, 1000, 980, 10, 1000, 0, 0),
            row("卫健局", "就诊记录", "visits", True, "今晚未送达", 200, 150, 10, 180, 20, 1),
            row("社保局", "待遇发放明细", "pension_payments", False, None, 5000, *[None] * 4, 0),
        ],
        schema={
            "agency": pl.String,
            "title": pl.String,
            "source": pl.String,
            "stale": pl.Boolean,
            "note": pl.String,
            **{
                name: pl.Int64
                for name in (
                    "rows_read",
                    "rows_rejected",
                    "ids_valid",
                    "ids_repaired",
                    "ids_invalid",
                    "ids_mangled",
                    "ids_empty",
                    "rows_linked",
                    "rows_unlinked",
                    "expectations",
                    "expectations_failed",
                )
            },
        },
    )


@pytest.fixture(scope="module")
def data() -> ReportData:
    return ReportData(
        run_id="20261129T033416-20261128",
        as_of=AS_OF,
        finished_at=dt.datetime(2026, 11, 29, 3, 34, 25),
        deaths=_deaths(),
        uninsured=_uninsured(),
        funeral=_funeral(),
        coverage=_coverage(),
        coverage_trend=_trend(),
        quality=_quality(),
    )


@pytest.fixture(scope="module")
def page(data: ReportData) -> str:
    return render_summary(data)


class TagBalance(HTMLParser):
    """Fails on any non-void element closed out of order or left open."""

    VOID = frozenset(
        {
            "area",
            "base",
            "br",
            "col",
            "embed",
            "hr",
            "img",
            "input",
            "link",
            "meta",
            "source",
            "track",
            "wbr",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, tuple[int, int]]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        pass  # <rect … /> closes itself

    def handle_endtag(self, tag):
        if tag in self.VOID:
            self.errors.append(f"</{tag}> closes a void element at {self.getpos()}")
        elif not self.stack or self.stack[-1][0] != tag:
            open_tag = self.stack[-1] if self.stack else None
            self.errors.append(f"</{tag}> at {self.getpos()} but open is {open_tag}")
        else:
            self.stack.pop()

    @classmethod
    def problems(cls, html: str) -> list[str]:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.errors + [f"<{tag}> at {pos} never closed" for tag, pos in parser.stack]


def _well_formed(html: str) -> None:
    assert html.startswith("<!doctype html>")
    assert TagBalance.problems(html) == []
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert svgs
    for svg in svgs:
        ET.fromstring(svg)  # raises on a malformed chart


def _chart_data(html: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="chart-data">(.*?)</script>', html, flags=re.S
    )
    assert match
    return json.loads(match.group(1))


def _row(html: str, source: str) -> str:
    match = re.search(rf'<tr[^>]*data-source="{source}"[^>]*>.*?</tr>', html, flags=re.S)
    assert match, source
    return match.group(0)


def test_checker_catches_broken_markup():
    assert TagBalance.problems("<div><p>text</div>")
    assert TagBalance.problems("<section><table><tr><td>1</td></tr>")
    assert TagBalance.problems("<p>a<br></br></p>")
    assert TagBalance.problems("<div><svg><rect /></svg></div>") == []


def test_page_is_well_formed_and_chinese(page):
    _well_formed(page)
    assert '<html lang="zh-CN">' in page
    assert '<meta charset="utf-8">' in page
    assert "龙井市城乡居民养老保险数据比对日报（截至 2026-11-28）" in page
    assert "20261129T033416-20261128" in page
    assert "2026-11-29 03:34" in page
    for heading in ("概况", "各乡镇参保覆盖率", "覆盖率趋势", "应保未保人员分类", "核查结果"):
        assert heading in page
    assert "各部门数据质量" in page


def test_chart_data_lists_every_township_with_its_rate(page):
    chart = _chart_data(page)
    rates = {row["township"]: row["coverage_rate"] for row in chart["coverage"]}
    assert rates == pytest.approx(EXPECTED_RATES)
    anmin = next(r for r in chart["coverage"] if r["township"] == "安民街道")
    assert anmin == {
        "township": "安民街道",
        "residents_16_plus": 1500,
        "insured": 1300,
        "uninsured_eligible": 200,
        "coverage_rate": 0.8667,
    }
    # sorted by rate, highest first
    assert [r["township"] for r in chart["coverage"]][:2] == ["三合镇", "白金乡"]
    assert chart["trend"] == EXPECTED_TREND


def test_one_bar_per_township_with_its_rate(page):
    bars = re.findall(r'data-township="([^"]+)" data-rate="([^"]+)"', page)
    assert len(bars) == 9
    assert {t: float(r) for t, r in bars} == pytest.approx(EXPECTED_RATES)
    assert ("安民街道", "0.8667") in bars
    assert "86.7%" in page and "70.0%" in page  # bar labels, one decimal


def test_city_rate_is_all_insured_over_all_residents(page):
    assert re.search(r'id="city-rate">\s*84\.3%\s*<', page)
    assert f"全市 {CITY_RATE_TEXT}" in page  # the average line on the chart
    assert "6,319" in page and "7,500" in page


def test_money_and_counts(page):
    assert re.search(r'id="deaths-total">\s*3<', page)
    assert "确认注销 2 人" in page and "人工核实 1 人" in page
    assert "3,734.75" in page  # overpaid: 1234.50 + 2000.00 + 500.25
    assert "934.50" in page  # to recover: 234.50 + 700.00 + 0.00
    assert re.search(r'id="advance-total">13,845\.60 元<', page)
    assert "3,500.00" in page  # funeral: 1000.00 + 2500.00
    assert "重复领取城乡居保丧葬补助金" in page and "死亡时在服刑或羁押" in page
    assert "政府代缴" in page and "补缴（垫付）" in page


def test_stale_source_is_marked(page):
    visits = _row(page, "visits")
    assert "沿用上次数据" in visits
    assert 'class="stale"' in visits
    assert "80.0%" in visits  # IDs: (150 + 10) / 200
    assert "90.0%" in visits  # linked: 180 / (180 + 20)
    hukou = _row(page, "hukou")
    assert "沿用上次数据" not in hukou
    assert "99.0%" in hukou and "100.0%" in hukou
    payments = _row(page, "pension_payments")
    assert payments.count("—") == 2  # no ID rate, no link rate


def test_page_is_self_contained(page):
    lowered = page.lower()
    for external in ('src="http', "src='http", 'href="http', "@import", "url(http", "url("):
        assert external not in lowered
    assert "<link" not in lowered
    assert "<script" in lowered  # only the JSON block
    assert lowered.count("<script") == 1


def test_no_ids_no_names(page):
    assert not re.search(r"\d{17}[\dX]", page)
    assert MASKED_ID not in page
    for personal in ("金某某", "朴某某", "李某某", "测试村", "P0001"):
        assert personal not in page


def test_empty_findings_and_a_single_night(data):
    empty = replace(
        data,
        deaths=data.deaths.clear(),
        uninsured=data.uninsured.clear(),
        funeral=data.funeral.clear(),
        coverage_trend=_trend(nights=1),
    )
    page = render_summary(empty)
    _well_formed(page)
    assert "仅一晚数据" in page
    assert _chart_data(page)["trend"] == [EXPECTED_TREND[-1]]
    assert re.search(r'id="deaths-total">\s*0<', page)
    assert "0.00" in page
    assert len(re.findall(r"data-township=", page)) == 9


def test_nothing_at_all_still_renders(data):
    nothing = replace(
        data,
        deaths=data.deaths.clear(),
        uninsured=data.uninsured.clear(),
        funeral=data.funeral.clear(),
        coverage=data.coverage.clear(),
        coverage_trend=data.coverage_trend.clear(),
        quality=data.quality.clear(),
    )
    page = render_summary(nothing)
    assert TagBalance.problems(page) == []
    assert _chart_data(page) == {"coverage": [], "trend": []}


def test_markup_in_names_is_escaped(data):
    hostile = "</script><b>&"
    coverage = data.coverage.with_columns(
        pl.when(pl.col("township") == "德新乡")
        .then(pl.lit(hostile))
        .otherwise(pl.col("township"))
        .alias("township")
    )
    page = render_summary(replace(data, coverage=coverage))
    _well_formed(page)
    assert hostile not in page
    assert hostile in {row["township"] for row in _chart_data(page)["coverage"]}
