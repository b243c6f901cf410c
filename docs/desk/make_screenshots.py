"""Take the README's screenshots of the desk from a generated night (no real people).

    .venv/bin/python docs/desk/make_screenshots.py [--out docs/desk]

Generates a 3,000-person night (seed 11) in a temporary folder, publishes it, adds three
throwaway users, serves the desk on loopback and has Debian's Chromium (Playwright) take
the home page, a doubtful pair and a death case. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import polars as pl
import uvicorn
from playwright.sync_api import sync_playwright

from pensionlink.offline import go_offline

PASSWORD = "screenshot-pass-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    out = parser.parse_args().out
    os.environ.setdefault("PENSIONLINK_DB_KEY", "screenshots-key-not-for-real-data")
    go_offline()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the tests' night helpers
    from pensionlink.cases_cli import list_cases
    from pensionlink.desk.app import DeskConfig, create_app
    from tests.browser.test_desk import queued_pair
    from tests.desk.desk_night import add_user, build_night

    with tempfile.TemporaryDirectory(prefix="pensionlink-shots-") as tmp:
        db = build_night(Path(tmp))
        pair = queued_pair(db)
        death = (
            list_cases(db)
            .filter((pl.col("kind") == "death") & (pl.col("state") == "confirmed"))
            .row(0, named=True)
        )
        add_user(db, "市局王", "city", password=PASSWORD)
        add_user(db, "村干事金", "village", pair["township"], pair["village"], PASSWORD)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(DeskConfig(db)), host="127.0.0.1", port=port, log_level="warning"
            )
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        shots = (
            ("市局王", "/", "home.png"),
            ("村干事金", f"/reviews/{pair['review_id']}", "pair.png"),
            ("市局王", f"/cases/{death['case_id']}", "death-case.png"),
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
            for name, path, file in shots:
                page = browser.new_context(viewport={"width": 1100, "height": 700}).new_page()
                page.goto(f"{base}/login")
                page.fill("input[name=username]", name)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/")
                page.goto(base + path)
                page.screenshot(path=str(out / file), full_page=True)
                page.context.close()
            browser.close()
        server.should_exit = True


if __name__ == "__main__":
    main()
