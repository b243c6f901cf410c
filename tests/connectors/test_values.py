"""Values outside the contract (issue 14): rejected row by row, never mapped; numbers in a
workbook's ID column are mangled, not IDs; what a rejected row means for the findings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from pensionlink.connectors import load_specs, read_night, read_source
from pensionlink.connectors.canonical import canonical_frame
from pensionlink.connectors.table import LINE_NO
from pensionlink.findings import night_findings
from pensionlink.findings.withheld import REVIEW_QUEUE, WITHHELD
from pensionlink.matching import link_night

from pensionlink.settings import load_policy
from tests.connectors.drop_folder import (
    HUKOU_HEADER,
    ID_MAN,
    ID_WOMAN,
    ROSTER_HEADER,
    hukou_rows,
    minimal_night,
    roster_rows,
    target,
    write_csv,
)
from tests.connectors.test_edge_files import FakeSnapshots

AS_OF = dt.date(2026, 11, 28)
ROSTER_FILE = "social_security/resident_roster.csv"
PAYMENTS_HEADER = ["个人编号", "发放年月", "发放金额"]
SUBSIDY_HEADER = ["个人编号", "公民身份号码", "姓名", "险种", "发放日期", "金额"]
CERT_HEADER = ["死者身份证号", "姓名", "性别", "出生日期", "死亡时间", "死亡地点"]
RESIDENT = "城乡居民基本养老保险"


def roster_with(status: str, line: int = 3) -> list[list[str]]:
    """The roster rows with 参保状态 of data line ``line`` (池花亮, ID_MAN) replaced."""
    rows = roster_rows()
    rows[line - 1][ROSTER_HEADER.index("参保状态")] = status
    return rows


def rejected(read) -> list[tuple]:
    return read.rejected.select("line", "column", "value").rows()


# --------------------------------------------------------------- status and category words


def test_status_word_not_in_the_contract_is_rejected_with_line_and_column(tmp_path):
    write_csv(tmp_path, "resident_roster", roster_with("正常"))
    read = read_source("resident_roster", tmp_path)

    row = read.rejected.row(0, named=True)
    assert read.rejected.height == 1
    assert (row["source"], row["file"], row["line"]) == ("resident_roster", ROSTER_FILE, 3)
    assert (row["column"], row["value"]) == ("参保状态", "正常")
    assert row["reason"].startswith("不是约定取值") and "待遇领取" in row["reason"]
    assert read.frame["pension_no"].to_list() == ["2205000002"]  # the row is out, not mapped
    assert read.rows_read == 2 and read.rows_rejected == 1
    # whom the rejected row was about is kept in memory for the findings, not published
    assert read.withheld.select("source", "line", "citizen_id").rows() == [
        ("resident_roster", 3, ID_MAN)
    ]


@pytest.mark.parametrize("typed", ["待遇 领取", "待遇\u3000领取", " 待遇领取\u3000", "待\t遇领取"])
def test_spaces_inside_a_status_word_are_removed_and_the_word_accepted(tmp_path, typed):
    write_csv(tmp_path, "resident_roster", roster_with(typed))
    read = read_source("resident_roster", tmp_path)

    assert read.rejected.is_empty()
    assert read.frame["status"].to_list() == ["参保缴费", "待遇领取"]


def test_every_vocabulary_column_holds_only_contract_words_in_the_sample(sample_night):
    night = read_night(sample_night, as_of=AS_OF)
    assert night.rejected.is_empty() and night.withheld.is_empty()


ROSTER_WORDS = ("参保缴费", "待遇领取", "暂停", "终止")
SPACES = st.sampled_from([" ", "\u3000", "\t", "\u00a0"])


@st.composite
def spaced_words(draw) -> tuple[str, str]:
    """(the word as typed, with spaces put anywhere; the word itself)."""
    word = draw(st.sampled_from([*ROSTER_WORDS, "正常", "死亡", "参保", "待遇领取中", "在职"]))
    chars = [draw(st.lists(SPACES, max_size=2)) for _ in range(len(word) + 1)]
    typed = "".join("".join(gap) + c for gap, c in zip(chars, [*word, ""], strict=True))
    return typed, word


@settings(max_examples=60, deadline=None)
@given(st.lists(spaced_words(), min_size=1, max_size=8))
def test_a_status_word_is_kept_iff_it_is_a_contract_word_once_spaces_are_gone(words):
    spec = load_specs()["status_changes"]
    raw = pl.DataFrame(
        {
            "个人编号": [f"P{i}" for i in range(len(words))],
            "变更前状态": [typed for typed, _ in words],
            "变更后状态": ["暂停"] * len(words),
            "变更日期": ["2024-05-01"] * len(words),
            "变更原因": [None] * len(words),
            LINE_NO: list(range(2, len(words) + 2)),
        },
        schema_overrides={"变更原因": pl.String},
    )
    frame, rejected = canonical_frame(raw, spec, "f")

    kept = [word for _, word in words if word in ROSTER_WORDS]
    assert frame["status_before"].to_list() == kept
    bad = [i + 2 for i, (_, word) in enumerate(words) if word not in ROSTER_WORDS]
    assert rejected["line"].to_list() == bad
    assert set(rejected["column"]) <= {"变更前状态"}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.decimals(min_value=-10_000_000, max_value=100_000_000, places=2, allow_nan=False),
        min_size=1,
        max_size=8,
    )
)
def test_a_payment_is_kept_iff_its_amount_is_within_its_bounds(amounts):
    spec = load_specs()["pension_payments"]
    raw = pl.DataFrame(
        {
            "个人编号": ["P1"] * len(amounts),
            "发放年月": ["202601"] * len(amounts),
            "发放金额": [f"{a:.2f}" for a in amounts],
            LINE_NO: list(range(2, len(amounts) + 2)),
        }
    )
    frame, rejected = canonical_frame(raw, spec, "f")

    assert frame["amount"].to_list() == [a for a in amounts if 0 <= a <= 50_000]
    bad = [i + 2 for i, a in enumerate(amounts) if not 0 <= a <= 50_000]
    assert rejected["line"].to_list() == bad


# ------------------------------------------------------------------------------ amounts


def test_negative_monthly_payment_is_rejected(tmp_path):
    rows = [
        PAYMENTS_HEADER,
        ["2205000003", "202610", "175.11"],
        ["2205000003", "202611", "-175.11"],
        ["2205000003", "202609", "0.00"],
    ]
    write_csv(tmp_path, "pension_payments", rows)
    read = read_source("pension_payments", tmp_path)

    assert rejected(read) == [(3, "发放金额", "-175.11")]
    assert read.rejected["reason"][0].startswith("金额为负")
    assert read.frame["amount"].to_list() == [Decimal("175.11"), Decimal("0.00")]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("月养老金", "10000000.00", "超出上限"),
        ("个人账户余额", "-0.01", "金额为负"),
        ("参保日期", "1899-12-31", "日期早于1900-01-01"),
        ("参保日期", "2026-11-29", "日期晚于核查日期"),
        ("出生日期", "2030-08-20", "日期晚于核查日期"),
    ],
)
def test_absurd_amounts_and_dates_reject_their_roster_row(tmp_path, column, value, reason):
    rows = roster_rows()
    rows[2][ROSTER_HEADER.index(column)] = value
    write_csv(tmp_path, "resident_roster", rows)
    read = read_source("resident_roster", tmp_path, as_of=AS_OF)

    assert rejected(read) == [(3, column, value)]
    assert read.rejected["reason"][0].startswith(reason)


def test_birth_year_2030_is_rejected_only_against_an_as_of_date(tmp_path):
    rows = hukou_rows()
    rows[1][HUKOU_HEADER.index("出生日期")] = "20300820"
    write_csv(tmp_path, "hukou", rows)

    read = read_source("hukou", tmp_path, as_of=AS_OF)
    assert rejected(read) == [(2, "出生日期", "20300820")]
    assert read.rejected["reason"][0] == "日期晚于核查日期 after the as-of date 2026-11-28"
    assert read.frame["citizen_id"].to_list() == [ID_WOMAN]
    # without an as-of date there is no upper bound (the default of read_source/read_night)
    assert read_source("hukou", tmp_path).rejected.is_empty()


# -------------------------------------------------------------------------------- deaths


def certificates(*times: str) -> list[list[str]]:
    rows = [CERT_HEADER]
    rows += [[ID_WOMAN, "具明敏", "女", "1972-05-23", t, "家中"] for t in times]
    return rows


def test_death_on_the_as_of_date_is_fine_the_day_after_is_not(tmp_path):
    write_csv(tmp_path, "death_certificates", certificates("2026-11-28 23:59", "2026-11-29 00:10"))
    read = read_source("death_certificates", tmp_path, as_of=AS_OF)

    assert rejected(read) == [(3, "死亡时间", "2026-11-29 00:10")]
    assert read.frame["death_date"].to_list() == [AS_OF]


@pytest.mark.parametrize("source", ["hukou", "death_certificates"])
def test_death_before_the_birth_its_id_carries_is_rejected(tmp_path, source):
    # ID_WOMAN was born 1972-05-23 (digits 7-14 of her ID); a death in 1970 is a typo
    if source == "hukou":
        rows = hukou_rows()
        rows[2][HUKOU_HEADER.index("死亡日期")] = "19700301"
        column, value = "死亡日期", "19700301"
    else:
        rows, column, value = certificates("1970-03-01 08:00"), "死亡时间", "1970-03-01 08:00"
    write_csv(tmp_path, source, rows)
    read = read_source(source, tmp_path, as_of=AS_OF)

    assert rejected(read) == [(len(rows), column, value)]
    assert read.rejected["reason"][0].startswith("早于出生日期")
    assert ID_WOMAN not in read.frame["citizen_id"].to_list()


def test_funeral_death_before_the_id_birth_is_kept_the_id_may_be_a_relatives(tmp_path):
    rows = [
        ["逝者身份证号", "逝者姓名", "性别", "死亡日期", "火化日期", "殡仪馆"],
        [ID_WOMAN, "具春子", "女", "1970/3/1", "1970/3/3", "龙井市殡仪馆"],
    ]
    write_csv(tmp_path, "funeral", rows)
    assert read_source("funeral", tmp_path, as_of=AS_OF).rejected.is_empty()


# ------------------------------------------------------------- what a rejection means


def tiny_night(root, *, roster, subsidies=None, hukou=None):
    write_csv(root, "hukou", hukou or hukou_rows())
    write_csv(root, "resident_roster", roster)
    if subsidies:
        write_csv(root, "funeral_subsidies", [SUBSIDY_HEADER, *subsidies])
    return root


def findings_of(root) -> dict[str, pl.DataFrame]:
    """The night's findings as the flow computes them (read → link → findings)."""
    night = read_night(root, as_of=AS_OF)
    linked, _, queue = link_night(night.frames)
    unknown = {WITHHELD: night.withheld, REVIEW_QUEUE: queue}
    return night_findings({**linked, **unknown}, AS_OF, load_policy(AS_OF))


