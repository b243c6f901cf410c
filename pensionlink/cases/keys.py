"""Pseudonymous person keys (人员代码): what the case store holds instead of a citizen ID.

HMAC-SHA256 of the citizen ID, 16 hex characters, with the key the caller derives from
the warehouse's database key (`warehouse.database_key.pseudonym_key`) — the same
`person_key` the analysts' copy carries, so a case can be followed there too. Only the
encrypted warehouse maps a key back to a person. The cases layer sits below the
warehouse, so it is handed the key, never reads it.
"""

from __future__ import annotations

import hashlib

import polars as pl

__all__ = ["person_keys"]

_DOMAIN = b"citizen_id\x00"


def person_keys(citizen_ids: pl.Series, key: bytes) -> pl.Series:
    """Each citizen ID's person key (null for null)."""
    distinct = citizen_ids.drop_nulls().unique().to_list()
    inner, outer = _hmac_pads(key)
    mapping = {}
    for v in distinct:  # HMAC-SHA256 (RFC 2104) from the keyed states: a million a night
        digest = inner.copy()
        digest.update(v.encode("utf-8"))
        final = outer.copy()
        final.update(digest.digest())
        mapping[v] = final.hexdigest()[:16]
    return citizen_ids.replace_strict(mapping, default=None, return_dtype=pl.String).alias(
        "person_key"
    )


def _hmac_pads(key: bytes) -> tuple:
    """SHA-256 states after the HMAC key pads (the inner one after the domain too), so
    each ID costs two hash updates instead of a new `hmac` object: the same digest as
    `hmac.new(key, _DOMAIN + id, sha256)`, in half the time."""
    block = hashlib.sha256().block_size
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded) + _DOMAIN)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    return inner, outer
