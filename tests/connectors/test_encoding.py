"""Which encoding a delivery is in: polars' UTF-8 check must judge every byte string as
Python's strict codec does (else a UTF-8 file could be decoded as GB18030, or the other
way round), and the blank-file check as `bytes.strip` does."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pensionlink.connectors.encoding import (
    EncodingError,
    _is_utf8,
    decode_to_utf8,
)
from pensionlink.connectors.encoding import (
    _python_takes_as_utf8 as _python_says,
)
from pensionlink.connectors.table import _blank

#: UTF-8's edges: surrogates, overlong forms, past U+10FFFF, cut sequences, stray
#: continuation bytes — and what is valid although unusual (noncharacters, NUL-free BMP
#: and astral characters).
EDGES = [
    b"\xed\xa0\x80",  # U+D800, a surrogate
    b"\xed\xbf\xbf",  # U+DFFF
    b"\xc0\xaf",  # overlong '/'
    b"\xe0\x80\xaf",  # overlong, three bytes
    b"\xf0\x82\x82\xac",  # overlong, four bytes
    b"\xf4\x90\x80\x80",  # U+110000
    b"\xf8\x88\x80\x80\x80",  # five bytes
    b"\xe4\xb8",  # cut in the middle of 中
    b"\x80",
    b"\xef\xbf\xbf",  # U+FFFF, valid
    b"\xf4\x8f\xbf\xbf",  # U+10FFFF, valid
    "龙井市 金顺花,𠀀".encode(),
    "姓名,身份证号".encode("gb18030"),
]


@pytest.mark.parametrize("data", EDGES)
def test_utf8_is_judged_as_python_judges_it_at_the_edges(data):
    assert _is_utf8(data) is _python_says(data)
    assert _is_utf8(b"a,b\n" + data + b"\n") is _python_says(data)


@given(
    text=st.text(),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=3),
)
def test_utf8_is_judged_as_python_judges_it(text, flips):
    data = bytearray(text.encode("utf-8", "surrogatepass"))  # surrogates: invalid UTF-8
    for where, byte in flips:
        if data:
            data[where % len(data)] = byte
    assert _is_utf8(bytes(data)) is _python_says(bytes(data))


@given(st.binary(max_size=64))
def test_any_bytes_are_judged_as_python_judges_them(data):
    assert _is_utf8(data) is _python_says(data)


def test_each_encoding_is_told_apart():
    text = "姓名,公民身份号码\n金顺花,222405194708204151\n"
    assert decode_to_utf8(text.encode("utf-8")).encoding == "utf-8"
    assert decode_to_utf8(codecs.BOM_UTF8 + text.encode()).encoding == "utf-8-sig"
    gb = decode_to_utf8(text.encode("gb18030"))
    assert (gb.encoding, gb.data) == ("gb18030", text.encode("utf-8"))
    with pytest.raises(EncodingError, match="bad byte at offset 5"):
        decode_to_utf8(codecs.BOM_UTF8 + b"ab\xff")
    with pytest.raises(EncodingError, match="not UTF-8 nor GB18030"):
        decode_to_utf8(b"\x81\x20")  # a GB18030 lead byte without its trail


@given(st.binary(max_size=12) | st.text(alphabet=" \t\n\r\x0b\x0c\x1c\xa0a").map(str.encode))
def test_a_blank_file_is_what_strip_leaves_empty(data):
    assert _blank(data) is (not data.strip())


def _available_gib() -> float:
    meminfo = Path("/proc/meminfo").read_text()
    return int(re.search(r"MemAvailable:\s+(\d+) kB", meminfo)[1]) / (1 << 20)


@pytest.mark.skipif(_available_gib() < 14, reason="needs ≈ 9 GiB: a 4 GiB file and its text")
def test_a_file_longer_than_polars_holds_is_still_judged():
    """Polars panics on a value over 4 GiB (its offsets are 32-bit): such a delivery (a
    province's payments) is judged by Python's codec instead."""
    data = b"a" * ((1 << 32) + 16)
    assert _is_utf8(data)