def alive_hukou() -> list[list[str]]:
    rows = hukou_rows()
    rows[2][HUKOU_HEADER.index("人员状态")] = "正常"
    rows[2][HUKOU_HEADER.index("死亡日期")] = rows[2][HUKOU_HEADER.index("注销日期")] = ""
    return rows


def test_person_whose_roster_row_was_rejected_is_not_listed_as_uninsured(tmp_path):
    # 池花亮's roster row says 正常 (not a roster word): whether he is insured is unknown.
    # 具明敏 has no roster row at all: she is uninsured. Both are alive and 16+.
    rows = roster_with("正常")
    del rows[1]  # 具明敏's roster row
    tables = findings_of(tiny_night(tmp_path, roster=rows, hukou=alive_hukou()))

    assert tables["uninsured_eligible"]["citizen_id"].to_list() == [ID_WOMAN]
    coverage = tables["coverage_by_area"]
    assert coverage["residents_16_plus"].sum() == 1  # he is left out of the base, too
    assert coverage["uninsured_eligible"].sum() == 1


def test_person_whose_roster_word_had_a_space_is_insured(tmp_path):
    rows = roster_with("待遇 领取")
    del rows[1]
    tables = findings_of(tiny_night(tmp_path, roster=rows, hukou=alive_hukou()))

    assert tables["uninsured_eligible"]["citizen_id"].to_list() == [ID_WOMAN]
    assert tables["coverage_by_area"]["insured"].sum() == 1


