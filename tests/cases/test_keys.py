"""Person keys: HMAC-SHA256 of the citizen ID under the pseudonym key, 16 hex characters —
the same keys as the standard library's `hmac` gives (they are stored in the case store
and the analysts' copy, so they may never change)."""

import hashlib
import hmac

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pensionlink.cases.keys import PersonKeys, person_keys

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


_SOME_IDS = st.lists(
    st.one_of(st.none(), st.sampled_from(IDS[:3]), st.text(min_size=1, max_size=4)), max_size=12
)


@given(batches=st.lists(_SOME_IDS, min_size=1, max_size=5))
def test_the_nights_keys_are_the_same_keys_whatever_it_asked_before(batches):
    """`PersonKeys` remembers what it hashed; each answer is still the plain function's."""
    night = PersonKeys(b"a-test-key-for-pseudonyms-0001")
    for batch in batches:
        ids = pl.Series(batch, dtype=pl.String)
        got = person_keys(ids, night)
        assert got.name == "person_key" and got.len() == ids.len()
        assert got.to_list() == person_keys(ids, b"a-test-key-for-pseudonyms-0001").to_list()


def test_the_nights_keys_hash_each_id_once(monkeypatch):
    from pensionlink.cases import keys

    hashed: list[int] = []
    real = keys._keys
    monkeypatch.setattr(
        keys, "_keys", lambda ids, key, domain: hashed.append(ids.len()) or real(ids, key, domain)
    )
    night = PersonKeys(b"k")
    night(pl.Series(IDS))
    night(pl.Series(["22240519440823961X", "222405194408239619", "222405199001011234"]))
    assert hashed == [3, 1]  # three distinct IDs, then only the one not seen
