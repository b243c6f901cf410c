"""Person keys: HMAC-SHA256 of the citizen ID under the pseudonym key, 16 hex characters —
the same keys as the standard library's `hmac` gives (they are stored in the case store
and the analysts' copy, so they may never change)."""

import hashlib
import hmac

import polars as pl

from pensionlink.cases.keys import person_keys

IDS = ["222405194408239619", "22240519440823961X", "龙井", None, "222405194408239619"]


def _reference(key: bytes, value: str) -> str:
    return hmac.new(key, b"citizen_id\x00" + value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def test_keys_are_hmac_sha256_of_the_id():
    for key in (b"a-test-key-for-pseudonyms-0001", b"k" * 64, b"long" * 40, b""):
        got = person_keys(pl.Series(IDS), key).to_list()
        assert got == [_reference(key, v) if v is not None else None for v in IDS], key
    assert person_keys(pl.Series(IDS), b"k").name == "person_key"


def test_a_known_key():
    # hmac.new(b"secret", b"citizen_id\x00222405194408239619", sha256).hexdigest()[:16]
    assert person_keys(pl.Series(["222405194408239619"]), b"secret")[0] == "669b8267a385d761"
