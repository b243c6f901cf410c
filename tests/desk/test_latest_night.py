"""The desk reads whatever night is published now, without holding publication up: a
reader keeps the night it opened whole while a new one is published, and the next read
opens the new file (LatestNight, one connection per published file)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from pensionlink.warehouse.published import LatestNight, NoNightYet
from pensionlink.warehouse.queries import latest_published_run
from tests.pensionlink.tiny_warehouse import publish_night

D1, D2 = dt.date(2026, 11, 27), dt.date(2026, 11, 28)
STARTED = dt.datetime(2026, 11, 28, 2, 0)


def test_a_reader_never_blocks_a_night_and_sees_the_new_one_next(tmp_path):
    db = tmp_path / "pensionlink.duckdb"
    night = LatestNight(db)
    with pytest.raises(NoNightYet), night.read():
        pass
    first, _ = publish_night(db, D1, {"三合镇": 10}, STARTED)
    with night.read() as (warehouse, cache, identity):
        assert warehouse.frame(latest_published_run())["run_id"][0] == first
        cache["people"] = "computed once"
        # a night publishes while this reader holds the file (in another thread: the
        # desk's requests run in threads too); it must not wait for the reader
        done = threading.Event()
        result = {}

        def publish() -> None:
            result["run"] = publish_night(db, D2, {"三合镇": 11}, STARTED + dt.timedelta(1))
            done.set()

        worker = threading.Thread(target=publish)
        worker.start()
        assert done.wait(60), "publication waited for a reader"
        worker.join()
        # the reader still reads the night it opened, whole
        assert warehouse.frame(latest_published_run())["run_id"][0] == first
    second = result["run"][0]
    with night.read() as (warehouse, cache, later):
        assert warehouse.frame(latest_published_run())["run_id"][0] == second
        assert later != identity and "people" not in cache  # computed anew for the new file
    with night.read() as (_, cache, again):
        assert again == later  # the same file: the same connection and cache
    night.close()
