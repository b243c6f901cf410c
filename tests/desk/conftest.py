"""One generated night published once for the desk's tests; each test works on a copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.desk.desk_night import build_night, copy_night


@pytest.fixture(scope="session")
def published_night(tmp_path_factory) -> Path:
    return build_night(tmp_path_factory.mktemp("desk-night"))


@pytest.fixture
def desk_db(published_night: Path, tmp_path: Path) -> Path:
    """A private copy of the published night (warehouse, case store, Data Docs)."""
    return copy_night(published_night, tmp_path / "desk")
