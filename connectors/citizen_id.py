"""Citizen ID rules (公民身份号码, GB 11643-1999).

An 18-character ID is a 6-digit area code, an 8-digit birth date (YYYYMMDD), a 3-digit
sequence (odd = male, even = female) and an ISO 7064 MOD 11-2 check character.

Why this module exists: the citizen ID is the join key between every agency extract and
the hukou spine, and the extracts are typed by hand or round-tripped through spreadsheets.
We therefore see full-width digits, inner spaces, lower-case ``x``, old 15-digit IDs and
IDs that a spreadsheet turned into ``2.22405E+17`` or that went through a float
(``2.224051990011757e+17``, ``222405199001175712.0``): digits irrecoverably lost, so such
a value is ``mangled``, never an ID (a workbook's number cell reaches here in that form,
see `connectors.table`). Every
nightly table goes through :func:`normalise_citizen_id`, which repairs what can be repaired
safely, and labels the rest so that the findings can say *why* a row did not match. It is
written as polars expressions (no per-row Python) because it runs on millions of rows a
night; the scalar helpers call the same expressions so there is one source of truth.
"""

from __future__ import annotations

import operator
from functools import reduce

import polars as pl

__all__ = [
    "CHECK_CHARS",
    "ID_STATUSES",
    "MAX_BIRTH_YEAR",
    "MIN_BIRTH_YEAR",
    "WEIGHTS",
    "check_character",
    "convert_15_to_18",
    "is_valid_citizen_id",
    "mask_citizen_id",
    "mask_one",
    "normalise_citizen_id",
    "normalise_one",
]

# Weight of position i is 2**(17-i) mod 11; the check character maps (sum mod 11).
WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

#: Values of the ``id_status`` field, from best to worst.
ID_STATUSES: tuple[str, ...] = ("valid", "repaired", "invalid", "mangled", "empty")

#: Birth years accepted as plausible (inclusive).
MIN_BIRTH_YEAR = 1900
MAX_BIRTH_YEAR = 2100

# One pass of ``str.replace_many`` cleans a value: the full-width ASCII block (U+FF01..U+FF5E)
# becomes ASCII, letters become upper-case, and every Unicode whitespace character (tab,
# NBSP, U+3000 ...) and the zero-width characters left by spreadsheets and web forms go.
_WHITESPACE = [
    chr(c) for c in (*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B))
]
_WHITESPACE += ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
_ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
_CLEAN_MAP: dict[str, str] = {
    **{chr(c): chr(c - 0xFEE0).upper() for c in range(0xFF01, 0xFF5F)},
    **{chr(c): chr(c).upper() for c in range(ord("a"), ord("z") + 1)},
    **dict.fromkeys(_WHITESPACE + _ZERO_WIDTH, ""),
}
# A float as text (after cleaning): in scientific notation, as a spreadsheet displays a long
# number (``2.22405E+17``), or with a decimal point (``222405199001175712.0``), as a
# workbook's number cell or a float column written out by a program. An ID has neither.
_FLOAT_TEXT = r"^[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)E[+-]?[0-9]+|[0-9]+\.[0-9]*|\.[0-9]+)$"


