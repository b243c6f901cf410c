"""The desk's tables in the case store, on both backends: users (a name once), sessions
(expired, ended, or their user disabled: gone), the append-only audit and its counts."""

from __future__ import annotations

import datetime as dt

import pytest

from pensionlink.cases.store import Statement, open_case_store


def test_users_sessions_and_audit(store_location):
    future = (dt.datetime.now() + dt.timedelta(hours=1)).isoformat()
    past = (dt.datetime.now() - dt.timedelta(seconds=1)).isoformat()
    with open_case_store(store_location) as store:
        row = {
            "name": "王",
            "role": "village",
            "township": "三合镇",
            "village": "三合村",
            "password_hash": "$argon2id$…",
        }
        store.add_user(row)
        with pytest.raises(LookupError, match="已存在"):
            store.add_user(row)
        store.add_user({**row, "name": "李", "role": "city", "township": None, "village": None})
        assert [u["name"] for u in store.users()] == ["李", "王"]
        store.open_session("live", "王", "csrf-1", future)
        store.open_session("old", "王", "csrf-2", past)
        assert store.session("live")["csrf_token"] == "csrf-1"
        assert store.session("live")["village"] == "三合村"
        assert store.session("old") is None  # expired
        store.open_session("ended", "李", "csrf-3", future)
        store.end_session("ended")
        assert store.session("ended") is None
        store.disable_user("王")
        assert store.session("live") is None and store.user("王")["disabled"] == 1
        with pytest.raises(LookupError):
            store.disable_user("nobody")
        since = dt.datetime.now() - dt.timedelta(minutes=1)
        for _ in range(3):
            store.record_audit("王", "login_failed", client="10.0.0.9")
        store.record_audit("李", "login_failed", client="10.0.0.8")
        assert store.audit_count("login_failed", since, who="王") == 3
        assert store.audit_count("login_failed", since, client="10.0.0.8") == 1
        assert store.audit_count("login_failed", dt.datetime.now() + dt.timedelta(1), who="王") == 0
        assert store.desk_audit().height == 4
        for sql in ("UPDATE desk_audit SET who = 'x'", "DELETE FROM desk_audit"):
            with pytest.raises(Exception, match="append-only"):
                store._db.execute(Statement(sql))
