"""Status histories: a chain that holds together, or `unknown` status and review."""

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from pensionlink.findings.status_at_death import ever_receiving, status_at_death
from pensionlink.findings.status_history import START_STATES, history_problems

from tests.findings.night_frames import D, frame

STATES = ("参保缴费", "待遇领取", "暂停", "终止")


def change(no, before, after, day, reason=None):
    return {
        "pension_no": no,
        "status_before": before,
        "status_after": after,
        "changed_date": D(day) if isinstance(day, str) else day,
        "reason": reason,
    }


def roster(no, status):
    return {"citizen_id": f"id-{no}", "pension_no": no, "status": status}


def problems(roster_rows, change_rows) -> dict[str, str]:
    out = history_problems(
        frame("resident_roster", roster_rows), frame("status_changes", change_rows)
    )
    return dict(out.iter_rows())


def test_a_chain_in_order_holds():
    got = problems(
        [roster("P1", "终止")],
        [
            change("P1", "参保缴费", "待遇领取", "2020-01-01"),
            change("P1", "待遇领取", "暂停", "2025-03-01", "未按时认证"),
            change("P1", "暂停", "终止", "2025-09-01", "死亡"),
        ],
    )
    assert got == {}


def test_a_suspension_dated_after_the_termination_contradicts():
    # the example: 待遇领取 → 暂停 dated after the record's 暂停 → 终止
    got = problems(
        [roster("P1", "暂停")],
        [
            change("P1", "待遇领取", "暂停", "2025-03-01"),
            change("P1", "暂停", "终止", "2025-06-01", "死亡"),
            change("P1", "待遇领取", "暂停", "2025-08-01"),
        ],
    )
    assert "变更前状态与上一次变更后状态不符" in got["P1"]


def test_before_state_unlike_previous_after_state_and_current_status():
    got = problems(
        [roster("P1", "待遇领取"), roster("P2", "暂停")],
        [
            change("P1", "参保缴费", "待遇领取", "2020-01-01"),
            change("P1", "参保缴费", "暂停", "2024-01-01"),  # was 待遇领取
            change("P2", "待遇领取", "暂停", "2024-01-01"),
            change("P2", "暂停", "待遇领取", "2024-06-01"),  # roster still says 暂停
        ],
    )
    assert set(got) == {"P1", "P2"}
    assert "当前参保状态暂停与最后一次变更后状态待遇领取不符" in got["P2"]
    assert "当前参保状态待遇领取与最后一次变更后状态暂停不符" in got["P1"]


def test_same_day_changes_in_any_file_order_hold_when_some_order_does():
    ok = [
        change("P1", "参保缴费", "待遇领取", "2020-01-01"),
        change("P1", "暂停", "终止", "2025-06-01", "死亡"),  # listed first,
        change("P1", "待遇领取", "暂停", "2025-06-01"),  # but this came first that day
    ]
    assert problems([roster("P1", "终止")], ok) == {}
    impossible = [
        change("P2", "参保缴费", "待遇领取", "2020-01-01"),
        change("P2", "暂停", "终止", "2025-06-01"),
        change("P2", "终止", "暂停", "2025-06-01"),  # neither order starts from 待遇领取
    ]
    assert "P2" in problems([roster("P2", "终止")], impossible)


def test_missing_date_and_unreported_before_state():
    got = problems(
        [roster("P1", "暂停"), roster("P2", "暂停")],
        [
            change("P1", "待遇领取", "暂停", None),
            change("P2", "参保缴费", "待遇领取", "2020-01-01"),
            change("P2", None, "暂停", "2024-01-01"),  # empty before-state: not a contradiction
        ],
    )
    assert got == {"P1": "变更日期缺失"}


def test_a_history_that_starts_suspended_has_lost_a_change():
    # A record starts in 参保缴费 or 待遇领取; a first recorded change from 暂停 means the
    # change into 暂停 is missing, and the status before it cannot be known.
    got = problems(
        [roster("P1", "待遇领取"), roster("P2", "待遇领取"), roster("P3", "参保缴费")],
        [
            change("P1", "暂停", "待遇领取", "2025-09-03", "资格认证通过"),
            change("P2", "待遇领取", "暂停", "2025-01-03"),
            change("P2", "暂停", "待遇领取", "2025-09-03", "资格认证通过"),
            change("P3", None, "参保缴费", "2025-09-03"),  # unreported: not a contradiction
        ],
    )
    assert got == {"P1": "首次变更前状态为暂停或终止，缺少此前的变更记录"}


