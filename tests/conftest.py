"""Shared test setup: offline, quiet, and where the shared sample night lives."""

import os
from pathlib import Path

import pytest
from hypothesis import settings

from pensionlink.offline import go_offline

go_offline()  # what `pensionlink`'s main() sets, for tests that do not go through it
# The restricted database is encrypted; tests use their own throwaway key.
os.environ["PENSIONLINK_DB_KEY"] = "test-key-not-for-real-data-0123"
os.environ.pop("PENSIONLINK_DB_KEY_FILE", None)

REPO = Path(__file__).resolve().parents[1]

# Hypothesis's 200 ms deadline flakes on a loaded machine; timing belongs to benchmarks.
settings.register_profile("pensionlink", deadline=None)
settings.load_profile("pensionlink")


@pytest.fixture(scope="session")
def sample_night() -> Path:
    """`../shared/sample-night` beside the repository (PENSIONLINK_SAMPLE_NIGHT overrides)."""
    path = Path(os.environ.get("PENSIONLINK_SAMPLE_NIGHT", REPO.parent / "shared" / "sample-night"))
    if not path.is_dir():
        pytest.fail(f"sample night not found at {path}")
    return path


@pytest.fixture(scope="session")
def prefect_api():
    """One temporary Prefect API for every test that runs the real flow (it takes ~15 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
