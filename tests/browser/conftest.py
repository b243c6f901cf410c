"""A real headless Chromium for the browser tests, launched once per session, and pages
whose requests never leave the machine.

Debian's ``chromium`` (``.ci/run`` installs it) is driven by Playwright through
``executable_path``: Playwright's own browser download is never used. Set
``PENSIONLINK_CHROMIUM`` to use another binary. The tests skip, saying why, only when
the browser cannot start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Error, Page, Route, sync_playwright

CHROMIUM = os.environ.get("PENSIONLINK_CHROMIUM", "/usr/bin/chromium")
#: Where a request may go: files, inline data, and this machine (the desk on loopback).
LOCAL_SCHEMES = frozenset({"file", "data", "blob", "about"})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

#: Rows of every table a reader sees, by id (bootstrap-table's header clones excluded;
#: its "no matching records" row is not a row).
_TABLE_ROWS = """() => [...document.querySelectorAll('table')]
  .filter(t => !t.closest('.fixed-table-header, .fixed-table-footer'))
  .map((t, i) => [t.id || `table ${i + 1}`,
                  t.querySelectorAll('tbody tr:not(.no-records-found)').length])"""


def is_local(url: str) -> bool:
    """Whether a request to ``url`` stays on this machine."""
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (
        parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname in LOOPBACK
    )


class OfflinePage:
    """A browser page with the network cut off: every request that would leave the
    machine is aborted and recorded in ``left``; uncaught script errors in ``errors``."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.left: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self._route)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route: Route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.left.append(url)
            route.abort("internetdisconnected")

    def open(self, url: str) -> None:
        """Load ``url`` and wait for its load event (its scripts, styles and images)."""
        self.page.goto(url, wait_until="load")

    def table_rows(self) -> dict[str, int]:
        """Rows shown by each table of the open page, by table id."""
        return dict(self.page.evaluate(_TABLE_ROWS))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium, started once per test module and stopped after it: Playwright's
    sync API keeps an event loop running while it is started, and Prefect's sync calls
    (`Flow.to_deployment`) then return coroutines in every later test of the session."""
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
    except Error as exc:
        playwright.stop()
        first = (exc.message or str(exc)).strip().splitlines()[0]
        pytest.skip(f"Chromium cannot start ({CHROMIUM}): {first}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[OfflinePage]:
    """A fresh page (own context: no cache or cookies shared) with the network cut off."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield OfflinePage(context.new_page())
    context.close()
