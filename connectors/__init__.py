"""Connectors: read a night's agency extracts into canonical, typed frames (读取来源文件).

The mapping of each agency file lives in `sources.toml`; `read_night` reads a drop folder,
`read_source` one file. Modules, in reading order: `spec` (the mappings), `encoding`
(UTF-8/BOM/GB18030), `table` (CSV/XLSX to text cells), `typed` (text to types),
`identity` and `derived` (added columns), `canonical` (one source's frame and rejected
cells), `source` (one file), `night` (the folder).
"""

from __future__ import annotations

from pensionlink.connectors.errors import SourceMissing, SourceRejected
from pensionlink.connectors.night import NightExtract, Snapshots, read_night
from pensionlink.connectors.source import SourceRead, read_source
from pensionlink.connectors.spec import load_specs, source_names

__all__ = [
    "NightExtract",
    "Snapshots",
    "SourceMissing",
    "SourceRead",
    "SourceRejected",
    "load_specs",
    "read_night",
    "read_source",
    "source_names",
]