def dead_man_hukou() -> list[list[str]]:
    rows = hukou_rows()
    rows[1][HUKOU_HEADER.index("人员状态")] = "死亡"
    rows[1][HUKOU_HEADER.index("死亡日期")] = "20250301"
    rows[1][HUKOU_HEADER.index("注销日期")] = "20250320"
    return rows


def subsidy(amount: str, day: str) -> list[str]:
    return ["2205000003", ID_MAN, "池花亮", RESIDENT, day, amount]


@pytest.mark.parametrize(
    ("second", "recovered"),
    [("-600.00", []), ("600.00", [Decimal("600.00")])],
    ids=["reversal pair: nothing to recover", "paid twice: 600 to recover"],
)
def test_a_reversed_subsidy_is_not_a_second_payment(tmp_path, second, recovered):
    folder = tiny_night(
        tmp_path,
        roster=roster_rows(),
        hukou=dead_man_hukou(),
        subsidies=[subsidy("600.00", "2025-03-10"), subsidy(second, "2025-03-12")],
    )
    night = read_night(folder, as_of=AS_OF)
    duplicates = findings_of(folder)["duplicate_funeral_benefits"]

    if second.startswith("-"):
        assert night.rejected.select("source", "line", "column", "value").rows() == [
            ("funeral_subsidies", 3, "金额", "-600.00")
        ]
    assert duplicates["amount_to_recover"].to_list() == recovered


