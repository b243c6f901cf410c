"""The declarative source mappings (`sources.toml`) as typed, frozen objects.

Why: every agency file is described once, in data, so that adding a column or a date
format is an edit to `sources.toml` and not to code. This module only loads and checks
that file; reading the extracts is the job of the other connector modules.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

__all__ = [
    "AS_OF",
    "COLUMN_TYPES",
    "SOURCES_TOML",
    "ColumnSpec",
    "SourceSpec",
    "load_specs",
    "source_names",
]

SOURCES_TOML = Path(__file__).with_name("sources.toml")

#: The column types a mapping may use.
COLUMN_TYPES: frozenset[str] = frozenset({"str", "date", "datetime", "yearmonth", "decimal", "int"})
#: The one symbolic bound a date column may have: the night's as-of date.
AS_OF = "as_of"


@dataclass(frozen=True)
class ColumnSpec:
    """One delivered column: its Chinese header and what it becomes."""

    header: str
    column: str
    type: str
    formats: tuple[str, ...] = ()
    id: bool = False
    id_chars: int | None = None
    required: bool = True
    #: The contract's words for a status or category column (after whitespace removal).
    allowed: tuple[str, ...] = ()
    #: Bounds of an amount (inclusive).
    min: Decimal | None = None
    max: Decimal | None = None
    #: Bounds of a date: the earliest date, and whether it may lie after the as-of date.
    earliest: dt.date | None = None
    not_after_as_of: bool = False
    #: A date that cannot precede the record's birth (its own birth date or its ID's).
    not_before_birth: bool = False


@dataclass(frozen=True)
class SourceSpec:
    """One agency file: where it lives in the drop folder and its columns."""

    name: str
    path: str
    agency: str
    title: str
    columns: tuple[ColumnSpec, ...]

    @property
    def id_column(self) -> ColumnSpec | None:
        """The column holding a citizen ID, if the source has one."""
        return next((c for c in self.columns if c.id), None)

    @property
    def required_headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns if c.required)


def _column(source: str, raw: dict) -> ColumnSpec:
    kind = raw.get("type", "str")
    if kind not in COLUMN_TYPES:
        raise ValueError(f"sources.toml [{source}] {raw.get('header')}: unknown type {kind!r}")
    return ColumnSpec(
        header=raw["header"],
        column=raw["column"],
        type=kind,
        formats=tuple(raw.get("formats", ())),
        id=bool(raw.get("id", False)),
        id_chars=raw.get("id_chars"),
        required=bool(raw.get("required", True)),
        **_value_checks(source, kind, raw),
    )


def _value_checks(source: str, kind: str, raw: dict) -> dict:
    """The checks of a column's values (`allowed`, `min`/`max`, `earliest`/`latest`,
    `not_before_birth`), each only on a column whose type it fits."""
    where = f"sources.toml [{source}] {raw.get('header')}"
    fits = {
        "allowed": kind == "str",
        "min": kind in ("decimal", "int"),
        "max": kind in ("decimal", "int"),
        "earliest": kind in ("date", "datetime", "yearmonth"),
        "latest": kind in ("date", "datetime", "yearmonth"),
        "not_before_birth": kind in ("date", "datetime"),
    }
    for key, ok in fits.items():
        if key in raw and not ok:
            raise ValueError(f"{where}: {key} does not apply to type {kind}")
    latest = raw.get("latest")
    if latest not in (None, AS_OF):
        raise ValueError(f"{where}: latest must be {AS_OF!r}")
    earliest = raw.get("earliest")
    return {
        "allowed": tuple(raw.get("allowed", ())),
        "min": None if raw.get("min") is None else Decimal(str(raw["min"])),
        "max": None if raw.get("max") is None else Decimal(str(raw["max"])),
        "earliest": None if earliest is None else dt.date.fromisoformat(str(earliest)),
        "not_after_as_of": latest == AS_OF,
        "not_before_birth": bool(raw.get("not_before_birth", False)),
    }


def _source(name: str, raw: dict) -> SourceSpec:
    columns = tuple(_column(name, c) for c in raw["columns"])
    if sum(c.id for c in columns) > 1:
        raise ValueError(f"sources.toml [{name}]: more than one id column")
    return SourceSpec(
        name=name, path=raw["path"], agency=raw["agency"], title=raw["title"], columns=columns
    )


@cache
def _load(path: Path) -> tuple[SourceSpec, ...]:
    with path.open("rb") as f:
        raw = tomllib.load(f)
    return tuple(_source(name, table) for name, table in raw.items())


def load_specs(path: Path = SOURCES_TOML) -> dict[str, SourceSpec]:
    """Every source mapping by name, in file order (read once per process)."""
    return {spec.name: spec for spec in _load(Path(path))}


def source_names() -> tuple[str, ...]:
    """Every source of a night, in `sources.toml` order (read on first use)."""
    return tuple(spec.name for spec in _load(SOURCES_TOML))
