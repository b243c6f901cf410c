"""Citizen ID normalisation: hand cases, the vectorised frame path, and MOD 11-2 properties."""

import datetime as dt

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pensionlink.connectors.citizen_id import (
    CHECK_CHARS,
    ID_STATUSES,
    check_character,
    convert_15_to_18,
    is_valid_citizen_id,
    mask_citizen_id,
    mask_one,
    normalise_citizen_id,
    normalise_one,
)

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def normalise_frame(values, dtype=pl.String) -> pl.DataFrame:
    """All struct fields of `normalise_citizen_id` for a list of raw values."""
    frame = pl.DataFrame({"raw": values}, schema={"raw": dtype})
    return frame.select(normalise_citizen_id(pl.col("raw")).alias("n")).unnest("n")


def fields(raw):
    return normalise_frame([raw]).row(0, named=True)


# ---------------------------------------------------------------------------------------------
# hand cases


@pytest.mark.parametrize(
    ("raw", "birth", "sex"),
    [
        ("222405194708204151", dt.date(1947, 8, 20), "男"),
        ("22240519850401256X", dt.date(1985, 4, 1), "女"),
        ("230103197611252610", dt.date(1976, 11, 25), "男"),
        ("11010519491231002X", dt.date(1949, 12, 31), "女"),
        ("110105200002290013", dt.date(2000, 2, 29), "男"),  # leap day of a /400 year
        (" 222405194708204151\t", dt.date(1947, 8, 20), "男"),  # surrounding space only
    ],
)
def test_valid(raw, birth, sex):
    assert fields(raw) == {
        "citizen_id": raw.strip(),
        "id_status": "valid",
        "id_clean": raw.strip(),
        "birth_date": birth,
        "sex": sex,
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("22240519551207277x", "22240519551207277X"),  # lower-case x
        ("22240519850401256x", "22240519850401256X"),
        ("２２２４０５１９４７０８２０４１５１", "222405194708204151"),  # full-width digits
        ("２２２４０５１９８５０４０１２５６Ｘ", "22240519850401256X"),  # full-width X
        ("２２２４０５１９８５０４０１２５６ｘ", "22240519850401256X"),  # full-width x
        (" 222405 20030709 3241", "222405200307093241"),  # check digit of 22240520030709324 is 1
        ("222405\u300019470820\u30004151", "222405194708204151"),  # ideographic spaces
        ("222405\t1947 0820\u00a04151", "222405194708204151"),  # tab and NBSP
        ("\ufeff222405194708204151", "222405194708204151"),  # byte-order mark from a CSV
        # 15-digit old ID: 230103 + "19" + 580907 + 719 gives body 23010319580907719;
        # weighted sum 2*7+3*9+0*10+1*5+0*8+3*4+1*2+9*1+5*6+8*3+0*7+9*9+0*10+7*5+7*8+1*4+9*2
        # = 317, 317 mod 11 = 9, CHECK_CHARS[9] = "3".
        ("230103580907719", "230103195809077193"),
        (" 230103 580907 719 ", "230103195809077193"),
    ],
)
def test_repaired(raw, expected):
    citizen_id, status = normalise_one(raw)
    assert (citizen_id, status) == (expected, "repaired")


def test_repaired_fields():
    row = fields(" 222405 20030709 3241")
    assert row == {
        "citizen_id": "222405200307093241",
        "id_status": "repaired",
        "id_clean": "222405200307093241",
        "birth_date": dt.date(2003, 7, 9),
        "sex": "女",  # 17th digit 4 is even
    }
    old = fields("230103580907719")
    assert old["id_clean"] == "230103580907719"  # the cleaned input, not the converted ID
    assert old["birth_date"] == dt.date(1958, 9, 7)
    assert old["sex"] == "男"  # 15th digit of an old ID (9) is its sex digit


def test_hand_computed_conversion_matches_check_character():
    assert check_character("23010319580907719") == "3"
    assert convert_15_to_18("230103580907719") == "230103195809077193"