@pytest.mark.parametrize("also_certified", [False, True])
def test_a_rejected_death_report_sends_the_pensioner_to_review(tmp_path, also_certified):
    # 池花亮 (receiving) is 死亡 on the hukou with a death date typed as 2062: the hukou
    # row is rejected. The death must neither vanish nor be confirmed: it goes to review.
    hukou = dead_man_hukou()
    hukou[1][HUKOU_HEADER.index("死亡日期")] = "20620301"
    folder = tiny_night(tmp_path, roster=roster_rows(), hukou=hukou)
    if also_certified:  # a valid certificate would confirm it on its own
        rows = [CERT_HEADER, [ID_MAN, "池花亮", "男", "1947-08-20", "2025-03-01 09:00", "家中"]]
        write_csv(folder, "death_certificates", rows)
    deaths = findings_of(folder)["deaths_to_deregister"]

    row = deaths.filter(pl.col("citizen_id") == ID_MAN).row(0, named=True)
    assert row["decision"] == "review"
    assert "公安户籍死亡记录数据不合约定已拒收，需核实" in row["reason"]
    assert (row["death_date"] is not None) is also_certified


def test_unchanged_file_with_rejected_rows_is_read_again(tmp_path):
    minimal_night(tmp_path)
    write_csv(tmp_path, "resident_roster", roster_with("正常"))
    first = read_night(tmp_path, as_of=AS_OF)
    again = read_night(tmp_path, as_of=AS_OF, snapshots=FakeSnapshots(first.accepted.values()))

    roster = next(s for s in again.sources if s["source"] == "resident_roster")
    assert roster["note"] is None and roster["rows_rejected"] == 1  # not taken from the snapshot
    assert again.withheld["citizen_id"].to_list() == [ID_MAN]
    hukou = next(s for s in again.sources if s["source"] == "hukou")
    assert "unchanged" in hukou["note"]  # a clean file still is


# ------------------------------------------------------------------ numbers as IDs in xlsx


def roster_workbook(root, numeric_id: int):
    """The roster as a workbook: 具明敏's ID a text cell, 池花亮's a *number* cell."""
    path = target(root, "resident_roster", ".xlsx")
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    for r, row in enumerate(roster_rows()):
        for c, value in enumerate(row):
            if r == 2 and ROSTER_HEADER[c] == "公民身份号码":
                sheet.write_number(r, c, numeric_id)
            elif value:
                sheet.write_string(r, c, value)
    book.close()


def test_id_stored_as_a_number_in_a_workbook_is_mangled_and_not_linked_on(tmp_path):
    write_csv(tmp_path, "hukou", hukou_rows())
    roster_workbook(tmp_path, int(ID_MAN))  # a float: the last digits are lost
    read = read_source("resident_roster", tmp_path)

    ids = read.frame.select("citizen_id_raw", "citizen_id", "id_status").rows()
    assert ids[0] == (ID_WOMAN, ID_WOMAN, "valid")  # the text cell is the ID
    raw, citizen_id, status = ids[1]
    assert (citizen_id, status) == (None, "mangled")
    # kept as the number the workbook holds: near the ID, its last digits lost
    digits = raw.removesuffix(".0")
    assert raw.endswith(".0") and digits != ID_MAN and abs(int(digits) - int(ID_MAN)) < 100
    assert read.rejected.is_empty()

    night = read_night(tmp_path, as_of=AS_OF)
    linked, _, _ = link_night(night.frames)
    methods = dict(linked["resident_roster"].select("pension_no", "link_method").rows())
    assert methods["2205000002"] == "id"
    assert methods["2205000003"] not in ("id", "id_repaired", "id_unregistered")


def test_a_dead_pensioner_whose_status_word_had_a_space_stays_on_the_deaths_list(tmp_path):
    # Issue 14 item 4: "待遇 领取" used to drop a dead pensioner off the deaths list.
    rows = roster_with("待遇 领取")
    tables = findings_of(tiny_night(tmp_path, roster=rows, hukou=dead_man_hukou()))
    deaths = tables["deaths_to_deregister"].filter(pl.col("citizen_id") == ID_MAN)
    assert deaths["decision"].to_list() == ["confirmed"]


def test_a_dead_pensioner_whose_roster_row_was_rejected_goes_to_review(tmp_path):
    rows = roster_with("正常")
    tables = findings_of(tiny_night(tmp_path, roster=rows, hukou=dead_man_hukou()))
    deaths = tables["deaths_to_deregister"].filter(pl.col("citizen_id") == ID_MAN)
    assert deaths["decision"].to_list() == ["review"]
    assert "参保登记记录数据不合约定已拒收" in deaths["reason"][0]
    assert deaths["evidence"].to_list() == [["hukou"]] and deaths["pension_no"][0] is None
    assert deaths["to_recover"][0] is None  # unknown until the row is corrected, not 0
    assert not tables["uninsured_eligible"]["citizen_id"].is_in([ID_MAN]).any()
