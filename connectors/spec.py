"""The declarative source mappings (`sources.toml`) as typed, frozen objects.

Why: every agency file is described once, in data, so that adding a column or a date
format is an edit to `sources.toml` and not to code. This module only loads and checks
that file; reading the extracts is the job of the other connector modules.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["COLUMN_TYPES", "SOURCES_TOML", "ColumnSpec", "SourceSpec", "load_specs"]

SOURCES_TOML = Path(__file__).with_name("sources.toml")

#: The column types a mapping may use.
COLUMN_TYPES: frozenset[str] = frozenset({"str", "date", "datetime", "yearmonth", "decimal", "int"})


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
    )


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
