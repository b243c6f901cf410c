"""The coverage rate's one rule (findings.coverage.coverage_rate), hand-computed."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pensionlink.findings.coverage import RATE_DIGITS, coverage_rate


def _rates(insured: list, residents: list, **kwargs) -> list:
    frame = pl.DataFrame(
        {"insured": insured, "residents_16_plus": residents},
        schema={"insured": pl.Int64, "residents_16_plus": pl.Int64},
    )
    return frame.select(coverage_rate(**kwargs))["insured"].to_list()


def test_insured_over_residents_to_four_places():
    assert _rates([2, 1300, 279, 0], [7, 1500, 300, 40]) == [0.2857, 0.8667, 0.93, 0.0]


def test_no_residents_no_rate():
    assert _rates([0, None, 3], [0, 10, None]) == [None, None, None]


def test_exact_rate_for_a_shorter_percentage():
    # 6,319 of 7,500 = 0.842533…: kept as 0.8425, shown as 84.3 % from the exact rate.
    assert _rates([6319], [7500]) == [0.8425]
    assert _rates([6319], [7500], digits=None) == [pytest.approx(6319 / 7500)]
    assert f"{_rates([6319], [7500], digits=None)[0] * 100:.1f}" == "84.3"


def test_named_columns_and_expressions():
    frame = pl.DataFrame({"a": [3], "b": [4]})
    assert frame.select(coverage_rate("a", "b"))["a"].item() == 0.75
    assert frame.select(coverage_rate(pl.col("a") * 2, pl.col("b") * 4))["a"].item() == 0.375


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 10**6)), max_size=30))
def test_rate_is_between_zero_and_one_and_close_to_the_ratio(pairs):
    pairs = [(min(i, r), r) for i, r in pairs]
    got = _rates([i for i, _ in pairs], [r for _, r in pairs])
    for (i, r), rate in zip(pairs, got, strict=True):
        assert 0.0 <= rate <= 1.0
        assert abs(rate - i / r) <= 0.5 * 10**-RATE_DIGITS + 1e-12
