"""The printed documents as staff preview them in the browser (network cut off): with
several pages in one document, no page's white margin covers the next page's title."""

from __future__ import annotations

import itertools
from pathlib import Path

from pensionlink.reports.death_documents import render_notices
from pensionlink.reports.subsidy_forms import render_approval_forms
from tests.pensionlink.reports.case_rows import death
from tests.pensionlink.reports.test_death_documents import TERMS
from tests.pensionlink.reports.test_subsidy_forms import AS_OF, BUREAU, _frames

# Each page's outline (its margins on screen) and every title's box, in CSS pixels.
_LAYOUT = """() => [...document.querySelectorAll('.page')].map(p => {
  const r = p.getBoundingClientRect(), h = p.querySelector('h1').getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, outline: parseFloat(getComputedStyle(p).outlineWidth),
          title_top: h.top};
})"""


def test_no_page_covers_the_next_pages_title(offline_page, tmp_path: Path) -> None:
    documents = {
        "notices.html": render_notices([death(), death(case_id="D000124")], TERMS),
        "approvals.html": render_approval_forms(*_frames(), AS_OF, BUREAU),
    }
    for name, html in documents.items():
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        offline_page.open(path.as_uri())
        pages = offline_page.page.evaluate(_LAYOUT)
        assert len(pages) == 2, name
        for before, after in itertools.pairwise(pages):
            covered_to = before["bottom"] + before["outline"]
            next_margin_from = after["top"] - after["outline"]
            assert covered_to <= next_margin_from <= after["title_top"], (name, before, after)
        assert offline_page.left == [] and offline_page.errors == []
