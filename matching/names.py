"""Name keys that survive the ways agencies write the same name (姓名比对).

Agencies type names with spaces between characters (`李 瑞`), in traditional characters
(`劉`), or with a homophone character (`金香花` / `金香华`). Two keys absorb that:
`name_key` (simplified, no whitespace) and `pinyin_key` (toneless pinyin of each
character). Both are built per distinct character, so a million names cost one pass
over a few thousand characters, not a million calls into pypinyin or OpenCC.
"""

from __future__ import annotations

import re
from functools import cache

import polars as pl

__all__ = ["add_name_keys", "name_key", "pinyin_key"]

_SPACE = re.compile(r"[\s\u3000]+")


@cache
def _t2s():
    """One traditional→simplified converter per process, built on first use."""
    from opencc import OpenCC

    return OpenCC("t2s")


@cache
def _simplify(ch: str) -> str:
    return _t2s().convert(ch)


@cache
def _pinyin(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(ch, style=Style.NORMAL, errors="default"))


def name_key(name: str | None) -> str | None:
    """Simplified characters with all whitespace removed; None for an empty name."""
    if name is None:
        return None
    cleaned = _SPACE.sub("", name)
    return "".join(_simplify(ch) for ch in cleaned) or None


def pinyin_key(name: str | None) -> str | None:
    """Toneless pinyin syllables joined by spaces, so homophones compare equal."""
    key = name_key(name)
    return None if key is None else " ".join(_pinyin(ch) for ch in key)


def add_name_keys(frame: pl.DataFrame, column: str = "name") -> pl.DataFrame:
    """Add `name_key` and `pinyin_key` columns (each name's `name_key` and `pinyin_key`),
    in polars: whitespace removed, then each character replaced through tables built once
    per distinct character (its simplified form; its syllable and a space)."""
    names = frame.select(pl.col(column).unique().drop_nulls())
    cleaned = _clean(pl.col(column))
    chars = names.select(cleaned.str.split("").explode().unique().drop_nulls())
    simple = {ch: _simplify(ch) for ch in chars.to_series().to_list()}
    changed = {ch: s for ch, s in simple.items() if s != ch}
    spoken = {ch: f"{_pinyin(ch)} " for ch in {c for s in simple.values() for c in s}}
    key = cleaned.str.replace_many(changed) if changed else cleaned
    keys = names.with_columns(name_key=key).with_columns(
        name_key=pl.when(pl.col("name_key") != "").then(pl.col("name_key"))
    )
    pinyin = pl.col("name_key").str.replace_many(spoken) if spoken else pl.col("name_key")
    keys = keys.with_columns(pinyin_key=pinyin.str.strip_suffix(" ")).cast(
        {column: pl.String, "name_key": pl.String, "pinyin_key": pl.String}
    )
    # joined to the name column alone, the two keys then added: a join of the whole frame
    # would copy every column of it (a million visits: 0.2 GB)
    keyed = frame.select(column).join(
        keys, on=column, how="left", nulls_equal=False, maintain_order="left"
    )
    return frame.with_columns(keyed["name_key"], keyed["pinyin_key"])


def _clean(names: pl.Expr) -> pl.Expr:
    """`_SPACE` removed, in polars (Python's `\\s` also matches U+001C–U+001F)."""
    return names.str.replace_all(r"[\s\x{1c}-\x{1f}]+", "")