def check_character(body17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def _weighted_digits(number: pl.Expr, weights: tuple[int, ...]) -> pl.Expr:
    """Sum of the decimal digits of ``number`` (most significant first) times ``weights``."""
    n = len(weights)
    terms = [(number // 10 ** (n - 1 - i)) % 10 * w for i, w in enumerate(weights)]
    return reduce(operator.add, terms)


def _is_leap(year: pl.Expr) -> pl.Expr:
    """Gregorian leap year."""
    return (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))


def _days_from_civil(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).

    Only meaningful for a real date; the caller masks the rest.
    """
    y = year - (month <= 2).cast(pl.Int32)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def normalise_citizen_id(raw: pl.Expr) -> pl.Expr:
    """Normalise raw citizen IDs into a struct.

    Fields: ``citizen_id`` (the 18-character ID if valid or repaired), ``id_status``
    (one of :data:`ID_STATUSES`), ``id_clean`` (spaces removed, half-width, upper-case;
    null when empty or mangled), ``birth_date`` (Date) and ``sex`` ("男"/"女").
    """
    # Speed matters (millions of rows a night), hence two choices:
    # - intermediates are staged as struct fields (``pl.field``) so each is computed once
    #   per row: polars does not reliably share common sub-expressions inside one expression;
    # - the digits are parsed once into an integer (18 digits fit an Int64) and the date and
    #   check arithmetic run on integers: string slicing costs a full pass per slice.
    f = pl.field
    text = raw.cast(pl.String)
    staged = (
        pl.struct(stripped=text.str.strip_chars(), clean=text.str.replace_many(_CLEAN_MAP))
        .struct.with_fields(
            is_empty=f("clean").is_null() | (f("clean") == ""),
            is_mangled=f("clean").str.contains(_FLOAT_TEXT),
            length=f("clean").str.len_bytes(),
            has_x=f("clean").str.ends_with("X"),
            # ASCII digits only (Rust integer parsing); a sign is ruled out below.
            number=f("clean").str.strip_suffix("X").str.to_integer(strict=False),
        )
        .struct.with_fields(
            is_old=(f("length") == 15) & ~f("has_x"),
            id_like=f("number").is_not_null()
            & (f("number") >= 0)
            & ~f("clean").str.starts_with("+")
            & ((f("length") == 18) | ((f("length") == 15) & ~f("has_x"))),
        )
        .struct.with_fields(
            # The first 17 digits; an old ID gains "19": area(6) + "19" + YYMMDD + sequence(3).
            body17=pl.when(~f("id_like"))
            .then(None)
            .when(f("is_old"))
            .then(f("number") // 10**9 * 10**11 + 19 * 10**9 + f("number") % 10**9)
            .when(f("has_x"))
            .then(f("number"))
            .otherwise(f("number") // 10),
            # The given check value (X = 10); an old ID has none.
            given_check=pl.when(~f("id_like") | f("is_old"))
            .then(None)
            .when(f("has_x"))
            .then(10)
            .otherwise(f("number") % 10),
        )
        .struct.with_fields(
            head9=(f("body17") // 10**8).cast(pl.Int32),  # area + YYY
            tail8=(f("body17") % 10**8).cast(pl.Int32),  # Y + MMDD + sequence
        )
        .struct.with_fields(
            sum_mod=(
                _weighted_digits(f("head9"), WEIGHTS[:9])
                + _weighted_digits(f("tail8"), WEIGHTS[9:])
            )
            % 11,
            yyyymmdd=f("head9") % 1000 * 100_000 + f("tail8") // 1000,
        )
        .struct.with_fields(
            year=f("yyyymmdd") // 10_000,
            month=f("yyyymmdd") // 100 % 100,
            day=f("yyyymmdd") % 100,
        )
        .struct.with_fields(
            days_in_month=pl.when(f("month") == 2)
            .then(28 + _is_leap(f("year")).cast(pl.Int32))
            .otherwise(30 + (f("month") + f("month") // 8) % 2),
            birth=_days_from_civil(f("year"), f("month"), f("day")).cast(pl.Date),
        )
        .struct.with_fields(
            ok=(
                f("id_like")
                & ~f("is_mangled")
                # a real calendar date (checked arithmetically: faster than parsing text)
                & f("year").is_between(MIN_BIRTH_YEAR, MAX_BIRTH_YEAR)
                & f("month").is_between(1, 12)
                & f("day").is_between(1, f("days_in_month"))
                # ISO 7064 MOD 11-2: the weighted sum including the check value is 1 mod 11
                & (f("is_old") | ((f("sum_mod") + f("given_check")) % 11 == 1))
            ).fill_null(False),
        )
    )
    # An old ID gains "19" and the computed check character; an 18-character one is kept.
    converted = pl.concat_str(
        f("body17").cast(pl.String).str.zfill(17),
        pl.lit(CHECK_CHARS).str.slice(f("sum_mod"), 1),
    )
    return staged.struct.eval(
        citizen_id=pl.when(f("ok") & f("is_old")).then(converted).when(f("ok")).then(f("clean")),
        id_status=pl.when(f("is_empty"))
        .then(pl.lit("empty"))
        .when(f("is_mangled"))
        .then(pl.lit("mangled"))
        .when(~f("ok"))
        .then(pl.lit("invalid"))
        .when(~f("is_old") & (f("stripped") == f("clean")))
        .then(pl.lit("valid"))
        .otherwise(pl.lit("repaired")),
        id_clean=pl.when(~f("is_empty") & ~f("is_mangled")).then(f("clean")),
        birth_date=pl.when(f("ok")).then(f("birth")),
        sex=pl.when(f("ok")).then(
            pl.when(f("tail8") % 2 == 1).then(pl.lit("男")).otherwise(pl.lit("女"))
        ),
    ).name.keep()  # named after the input column, like other expressions


def normalise_one(raw: str | None) -> tuple[str | None, str]:
    """Scalar :func:`normalise_citizen_id`: ``(citizen_id, id_status)`` of one value."""
    frame = pl.DataFrame({"raw": [raw]}, schema={"raw": pl.String})
    row = (
        frame.select(normalise_citizen_id(pl.col("raw")).alias("n")).unnest("n").row(0, named=True)
    )
    return row["citizen_id"], row["id_status"]


def is_valid_citizen_id(value: str) -> bool:
    """Whether ``value`` is exactly a correct 18-character ID (no repair needed)."""
    if not isinstance(value, str):
        return False
    citizen_id, status = normalise_one(value)
    return status == "valid" and citizen_id == value


def convert_15_to_18(id15: str) -> str:
    """Convert an old 15-digit ID to 18: area + "19" + YYMMDD + sequence + check character.

    Raises ``ValueError`` unless ``id15`` is 15 ASCII digits (the date is not checked here;
    :func:`normalise_citizen_id` only repairs 15-digit IDs with a real date).
    """
    if len(id15) != 15 or not (id15.isascii() and id15.isdigit()):
        raise ValueError(f"not a 15-digit citizen ID: {id15!r}")
    body17 = id15[:6] + "19" + id15[6:]
    return body17 + check_character(body17)


def mask_citizen_id(expr: pl.Expr) -> pl.Expr:
    """Mask an ID column for display: first 6 and last 4 characters, ``*`` for the rest.

    ``222405194708204151`` becomes ``222405********4151``; values of 10 characters or fewer
    are masked completely; null stays null.
    """
    text = expr.cast(pl.String)
    n = text.str.len_chars()
    return (
        pl.when(n > 10)
        .then(
            pl.concat_str(
                text.str.slice(0, 6),
                text.str.slice(6, n - 10).str.replace_all(r"(?s).", "*"),
                text.str.slice(-4),
            )
        )
        .otherwise(text.str.replace_all(r"(?s).", "*"))
    )


def mask_one(s: str | None) -> str | None:
    """Scalar :func:`mask_citizen_id`."""
    frame = pl.DataFrame({"s": [s]}, schema={"s": pl.String})
    return frame.select(mask_citizen_id(pl.col("s"))).item()
