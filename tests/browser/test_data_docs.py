"""A night's Data Docs in a real browser with the network cut off: nothing leaves the
machine, the scripts run (bootstrap-table fills the tables in the browser), every table
has rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pensionlink.flows.nightly import data_docs_dir, run_night

from pensionlink.settings import Settings, load_policy

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def data_docs(sample_night: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Data Docs of the sample night, published by the plain pipeline function."""
    db = tmp_path_factory.mktemp("wh") / "pensionlink.duckdb"
    run_night(Settings(extracts=sample_night, db=db, as_of=AS_OF, policy=load_policy(AS_OF)))
    return data_docs_dir(db)


def test_the_harness_records_and_stops_what_would_leave(offline_page, tmp_path: Path) -> None:
    page = tmp_path / "leaky.html"
    page.write_text(
        '<link rel="stylesheet" href="https://cdn.example.org/x.css">'
        '<script src="http://cdn.example.org/x.js"></script>'
        "<table><tbody></tbody></table><table><tbody><tr><td>1</td></tr></tbody></table>",
        encoding="utf-8",
    )
    offline_page.open(page.as_uri())
    assert sorted(offline_page.left) == [
        "http://cdn.example.org/x.js",
        "https://cdn.example.org/x.css",
    ]
    assert offline_page.table_rows() == {"table 1": 0, "table 2": 1}


def test_every_page_works_with_the_network_cut_off(data_docs: Path, offline_page) -> None:
    pages = sorted(p for p in data_docs.rglob("*.html") if "static" not in p.parts)
    assert data_docs / "index.html" in pages
    assert len(pages) >= 31  # the index, and a suite and a result for each of 15 sources
    for page in pages:
        name = str(page.relative_to(data_docs))
        offline_page.open(page.as_uri())
        assert offline_page.left == [], name
        assert offline_page.errors == [], name
        assert offline_page.page.evaluate("typeof jQuery.fn.bootstrapTable") == "function", name
        rows = offline_page.table_rows()
        assert rows, name
        assert all(rows.values()), (name, rows)
