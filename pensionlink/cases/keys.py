"""Pseudonymous person keys (人员代码): what the case store holds instead of a citizen ID.

HMAC-SHA256 of the citizen ID, 16 hex characters, with the key the caller derives from
the warehouse's database key (`warehouse.database_key.pseudonym_key`) — the same
`person_key` the analysts' copy carries, so a case can be followed there too. Only the
encrypted warehouse maps a key back to a person. The cases layer sits below the
warehouse, so it is handed the key, never reads it.
"""

from __future__ import annotations

import hashlib
import hmac

import polars as pl

__all__ = ["person_keys"]

_DOMAIN = b"citizen_id\x00"


def person_keys(citizen_ids: pl.Series, key: bytes) -> pl.Series:
    """Each citizen ID's person key (null for null)."""
    distinct = citizen_ids.drop_nulls().unique().to_list()
    mapping = {
        v: hmac.new(key, _DOMAIN + v.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
        for v in distinct
    }
    return citizen_ids.replace_strict(mapping, default=None, return_dtype=pl.String).alias(
        "person_key"
    )
