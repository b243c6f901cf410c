"""The name keys of a whole frame (`add_name_keys`, in polars) are each name's own
`name_key` and `pinyin_key` (the per-name reference), whatever the text."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from pensionlink.matching.names import add_name_keys, name_key, pinyin_key

# Characters agencies type: simplified and traditional hanzi, Latin, digits, and every kind
# of whitespace Python's `\s` knows (U+001C–U+001F among them, which the regex engine of
# polars does not count as whitespace).
_TEXT = st.text(
    alphabet=st.sampled_from(
        list("李瑞劉刘德華华金香花秀王英哲董池亮方国朴崔")
        + list("Ab1 -·")
        + ["\t", "\n", "\u3000", "\xa0", "\x1c", "\x1f", "\x85", "\u2028", "\u200a"]
    ),
    max_size=6,
)


def test_frame_keys_by_hand():
    frame = pl.DataFrame({"name": ["李 瑞", "劉 德華", "  ", None, "a\x1cb", "李 瑞"]})
    out = add_name_keys(frame)
    assert out["name"].to_list() == frame["name"].to_list()  # order and rows kept
    assert out["name_key"].to_list() == ["李瑞", "刘德华", None, None, "ab", "李瑞"]
    assert out["pinyin_key"].to_list() == ["li rui", "liu de hua", None, None, "a b", "li rui"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _TEXT), max_size=8))
def test_frame_keys_are_each_names_keys(names):
    out = add_name_keys(pl.DataFrame({"name": names}, schema={"name": pl.String}))
    assert out["name_key"].to_list() == [name_key(n) for n in names]
    assert out["pinyin_key"].to_list() == [pinyin_key(n) for n in names]
