"""End to end on generated nights: the published findings against the generator's truth.

Two seeds and two noise levels, so the rules are not tuned to one night. The thresholds
are floors the pipeline must keep; the numbers reached are in the README.
"""

from __future__ import annotations

import datetime as dt

import pytest

from flows.nightly import run_night
from pensionlink.settings import Settings, load_policy
from synth import generate_night
from synth.evaluate import evaluate_night

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="module", params=[(11, 1.0), (12, 2.0)], ids=["seed11", "seed12-noisy"])
def report(request, tmp_path_factory) -> dict:
    seed, noise = request.param
    root = tmp_path_factory.mktemp(f"night{seed}")
    night, db = root / "night", root / "pensionlink.duckdb"
    generate_night(night, people=4000, seed=seed, as_of=AS_OF, noise=noise)
    run_night(Settings(extracts=night, db=db, as_of=AS_OF, policy=load_policy(AS_OF)))
    return evaluate_night(night, db)


def test_no_living_person_is_confirmed_dead(report):
    deaths = report["deaths_to_deregister"]
    assert deaths["living_confirmed"] == 0
    assert deaths["confirmed_precision"] == 1.0


def test_deaths_found(report):
    deaths = report["deaths_to_deregister"]
    assert deaths["recall"] >= 0.9, deaths
    assert deaths["precision"] >= 0.95, deaths
    assert deaths["settlement_exact"] >= 0.99, deaths


def test_uninsured_found(report):
    uninsured = report["uninsured_eligible"]
    assert uninsured["precision"] >= 0.95, uninsured
    assert uninsured["recall"] >= 0.95, uninsured
    assert uninsured["category_agreement"] >= 0.98, uninsured


def test_funeral_benefits_found(report):
    funeral = report["duplicate_funeral_benefits"]
    assert funeral["precision"] >= 0.9, funeral
    assert funeral["recall"] >= 0.9, funeral
    assert funeral["amount_exact"] >= 0.95, funeral


def test_links_are_right(report):
    links = report["person_links"]
    assert links["precision"] >= 0.999, links
    assert links["recall"] >= 0.99, links
    assert links["review_share"] <= 0.01, links
