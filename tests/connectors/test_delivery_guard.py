"""The delivery guards as pure functions: hand-computed counts and file ends."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pensionlink.connectors import SourceRejected, load_specs, read_night
from pensionlink.connectors.delivery_guard import (
    DeliveryCounts,
    DeliveryGuard,
    DeliveryLimit,
    Tail,
    counts_of,
    cut_reason,
    distinct_id_column,
    hold_reason,
    read_tail,
    shape,
    volume_reason,
)

from tests.connectors.drop_folder import csv_text, minimal_night, roster_rows, target

REGISTER = DeliveryLimit(fall_percent=0, rise_percent=20)
ROSTER = DeliveryLimit(fall_percent=20, rise_percent=20)
EVENTS = DeliveryLimit(fall_percent=50, rise_percent=100, min_change=50)


def test_a_file_with_no_rows_is_held_when_the_last_one_had_rows_or_it_is_required():
    assert "no data rows" in volume_reason(DeliveryCounts(0), DeliveryCounts(1265), ROSTER)
    assert "1,265" in volume_reason(DeliveryCounts(0), DeliveryCounts(1265), ROSTER)
    # first night: nothing to stand in, so only a required source is held (night stops)
    assert volume_reason(DeliveryCounts(0), None, ROSTER, required=True) is not None
    assert volume_reason(DeliveryCounts(0), None, ROSTER) is None
    # an agency that always sends an empty file (pension_fuxu in a quiet county)
    assert volume_reason(DeliveryCounts(0), DeliveryCounts(0), EVENTS) is None


def test_rows_may_move_up_to_the_limit_and_no_further():
    last = DeliveryCounts(100)
    assert volume_reason(DeliveryCounts(80), last, ROSTER) is None  # exactly −20 %
    assert volume_reason(DeliveryCounts(120), last, ROSTER) is None  # exactly +20 %
    fell = volume_reason(DeliveryCounts(79), last, ROSTER)
    assert fell == "行数 rows 下降 fell 100 → 79 (-21.0 %, 上限 limit −20 %)"
    rose = volume_reason(DeliveryCounts(121), last, ROSTER)
    assert rose == "行数 rows 上升 rose 100 → 121 (+21.0 %, 上限 limit +20 %)"


def test_the_registers_are_never_replaced_by_a_smaller_one():
    assert volume_reason(DeliveryCounts(1264), DeliveryCounts(1265), REGISTER) is not None
    assert volume_reason(DeliveryCounts(1265), DeliveryCounts(1265), REGISTER) is None
    assert volume_reason(DeliveryCounts(1518), DeliveryCounts(1265), REGISTER) is None  # +20.0 %
    assert volume_reason(DeliveryCounts(1519), DeliveryCounts(1265), REGISTER) is not None


def test_small_changes_of_event_files_never_count():
    # 60 → 5 is −92 % but also 55 rows: held; 60 → 11 is 49 rows: not held
    assert volume_reason(DeliveryCounts(5), DeliveryCounts(60), EVENTS) is not None
    assert volume_reason(DeliveryCounts(11), DeliveryCounts(60), EVENTS) is None
    # 1,000 → 2,001 more than doubles; 1,000 → 2,000 does not
    assert volume_reason(DeliveryCounts(2001), DeliveryCounts(1000), EVENTS) is not None
    assert volume_reason(DeliveryCounts(2000), DeliveryCounts(1000), EVENTS) is None


def test_distinct_ids_collapsing_is_held_although_the_rows_stay():
    reason = volume_reason(DeliveryCounts(1265, 1), DeliveryCounts(1265, 1260), ROSTER)
    assert reason.startswith("不同身份号码数 distinct IDs 下降 fell 1,260 → 1")
    assert volume_reason(DeliveryCounts(1265, 1259), DeliveryCounts(1265, 1260), ROSTER) is None
    # a register that may never shrink may still lose a few IDs (id_fall_percent)
    register = DeliveryLimit(fall_percent=0, rise_percent=20, id_fall_percent=5)
    assert volume_reason(DeliveryCounts(1265, 1197), DeliveryCounts(1265, 1260), register) is None
    assert volume_reason(DeliveryCounts(1265, 1196), DeliveryCounts(1265, 1260), register)
    assert volume_reason(DeliveryCounts(1264, 1260), DeliveryCounts(1265, 1260), register)
    # no ID count on one side: rows only
    assert volume_reason(DeliveryCounts(1265, None), DeliveryCounts(1265, 1260), ROSTER) is None


def test_counts_use_the_normalised_id_or_the_pension_number():
    specs = load_specs()
    assert distinct_id_column(specs["resident_roster"]) == "citizen_id"
    assert distinct_id_column(specs["pension_payments"]) == "pension_no"
    frame = pl.DataFrame({"citizen_id": ["A", "A", None, "B"]})
    assert counts_of(specs["hukou"], frame, 5) == DeliveryCounts(5, 2)


def test_shape_keeps_the_form_not_the_value():
    assert shape("12587.73") == "99999.99"
    assert shape("２０２５0410") == "99999999"
    assert shape("22240519590101002X") == "99999999999999999a"
    assert shape("龙井市殡仪馆") == "龙井市殡仪馆"


BALANCES = ("2360.77", "13426.32", "147.65", "2003.45", "999.10")


@pytest.mark.parametrize(
    ("last", "cut"),
    [
        ("12", True),  # 12587.73 cut after two digits
        ("12587.", True),
        ("1258", True),
        ("", True),  # cut right after the last comma of a column never empty
        ("2003.45", False),  # healthy file that only lacks its final line break
        ("123456.78", False),  # an unusually large amount is nobody's beginning
    ],
)
def test_a_last_field_shorter_than_the_column_s_values_is_a_cut_line(last, cut):
    assert (cut_reason(Tail(False, last, BALANCES)) is not None) is cut


def test_a_file_that_ends_in_a_line_break_or_has_nothing_to_compare_is_not_cut():
    assert cut_reason(Tail(True, "12", BALANCES)) is None
    assert cut_reason(Tail(False, "12", ())) is None
    assert cut_reason(Tail(False, None, ())) is None
    # a column often empty (注销日期): an empty last field may be real
    assert cut_reason(Tail(False, "", ("", "20250410", ""))) is None
    assert cut_reason(Tail(False, "2025", ("", "20250410", ""))) is not None
    assert cut_reason(Tail(False, "龙井市人民医", ("龙井市人民医院", "智新镇卫生院"))) is not None
    assert cut_reason(Tail(False, "智新镇卫生院", ("龙井市人民医院", "智新镇卫生院"))) is None


@given(
    amounts=st.lists(st.integers(100_000, 999_999), min_size=1, max_size=20),
    last=st.integers(100_000, 999_999),
    keep=st.integers(0, 6),
)
def test_every_cut_of_a_usual_value_is_caught_and_the_whole_value_never(amounts, last, keep):
    """Amounts of one shape (9999.99): the whole last value passes, any proper start of
    it is held."""
    usual = tuple(f"{a / 100:.2f}" for a in amounts)
    whole = f"{last / 100:.2f}"
    assert cut_reason(Tail(False, whole, usual)) is None
    assert cut_reason(Tail(False, whole[:keep], usual)) is not None


def test_hold_reason_says_held_and_counts_come_first():
    reason = hold_reason(DeliveryCounts(0), DeliveryCounts(10), ROSTER, Tail(False, "1", BALANCES))
    assert reason.startswith("暂缓采用 held: 无数据行")
    assert hold_reason(DeliveryCounts(10), DeliveryCounts(10), ROSTER, None) is None
    cut = hold_reason(DeliveryCounts(10), DeliveryCounts(10), ROSTER, Tail(False, "1", BALANCES))
    assert "末行截断 last line cut" in cut


def _write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_read_tail_of_whole_cut_and_gb18030_files(tmp_path):
    header = "个人编号,姓名,个人账户余额\r\n"
    rows = "".join(f"22050000{i:02d},金顺花,{1000 + i}.25\r\n" for i in range(5))
    whole = read_tail(_write(tmp_path / "a.csv", header + rows), "utf-8")
    assert whole.ends_with_newline and whole.last_field == "1004.25"
    assert whole.earlier_fields == ("1000.25", "1001.25", "1002.25", "1003.25")
    cut = read_tail(_write(tmp_path / "b.csv", header + rows + "2205000099,具明敏,12"), "utf-8")
    assert (cut.ends_with_newline, cut.last_field) == (False, "12")
    assert cut_reason(cut) is not None
    gb = read_tail(_write(tmp_path / "c.csv", header + rows.rstrip(), "gb18030"), "gb18030")
    assert (gb.ends_with_newline, gb.last_field) == (False, "1004.25")
    assert cut_reason(gb) is None
    bom = read_tail(_write(tmp_path / "d.csv", header + rows, "utf-8-sig"), "utf-8-sig")
    assert bom.last_field == "1004.25" and len(bom.earlier_fields) == 4


def test_read_tail_of_a_large_file_reads_only_its_end(tmp_path):
    header = "个人编号,姓名,个人账户余额\n"
    rows = "".join(f"{i:010d},金顺花,{i % 9000 + 1000}.25\n" for i in range(20_000))
    tail = read_tail(_write(tmp_path / "big.csv", header + rows + "0000099999,李瑞,10"), "utf-8")
    assert tail.last_field == "10"
    assert 1000 < len(tail.earlier_fields) < 20_000  # the last 64 KiB, whole rows only
    assert all(shape(v) == "9999.99" for v in tail.earlier_fields)
    assert cut_reason(tail) is not None


def test_a_workbook_has_no_tail(tmp_path):
    assert read_tail(tmp_path / "x.xlsx", "xlsx") is None


def test_read_night_holds_a_cut_roster_even_from_a_relative_drop_folder(tmp_path, monkeypatch):
    minimal_night(tmp_path / "night")
    header, woman, man = roster_rows()
    rows = [header, woman] + [
        [f"22050001{i:02d}", *man[1:-1], f"{1000 + 37 * i}.{i:02d}"] for i in range(6)
    ]
    text = csv_text(rows)
    target(tmp_path / "night", "resident_roster").write_bytes(text[: -len("5.05\r\n")].encode())
    monkeypatch.chdir(tmp_path)
    limits = {"hukou": REGISTER, "resident_roster": REGISTER}
    with pytest.raises(SourceRejected, match=r"末行截断 last line cut.*night stopped"):
        read_night(Path("night"), guard=DeliveryGuard(limits))
    # the same file whole (only its final line break missing) is taken
    target(tmp_path / "night", "resident_roster").write_bytes(text.rstrip("\r\n").encode())
    night = read_night(Path("night"), guard=DeliveryGuard(limits))
    assert night.held == [] and night.frames["resident_roster"].height == 7