@pytest.mark.parametrize(
    "raw",
    [
        "2.22405E+17",
        "2.22405e+17",
        "2.22405197E+17",
        "2.22405194708204e+17",
        "2.22405E17",
        " 2.22405E+17 ",
        "２.２２４０５Ｅ＋１７",  # full-width, after half-width conversion
        "2．22405Ｅ+17",
    ],
)
def test_mangled(raw):
    assert fields(raw) == {
        "citizen_id": None,
        "id_status": "mangled",
        "id_clean": None,
        "birth_date": None,
        "sex": None,
    }


@pytest.mark.parametrize("raw", [None, "", "  ", "\t", "\u3000", " \u3000\t\n"])
def test_empty(raw):
    assert normalise_one(raw) == (None, "empty")
    assert fields(raw)["id_clean"] is None


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("222405199902300", "15-digit old ID with a bad date (Feb 30)"),
        ("222405199902301230", "Feb 30 (check digit 0 is right for the body)"),
        ("222405194713204155", "month 13"),
        ("110105190002290017", "1900 was not a leap year (check digit right)"),
        ("110105180001010010", "before 1900"),
        ("222405194708204152", "wrong check digit (should be 1)"),
        ("22240519470820415X", "wrong check X"),
        ("22240519850401256", "17 characters"),
        ("2224051985040125601", "19 characters"),
        ("2224051947082041", "16 characters"),
        ("22240519470820415A", "letter"),
        ("X22405194708204151", "X not at the end"),
        ("+22240519470820415", "sign"),
        ("-22240519470820415", "sign"),
        ("222405-19470820-4151", "hyphens are not repaired"),
        ("abc", "not an ID"),
        ("X", "just X"),
    ],
)
def test_invalid(raw, why):
    row = fields(raw)
    assert (row["citizen_id"], row["id_status"]) == (None, "invalid"), why
    assert row["birth_date"] is None
    assert row["sex"] is None
    assert row["id_clean"] == raw.replace(" ", "").upper()


def test_invalid_cases_have_right_check_digit_where_claimed():
    assert check_character("22240519990230123") == "0"
    assert check_character("11010519000229001") == "7"
    assert check_character("11010518000101001") == "0"
    assert check_character("22240519470820415") == "1"


def test_id_clean_is_half_width_upper_case_without_spaces():
    assert fields(" ２２２4０5 1947\u30000820415ｘ ")["id_clean"] == "22240519470820415X"
    assert fields("abc def")["id_clean"] == "ABCDEF"


def test_non_string_columns():
    # An ID read as an integer is still an ID; read as a float it has lost digits.
    ints = normalise_frame([222405194708204151, None], dtype=pl.Int64)
    assert ints["id_status"].to_list() == ["valid", "empty"]
    floats = normalise_frame([2.22405194708204151e17], dtype=pl.Float64)
    assert floats["id_status"].to_list() == ["mangled"]
    nulls = pl.DataFrame({"raw": [None, None]}).select(normalise_citizen_id(pl.col("raw")))
    assert nulls["raw"].struct.field("id_status").to_list() == ["empty", "empty"]


def test_output_schema_and_name():
    out = pl.DataFrame({"raw_id": ["222405194708204151"]}).select(
        normalise_citizen_id(pl.col("raw_id"))
    )
    assert out.columns == ["raw_id"]  # named after the input column
    assert out.schema["raw_id"] == pl.Struct(
        {
            "citizen_id": pl.String,
            "id_status": pl.String,
            "id_clean": pl.String,
            "birth_date": pl.Date,
            "sex": pl.String,
        }
    )


