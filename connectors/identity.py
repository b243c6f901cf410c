"""Add the normalised citizen ID to a source that carries one.

Why: the ID is the join key to the hukou spine, so every ID-bearing frame leaves the
connector with the same identity columns, computed by the one normaliser in
`connectors.citizen_id`: ``citizen_id`` (18 characters, or null), ``id_status``,
``id_clean`` (used by the matcher to repair typos), and the birth date and sex the ID
encodes as ``id_birth_date``/``id_sex`` (renamed so they never clash with a source's own
``birth_date``/``sex``). The raw column is kept as delivered.
"""

from __future__ import annotations

import polars as pl
from pensionlink.connectors.citizen_id import normalise_citizen_id
from pensionlink.connectors.spec import ColumnSpec, SourceSpec

from pensionlink.vocabulary import IDENTITY_COLUMNS

__all__ = ["IDENTITY_COLUMNS", "add_identity", "id_text"]

# struct field of normalise_citizen_id → output column
_FIELDS = {
    "citizen_id": "citizen_id",
    "id_status": "id_status",
    "id_clean": "id_clean",
    "birth_date": "id_birth_date",
    "sex": "id_sex",
}
_STRUCT = "__citizen_id__"


def id_text(col: ColumnSpec) -> pl.Expr:
    """The text holding the ID; with ``id_chars`` (a 残疾人证号 is the 18-character ID
    followed by category and grade digits) only its first characters, spaces removed."""
    raw = pl.col(col.column)
    if col.id_chars is None:
        return raw
    return raw.str.replace_all(r"\s", "").str.slice(0, col.id_chars)


def add_identity(frame: pl.DataFrame, spec: SourceSpec) -> pl.DataFrame:
    """``frame`` plus the identity columns (unchanged if the source has no ID column)."""
    col = spec.id_column
    if col is None:
        return frame
    staged = frame.with_columns(normalise_citizen_id(id_text(col)).alias(_STRUCT))
    return staged.with_columns(
        pl.col(_STRUCT).struct.field(field).alias(name) for field, name in _FIELDS.items()
    ).drop(_STRUCT)
