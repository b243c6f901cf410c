"""The words every layer shares (词汇): roster statuses, schemes, source titles, identity
columns and the money type.

Spelled once here and imported everywhere else, so a connector that adds an identity
column or a status renamed by the bureau changes every rule, the generator and the
reports together. Depends on nothing in the project.
"""

from __future__ import annotations

import polars as pl

__all__ = [
    "ACTIVE_STATUSES",
    "CONTRIBUTING",
    "DERIVED_COLUMNS",
    "IDENTITY_COLUMNS",
    "MONEY",
    "RECEIVING",
    "RESIDENT_SCHEME",
    "ROSTER_STATUSES",
    "SOURCE_TITLES",
    "SUSPENDED",
    "TERMINATED",
]

#: Money in every table: DECIMAL(12,2) yuan (元).
MONEY = pl.Decimal(12, 2)

# Roster statuses (参保状态) as the pension roster spells them.
CONTRIBUTING = "参保缴费"
RECEIVING = "待遇领取"
SUSPENDED = "暂停"
TERMINATED = "终止"
ROSTER_STATUSES = (CONTRIBUTING, RECEIVING, SUSPENDED, TERMINATED)
#: Statuses of a record still on the roster (not yet deregistered).
ACTIVE_STATUSES = (CONTRIBUTING, RECEIVING, SUSPENDED)

#: The scheme this bureau runs (城乡居民基本养老保险), as the payment extracts name it.
RESIDENT_SCHEME = "城乡居民基本养老保险"

#: Each death-evidence source's title in the staff's words.
SOURCE_TITLES = {
    "hukou": "公安户籍",
    "death_certificates": "死亡医学证明",
    "funeral": "民政火化记录",
    "medical_enrollment": "医保终止参保",
    "status_changes": "社保局参保终止",
}

#: Identity columns every connector adds after the source's own columns, with their types.
IDENTITY_COLUMNS: dict[str, pl.DataType] = {
    "citizen_id": pl.String,
    "id_status": pl.String,
    "id_clean": pl.String,
    "id_birth_date": pl.Date,
    "id_sex": pl.String,
}
#: Columns a connector derives (line number and identity), never part of a record's key.
DERIVED_COLUMNS = ("line_no", *IDENTITY_COLUMNS)