def test_vectorised_mixed_frame():
    raws = [
        "222405194708204151",  # valid
        "22240519850401256x",  # repaired: lower x
        "２２２４０５１９４７０８２０４１５１",  # repaired: full-width
        " 222405 20030709 3241",  # repaired: inner spaces
        "230103580907719",  # repaired: 15 -> 18
        "2.22405E+17",  # mangled
        None,  # empty
        "   ",  # empty
        "222405199902301230",  # invalid: Feb 30
        "222405194708204152",  # invalid: check digit
        "12345",  # invalid: length
    ]
    out = normalise_frame(raws)
    assert out["id_status"].to_list() == [
        "valid",
        "repaired",
        "repaired",
        "repaired",
        "repaired",
        "mangled",
        "empty",
        "empty",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert out["citizen_id"].to_list() == [
        "222405194708204151",
        "22240519850401256X",
        "222405194708204151",
        "222405200307093241",
        "230103195809077193",
        *[None] * 6,
    ]
    assert out["sex"].to_list() == ["男", "女", "男", "女", "男", *[None] * 6]
    assert out["birth_date"].to_list()[:5] == [
        dt.date(1947, 8, 20),
        dt.date(1985, 4, 1),
        dt.date(1947, 8, 20),
        dt.date(2003, 7, 9),
        dt.date(1958, 9, 7),
    ]
    assert set(out["id_status"]) == set(ID_STATUSES)
    # the scalar helper is the same function on a one-row frame
    assert [normalise_one(r) for r in raws] == list(
        zip(out["citizen_id"], out["id_status"], strict=True)
    )
    # and a lazy, streaming query gives the same answer
    lazy = (
        pl.LazyFrame({"raw": raws}, schema={"raw": pl.String})
        .select(normalise_citizen_id(pl.col("raw")).alias("n"))
        .unnest("n")
        .collect(engine="streaming")
    )
    assert lazy.equals(out)


def test_every_date_against_the_calendar():
    """Date validity and birth_date agree with Python's calendar for every YYYYMMDD shape."""
    bodies, expected = [], []
    for year in (1899, *range(1900, 2101), 2101, 2400):
        for month in range(14):
            for day in range(33):
                body = f"110105{year:04d}{month:02d}{day:02d}123"
                bodies.append(body + check_character(body))
                try:
                    date = dt.date(year, month, day)
                except ValueError:
                    date = None
                expected.append(date if date and 1900 <= year <= 2100 else None)
    out = normalise_frame(bodies)
    assert out["birth_date"].to_list() == expected
    assert out["id_status"].to_list() == ["invalid" if d is None else "valid" for d in expected]


# ---------------------------------------------------------------------------------------------
# scalar helpers


def test_is_valid_citizen_id():
    assert is_valid_citizen_id("222405194708204151")
    assert is_valid_citizen_id("22240519850401256X")
    assert not is_valid_citizen_id("22240519850401256x")  # needs repair
    assert not is_valid_citizen_id(" 222405194708204151")  # needs stripping
    assert not is_valid_citizen_id("230103580907719")  # old ID
    assert not is_valid_citizen_id("222405194708204152")
    assert not is_valid_citizen_id("")
    assert not is_valid_citizen_id(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        "23010358090771",
        "2301035809077190",
        "23010358090771X",
        "２３０１０３５８０９０７７１９",  # full-width: normalise_citizen_id repairs these
    ],
)
def test_convert_15_to_18_rejects_non_15_digit_input(bad):
    with pytest.raises(ValueError):
        convert_15_to_18(bad)


def test_mask():
    assert mask_one("222405194708204151") == "222405********4151"
    assert mask_one("22240519850401256X") == "222405********256X"
    assert mask_one("230103580907719") == "230103*****7719"
    assert mask_one(None) is None
    assert mask_one("1234567890") == "**********"  # too short to show anything
    assert mask_one("") == ""
    frame = pl.DataFrame({"id": ["222405194708204151", None]})
    assert frame.select(mask_citizen_id(pl.col("id")))["id"].to_list() == [
        "222405********4151",
        None,
    ]


# ---------------------------------------------------------------------------------------------
# properties

DIGITS = "0123456789"


