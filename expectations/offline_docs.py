"""Data Docs that load nothing from the internet (离线数据校验报告).

Great Expectations writes pages that fetch bootstrap, jQuery, bootstrap-table, vega,
font-awesome and more from public CDNs, and GX's logo from a cloud bucket with a
timestamp in its URL. On the bureau's offline intranet such pages show bare links and
empty tables (bootstrap-table fills them in the browser); online, every reading tells
third parties that staff opened them. The project ships pinned copies of those files
(``data_docs_assets/``, each with its licence; see its README) and, after GX writes a
site, `localise_site` copies them into ``static/vendor/`` of the site and
`localise_page` points every page at them.

GX 1.x offers no setting for this: the CDN addresses are written into its Jinja
templates (``page.j2``, ``js_script_imports.j2``, ``top_navbar.j2``…) and a custom
views directory is consulted only after GX's own templates.

Links a reader could click to reach the internet (GX's home page, its newsletter
footer) are removed too: nobody on the intranet can follow them, and nothing on a
page should point outside the machine.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "ASSETS_DIR",
    "CDN_ASSETS",
    "VENDOR",
    "external_references",
    "localise_page",
    "localise_site",
]

logger = logging.getLogger(__name__)

#: The pinned copies shipped with the project (README.md there: versions, sources, licences).
ASSETS_DIR = Path(__file__).with_name("data_docs_assets")
#: Where the copies go inside a written site.
VENDOR = "static/vendor"

#: Each address GX 1.x writes, and the shipped file (under ``data_docs_assets/``) it means.
#: GX asks for bootstrap-table's filter-control CSS from 1.19.0 and the rest from 1.19.1:
#: both releases' CSS are the same bar the version comment, so 1.19.1's serves both.
CDN_ASSETS: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js-1.12.9/popper.min.js"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap-4.3.1/bootstrap.min.js"
    ),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap-4.3.1/bootstrap.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": ("bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": ("bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css"),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": ("bootstrap-dark-1.1.0/bootstrap-prefers-dark.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free-6.6.0/css/all.min.css"
    ),
    # Unpinned majors on the CDN: pinned here to the newest release of each (2026-12).
    "https://cdn.jsdelivr.net/npm/vega@5": "vega-5.33.1/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite-5.23.0/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed-6.29.0/vega-embed.min.js",
}

#: GX's logos in its bucket (the navbar's carries a timestamp to defeat caches). GX
#: copies its long logo into every site's ``static/images/``; the dark-mode one (white
#: on the dark navbar) is shipped, GX's ``logo-long.png`` in inverted colours.
_GX_LOGO = re.compile(
    r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/"
    r"(?P<logo>logo-long|full_logo_dark)\.png(?:\?[^\"')\s]*)?"
)
_LOCAL_LOGOS = {
    "logo-long": "static/images/logo-long.png",
    "full_logo_dark": f"{VENDOR}/great_expectations-1.24.1/logo-long-dark.png",
}

_ATTRIBUTE_URL = re.compile(
    r"(?P<lead>\b(?:src|href)\s*=\s*)(?P<q>[\"'])(?P<url>(?:https?:)?//[^\"']*)(?P=q)",
    re.IGNORECASE,
)
_CSS_URL = re.compile(
    r"(?P<lead>url\(\s*)(?P<q>[\"']?)(?P<url>(?:https?:)?//[^\"')\s]*)(?P=q)(?P<tail>\s*\))",
    re.IGNORECASE,
)
#: Subresource-integrity and CORS attributes: meant for CDNs, and ``crossorigin`` would
#: make a browser refuse a script opened from ``file://``.
_CDN_ATTRIBUTES = re.compile(r"\s(?:integrity|crossorigin)\s*=\s*([\"'])[^\"']*\1", re.I)
#: GX's "subscribe to our newsletter" footer (call to action).
_CTA_FOOTER = re.compile(r"<footer>(?:(?!</footer>).)*?newsletter.*?</footer>", re.I | re.S)
_EXTERNAL_LINK = re.compile(
    r"<a\s[^>]*?\bhref\s*=\s*([\"'])(?:https?:)?//[^\"']*\1[^>]*>(?P<text>.*?)</a>",
    re.I | re.S,
)
_ANY_EXTERNAL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s\"'<>)]*")


def _local(url: str, to_root: str) -> str | None:
    """The relative address of the shipped copy of ``url``, or None if none is shipped."""
    if url in CDN_ASSETS:
        return f"{to_root}{VENDOR}/{CDN_ASSETS[url]}"
    logo = _GX_LOGO.fullmatch(url)
    if logo:
        return f"{to_root}{_LOCAL_LOGOS[logo['logo']]}"
    return None


def localise_page(html: str, to_root: str = "") -> str:
    """``html`` with every shipped CDN address pointing at the local copy.

    ``to_root`` leads from the page to the site's root (``""`` for ``index.html``,
    ``"../"`` for ``expectations/x.html``). Integrity and ``crossorigin`` attributes
    go, as do GX's newsletter footer and links to outside pages (their text stays).
    Addresses with no shipped copy are left as they are (see `external_references`).
    """

    def swap(match: re.Match[str]) -> str:
        local = _local(match["url"], to_root)
        if local is None:
            return match[0]
        tail = match.groupdict().get("tail") or ""
        return f"{match['lead']}{match['q']}{local}{match['q']}{tail}"

    html = _CTA_FOOTER.sub("", html)
    html = _ATTRIBUTE_URL.sub(swap, html)
    html = _CSS_URL.sub(swap, html)
    html = _CDN_ATTRIBUTES.sub("", html)
    return _EXTERNAL_LINK.sub(lambda m: m["text"], html)


def external_references(html: str) -> list[str]:
    """Every address outside the machine still written in ``html`` (any ``http(s)://``
    or protocol-relative host address), in order, repeated as often as it occurs."""
    return _ANY_EXTERNAL.findall(html)


def _pages(docs_dir: Path) -> Iterable[Path]:
    vendor = docs_dir / VENDOR
    return (p for p in sorted(docs_dir.rglob("*.html")) if vendor not in p.parents)


def localise_site(docs_dir: Path) -> int:
    """Copy the shipped assets into ``docs_dir`` and rewrite every page to use them.

    Returns the number of pages rewritten; logs a warning naming any external address
    left (a GX release writing one this module does not know).
    """
    docs_dir = Path(docs_dir)
    shutil.copytree(ASSETS_DIR, docs_dir / VENDOR, dirs_exist_ok=True)
    pages = 0
    left: set[str] = set()
    for page in _pages(docs_dir):
        to_root = "../" * (len(page.relative_to(docs_dir).parts) - 1)
        html = page.read_text(encoding="utf-8")
        local = localise_page(html, to_root)
        if local != html:
            page.write_text(local, encoding="utf-8")
        left.update(external_references(local))
        pages += 1
    if left:
        logger.warning(
            "数据校验报告仍引用外部地址 Data Docs still reference outside addresses: %s",
            ", ".join(sorted(left)),
        )
    return pages
