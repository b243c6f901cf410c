"""read_source: encodings, file kinds, types, rejected rows and whole-file rejection."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from pensionlink.connectors import SourceMissing, SourceRejected, read_source
from polars.testing import assert_frame_equal

from tests.connectors.drop_folder import (
    HUKOU_HEADER,
    ID_MAN,
    ID_WOMAN,
    ID_X,
    hukou_rows,
    target,
    write_csv,
    write_xlsx,
)

D = dt.date


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "xlsx"])
def test_every_encoding_and_workbook_give_the_same_frame(tmp_path, encoding):
    reference = tmp_path / "reference"
    write_csv(reference, "hukou", hukou_rows())
    folder = tmp_path / encoding
    if encoding == "xlsx":
        write_xlsx(folder, "hukou", hukou_rows())
    else:
        write_csv(folder, "hukou", hukou_rows(), encoding)

    read = read_source("hukou", folder)

    assert read.encoding == encoding
    assert read.rows_read == 2
    assert read.rejected.is_empty()
    assert_frame_equal(read.frame, read_source("hukou", reference).frame)
    assert read.frame["name"].to_list() == ["池花亮", "具明敏"]
    assert read.frame["death_date"].to_list() == [None, D(2025, 3, 1)]
    assert read.frame["line_no"].to_list() == [2, 3]


def test_checksum_is_sha256_of_the_file(tmp_path):
    import hashlib

    path = write_csv(tmp_path, "hukou", hukou_rows(), "gb18030")
    assert read_source("hukou", tmp_path).checksum == hashlib.sha256(path.read_bytes()).hexdigest()


def test_undecodable_file_is_rejected_in_one_line(tmp_path):
    path = target(tmp_path, "hukou")
    path.write_bytes("公民身份号码,姓名\r\n".encode("gb18030") + b"\x81\x20\xff\xfe\r\n")
    with pytest.raises(SourceRejected) as err:
        read_source("hukou", tmp_path)
    message = str(err.value)
    assert "public_security/hukou.csv" in message
    assert "\n" not in message


def test_missing_file_and_two_files(tmp_path):
    with pytest.raises(SourceMissing):
        read_source("hukou", tmp_path)
    write_csv(tmp_path, "hukou", hukou_rows())
    write_xlsx(tmp_path, "hukou", hukou_rows())
    with pytest.raises(SourceRejected, match=r"hukou\.csv and public_security/hukou\.xlsx"):
        read_source("hukou", tmp_path)


def test_missing_required_column_names_file_and_column(tmp_path):
    rows = [[c for c in row[:-1]] for row in hukou_rows()]  # no 注销日期
    write_csv(tmp_path, "hukou", rows)
    with pytest.raises(SourceRejected) as err:
        read_source("hukou", tmp_path)
    message = str(err.value)
    assert message == "public_security/hukou.csv: 缺少必需列「注销日期」 missing column 注销日期"


def test_a_header_cell_is_never_echoed_only_its_position_and_the_expected_header(tmp_path):
    rows = hukou_rows()
    rows[0] = list(rows[0])
    rows[0][1] = "金顺花"  # a person's name typed over 姓名
    rows[0][5] = "222405194708204151 户籍地址"  # and an ID over 户籍地址
    write_csv(tmp_path, "hukou", rows)
    with pytest.raises(SourceRejected) as err:
        read_source("hukou", tmp_path)
    message = str(err.value)
    assert message == (
        "public_security/hukou.csv: 第2列表头不是预期的「姓名」 column 2 is not the expected "
        "header 姓名; 第6列表头不是预期的「户籍地址」 column 6 is not the expected header 户籍地址"
    )
    extra = hukou_rows()
    extra[0] = [*extra[0][:-1], "金顺花"]  # 注销日期 missing, a name in the last column
    write_csv(tmp_path, "hukou", extra)
    with pytest.raises(SourceRejected) as err:
        read_source("hukou", tmp_path)
    assert "金顺花" not in str(err.value) and "第11列表头不是预期的「注销日期」" in str(err.value)
    moved = hukou_rows()
    moved[0] = [*moved[0][:-1]]
    moved[0].insert(0, "金顺花")  # a name in a new first column, 注销日期 gone
    moved[1:] = [["x", *r[:-1]] for r in moved[1:]]
    write_csv(tmp_path, "hukou", moved)
    with pytest.raises(SourceRejected) as err:
        read_source("hukou", tmp_path)
    assert str(err.value) == (
        "public_security/hukou.csv: 缺少必需列「注销日期」 missing column 注销日期; "
        "第1列表头无法识别 unexpected header in column(s) 1"
    )


def test_headers_are_stripped_and_extra_columns_ignored(tmp_path):
    rows = hukou_rows()
    rows[0] = [f" {h}\u3000" for h in HUKOU_HEADER] + ["备注"]
    rows[1:] = [[*row, "多余"] for row in rows[1:]]
    write_csv(tmp_path, "hukou", rows, "utf-8-sig")
    frame = read_source("hukou", tmp_path).frame
    assert "备注" not in frame.columns
    assert frame["birth_date"].to_list() == [D(1947, 8, 20), D(1972, 5, 23)]


def test_strings_are_stripped_and_empty_is_null(tmp_path):
    rows = hukou_rows()
    rows[1][1] = " 李 瑞 "
    rows[1][4] = "  "
    write_csv(tmp_path, "hukou", rows)
    frame = read_source("hukou", tmp_path).frame
    assert frame["name"][0] == "李 瑞"
    assert frame["ethnicity"][0] is None


def test_unpadded_and_spreadsheet_dates(tmp_path):
    header = ["逝者身份证号", "逝者姓名", "性别", "死亡日期", "火化日期", "殡仪馆"]
    write_csv(
        tmp_path,
        "funeral",
        [
            header,
            [ID_MAN, "池花亮", "男", "2025/10/8", "2025/1/11", "龙井市殡仪馆"],
            ["", "杨香志", "男", "2025/10/08", "2025-10-11 00:00:00", "龙井市殡仪馆"],
        ],
    )
    read = read_source("funeral", tmp_path)
    assert read.rejected.is_empty()
    assert read.frame["death_date"].to_list() == [D(2025, 10, 8)] * 2
    assert read.frame["cremation_date"].to_list() == [D(2025, 1, 11), D(2025, 10, 11)]


def test_bad_date_row_is_rejected_with_line_and_header(tmp_path):
    rows = hukou_rows()
    rows.append([ID_X, "金香花", "女", "1959013", "朝鲜族", "", "", "", "正常", "", ""])
    rows.append([ID_X, "金香华", "女", "19590230", "朝鲜族", "", "", "", "正常", "", ""])
    write_csv(tmp_path, "hukou", rows)

    read = read_source("hukou", tmp_path)

    assert read.rows_read == 4
    assert read.frame.height == 2
    assert read.rows_rejected == 2
    assert read.rejected.to_dicts() == [
        {
            "source": "hukou",
            "file": "public_security/hukou.csv",
            "line": line,
            "column": "出生日期",
            "value": value,
            "reason": "日期格式不符 expected YYYYMMDD",
        }
        for line, value in [(4, "1959013"), (5, "19590230")]
    ]


def test_row_with_stray_comma_is_rejected_whole(tmp_path):
    rows = hukou_rows()
    rows[2][5] = "龙井市,老头沟镇"
    path = target(tmp_path, "hukou")
    path.write_text("".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    read = read_source("hukou", tmp_path)
    assert read.frame["line_no"].to_list() == [2]
    assert read.rejected.select("line", "column").row(0) == (3, "(整行 whole row)")


def test_quoted_line_breaks_keep_line_numbers(tmp_path):
    rows = hukou_rows()
    rows[1][5] = '"龙井市\r\n龙门街道"'
    rows.append([ID_X, "金香花", "女", "bad", "", "", "", "", "正常", "", ""])
    write_csv(tmp_path, "hukou", rows)
    read = read_source("hukou", tmp_path)
    assert read.frame["line_no"].to_list() == [2, 4]
    assert read.rejected["line"].to_list() == [5]


def test_yearmonth_and_decimal(tmp_path):
    write_csv(
        tmp_path,
        "pension_payments",
        [
            ["个人编号", "发放年月", "发放金额"],
            ["2205000008", "202411", "147.65"],
            ["2205000008", "202412", '"1,200"'],
            ["2205000008", "202413", "147.65"],
            ["2205000008", "202501", "14.655"],
            ["2205000008", "202502", ""],
        ],
    )
    read = read_source("pension_payments", tmp_path)
    frame = read.frame
    assert frame.schema["amount"] == pl.Decimal(12, 2)
    assert frame["pay_month"].to_list() == [D(2024, 11, 1), D(2024, 12, 1), D(2025, 2, 1)]
    assert frame["amount"].to_list() == [Decimal("147.65"), Decimal("1200.00"), None]
    assert read.rejected.select("line", "column", "value").rows() == [
        (4, "发放年月", "202413"),
        (5, "发放金额", "14.655"),
    ]
    assert read.rejected["reason"][0] == "年月格式不符 expected YYYYMM"


def test_datetime_gives_death_date(tmp_path):
    header = ["死者身份证号", "姓名", "性别", "出生日期", "死亡时间", "死亡地点"]
    write_csv(
        tmp_path,
        "death_certificates",
        [header, ["", "杨香志", "男", "1926-03-27", "2025-10-08 03:20", "家中"]],
    )
    frame = read_source("death_certificates", tmp_path).frame
    assert frame["death_time"].to_list() == [dt.datetime(2025, 10, 8, 3, 20)]
    assert frame["death_date"].to_list() == [D(2025, 10, 8)]
    assert frame["id_status"].to_list() == ["empty"]


def test_id_quirks_get_their_status(tmp_path):
    ids = [
        ID_MAN,  # valid
        "222405470820415",  # old 15-digit → repaired
        "２２２４０５１９４７０８２０４１５１",  # full-width → repaired
        "22240519590101002x",  # lower-case x → repaired
        "222405 1947 0820 4151",  # inner spaces → repaired
        "2.22405E+17",  # spreadsheet notation → mangled
        "222405194708204152",  # wrong check character → invalid
        "",  # empty
    ]
    rows = [["身份证号", "姓名", "就诊日期", "医疗机构"]]
    rows += [[i, "某人", "2026-01-02", "医院"] for i in ids]
    write_csv(tmp_path, "visits", rows)
    frame = read_source("visits", tmp_path).frame
    assert frame["id_status"].to_list() == [
        "valid",
        "repaired",
        "repaired",
        "repaired",
        "repaired",
        "mangled",
        "invalid",
        "empty",
    ]
    assert frame["citizen_id"].to_list()[:5] == [ID_MAN, ID_MAN, ID_MAN, ID_X, ID_MAN]
    assert frame["citizen_id_raw"].to_list() == [*ids[:-1], None]  # kept as delivered
    assert frame["id_birth_date"][0] == D(1947, 8, 20)
    assert frame["id_sex"][0] == "男"


def test_disabled_card_gives_id_and_grade(tmp_path):
    rows = [
        ["残疾人证号", "姓名", "性别", "残疾类别", "残疾等级", "乡镇街道"],
        [ID_WOMAN + "14", "具明敏", "女", "视力", "2级", "三合镇"],
        [ID_MAN + " 23", "池花亮", "男", "听力", "", "三合镇"],
        [ID_X + "61", "金香花", "女", "智力", "一级", "三合镇"],
    ]
    write_csv(tmp_path, "disabled", rows)
    frame = read_source("disabled", tmp_path).frame
    assert frame["citizen_id"].to_list() == [ID_WOMAN, ID_MAN, ID_X]
    assert frame["id_status"].to_list() == ["valid", "valid", "valid"]
    assert frame.schema["grade"] == pl.Int8
    assert frame["grade"].to_list() == [2, 3, 1]
    assert frame["card_no"][1] == ID_MAN + " 23"