@st.composite
def citizen_ids(draw, min_year: int = 1900, max_year: int = 2025) -> str:
    """A correct 18-character ID: random area code, real birth date, sequence, check."""
    area = draw(st.integers(110000, 659999))
    birth = draw(st.dates(dt.date(min_year, 1, 1), dt.date(max_year, 12, 31)))
    sequence = draw(st.integers(0, 999))
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


def status(raw: str) -> str:
    return normalise_one(raw)[1]


@settings(deadline=None)  # timing is for benchmarks, not tests
@given(citizen_ids())
def test_valid_id_survives_unchanged(citizen_id):
    assert normalise_one(citizen_id) == (citizen_id, "valid")
    assert is_valid_citizen_id(citizen_id)
    row = fields(citizen_id)
    assert row["birth_date"] == dt.date(
        int(citizen_id[6:10]), int(citizen_id[10:12]), int(citizen_id[12:14])
    )
    assert row["sex"] == ("男" if int(citizen_id[16]) % 2 else "女")


@settings(deadline=None)  # timing is for benchmarks, not tests
@given(citizen_ids(), st.integers(0, 17), st.data())
def test_single_substitution_detected(citizen_id, position, data):
    alphabet = DIGITS if position < 17 else CHECK_CHARS
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != citizen_id[position]]))
    changed = citizen_id[:position] + replacement + citizen_id[position + 1 :]
    assert status(changed) == "invalid"


def test_adjacent_transpositions_change_the_weighted_sum():
    # Why the property below holds: weights are 2**(17-i) mod 11, so w[i] = 2 * w[i+1] and
    # swapping different digits a, b at i, i+1 changes the sum by (a-b)(w[i]-w[i+1]) =
    # (a-b) * w[i+1], non-zero mod 11 because 11 is prime and 0 < |a-b| < 11. The check
    # character has weight 1 and the 17th digit weight 2, so the same holds there (and an X
    # swapped into the body is not a digit at all).
    weights = [*(pow(2, 17 - i, 11) for i in range(17)), 1]
    for i in range(17):
        assert weights[i] % 11 == 2 * weights[i + 1] % 11
        for a in range(11):
            for b in range(11):
                if a != b and (i < 16 or max(a, b) < 10):
                    assert (a - b) * (weights[i] - weights[i + 1]) % 11 != 0


@settings(deadline=None)  # timing is for benchmarks, not tests
@given(citizen_ids(), st.integers(0, 16))
def test_adjacent_transposition_detected(citizen_id, position):
    a, b = citizen_id[position], citizen_id[position + 1]
    assume(a != b)
    swapped = citizen_id[:position] + b + a + citizen_id[position + 2 :]
    assert status(swapped) == "invalid"


@settings(deadline=None)  # one normalisation per example; timing is for benchmarks
@given(citizen_ids(min_year=1900, max_year=1999))
def test_15_to_18(citizen_id):
    old = citizen_id[:6] + citizen_id[8:17]  # drop the "19" and the check character
    assert normalise_one(old) == (citizen_id, "repaired")
    assert convert_15_to_18(old) == citizen_id


@settings(deadline=None, max_examples=200)
@given(citizen_ids(), st.data())
def test_decorated_variants_are_repaired(citizen_id, data):
    chars = list(citizen_id)
    full_width = data.draw(st.lists(st.booleans(), min_size=18, max_size=18))
    chars = [c.translate(FULL_WIDTH) if fw else c for c, fw in zip(chars, full_width, strict=True)]
    if chars[-1] in "XＸ" and data.draw(st.booleans()):
        chars[-1] = chars[-1].lower()
    spaces = data.draw(
        st.lists(
            st.tuples(st.integers(1, 17), st.sampled_from([" ", "  ", "\u3000", "\t"])),
            max_size=4,
        )
    )
    for position, space in sorted(spaces, reverse=True):
        chars.insert(position, space)
    decorated = "".join(chars)
    assume(decorated != citizen_id)
    outer = data.draw(st.sampled_from(["", " ", "\u3000"]))
    assert normalise_one(outer + decorated + outer) == (citizen_id, "repaired")