def test_unknown_status_where_the_history_contradicts_itself():
    rows = [roster("P1", "暂停"), roster("P2", "暂停")]
    changes = [
        change("P1", "待遇领取", "暂停", "2025-03-01"),
        change("P2", "参保缴费", "暂停", "2025-03-01"),
        change("P2", "待遇领取", "暂停", "2025-04-01"),
    ]
    r, c = frame("resident_roster", rows), frame("status_changes", changes)
    asked = pl.DataFrame({"pension_no": ["P1", "P2"], "on_date": [D("2025-05-01")] * 2})
    out = status_at_death(asked, r, c, history_problems(r, c))
    assert out["status_on_date"].to_list() == ["暂停", "unknown"]


def test_ever_receiving_up_to_the_latest_date_of_death():
    r = frame(
        "resident_roster",
        [roster("C", "终止"), roster("R", "终止"), roster("N", "参保缴费"), roster("Q", "暂停")],
    )
    c = frame(
        "status_changes",
        [
            change("C", "参保缴费", "终止", "2026-02-17", "死亡"),  # contributor, never received
            change("R", "参保缴费", "待遇领取", "2024-01-01"),
            change("R", "待遇领取", "终止", "2026-02-17", "死亡"),
            change("Q", "待遇领取", "暂停", "2026-03-01"),  # receiving until after the date
        ],
    )
    asked = pl.DataFrame({"pension_no": ["C", "R", "N", "Q", "X"], "until": [D("2026-02-17")] * 5})
    got = ever_receiving(asked, r, c)["ever_receiving"].to_list()
    # N has no change: today's 参保缴费; X is unknown to the roster
    assert got == [False, True, False, True, None]
    # Before R's first change R was still contributing.
    early = asked.filter(pl.col("pension_no") == "R").with_columns(until=D("2023-06-01"))
    assert ever_receiving(early, r, c)["ever_receiving"].to_list() == [False]
    # No date at all: any status ever in force counts.
    anytime = asked.with_columns(until=pl.lit(None, pl.Date))
    assert ever_receiving(anytime, r, c)["ever_receiving"].to_list() == [
        False,
        True,
        False,
        True,
        None,
    ]


@st.composite
def chains(draw):
    n = draw(st.integers(1, 6))
    states = [draw(st.sampled_from(START_STATES))]
    states += [draw(st.sampled_from(STATES)) for _ in range(n)]
    gaps = [draw(st.integers(0, 400)) for _ in range(n)]
    day = dt.date(2015, 1, 1)
    rows = []
    for i in range(n):
        day = day + dt.timedelta(days=gaps[i])
        rows.append(change("P", states[i], states[i + 1], day))
    order = draw(st.permutations(range(n)))
    return [rows[i] for i in order], states[-1]


@settings(max_examples=60, deadline=None)
@given(chains())
def test_any_chain_in_any_file_order_holds(history):
    rows, last = history
    assert problems([roster("P", last)], rows) == {}


@settings(max_examples=60, deadline=None)
@given(chains(), st.data())
def test_a_changed_before_state_or_current_status_is_found(history, data):
    rows, last = history
    other = data.draw(st.sampled_from([s for s in STATES if s != last]))
    assert "P" in problems([roster("P", other)], rows)
    if len(rows) >= 2 and len({r["changed_date"] for r in rows}) == len(rows):
        by_day = sorted(rows, key=lambda r: r["changed_date"])
        i = data.draw(st.integers(1, len(rows) - 1))
        wrong = [s for s in STATES if s != by_day[i - 1]["status_after"]]
        by_day[i] = {**by_day[i], "status_before": data.draw(st.sampled_from(wrong))}
        assert "P" in problems([roster("P", last)], by_day)


def test_a_days_changes_that_can_end_on_two_states_hold_with_either():
    """参保缴费→待遇领取, 待遇领取→参保缴费 and 参保缴费→参保缴费 on one day can be put in an
    order ending on either state: the roster's status today is one of them, whichever it
    is; a third state is not (hypothesis found the first order tried ending on the other)."""
    day = [
        change("P", "待遇领取", "参保缴费", "2015-01-01"),
        change("P", "参保缴费", "待遇领取", "2015-01-01"),
        change("P", "参保缴费", "参保缴费", "2015-01-01"),
    ]
    later = [*day, change("P", "参保缴费", "参保缴费", "2015-01-01")]
    assert problems([roster("P", "参保缴费")], day) == {}
    assert problems([roster("P", "待遇领取")], day) == {}
    assert problems([roster("P", "参保缴费")], later) == {}
    assert "当前参保状态暂停" in problems([roster("P", "暂停")], day)["P"]
