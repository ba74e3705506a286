"""Cron stepping in a time zone: Airflow's step rules, and the jump over long backlogs
(checked against plain step-by-step walking)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kairflow.core.cron import CronError, CronSchedule, normalize_cron
from kairflow.core.cron_seek import next_offset_change, seek
from tests.hypothesis_profiles import examples


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


STEPS = [
    pytest.param("0 * * * *", False, id="an hourly cron steps by elapsed time"),
    pytest.param("*/15 * * * 1-5", False, id="a cron with every hour steps by elapsed time"),
    pytest.param("0 0-23 * * *", False, id="0-23 is every hour too"),
    pytest.param("0 0 * * *", True, id="a daily cron follows the wall clock"),
    pytest.param("*/5 9-17 * * 1-5", True, id="office hours follow the wall clock"),
    pytest.param("0 */2 * * *", True, id="every other hour follows the wall clock"),
]


@pytest.mark.parametrize(("expression", "wall_clock"), STEPS)
def test_which_crons_follow_the_wall_clock(expression: str, wall_clock: bool) -> None:
    assert CronSchedule(expression, ZoneInfo("UTC")).wall_clock is wall_clock


ALIGN = [
    pytest.param(
        "2026-01-01 00:00", "2026-01-01 00:00", "2026-01-01 00:00", id="a tick is aligned both ways"
    ),
    pytest.param(
        "2026-01-01 10:00",
        "2026-01-02 00:00",
        "2026-01-01 00:00",
        id="between ticks, the next and the previous tick",
    ),
]


@pytest.mark.parametrize(("moment", "to_next", "to_prev"), ALIGN)
def test_alignment(moment: str, to_next: str, to_prev: str) -> None:
    cron = CronSchedule("@daily", ZoneInfo("UTC"))
    assert cron.align_to_next(at(moment)) == at(to_next)
    assert cron.align_to_prev(at(moment)) == at(to_prev)


PRESETS = [
    ("@hourly", "0 * * * *"),
    ("@daily", "0 0 * * *"),
    ("@weekly", "0 0 * * 0"),
    ("@monthly", "0 0 1 * *"),
    ("@quarterly", "0 0 1 */3 *"),
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("  0   0 * * *  ", "0 0 * * *"),
]


@pytest.mark.parametrize(("text", "expression"), PRESETS, ids=repr)
def test_presets_are_airflow_presets(text: str, expression: str) -> None:
    assert normalize_cron(text) == expression


BAD = [
    pytest.param("61 * * * *", "minute field: 61 is out of range 0-59", id="minute 61"),
    pytest.param("* 24 * * *", "hour field: 24 is out of range 0-23", id="hour 24"),
    pytest.param("* * 0 * *", "day-of-month field: 0 is out of range 1-31", id="day 0"),
    pytest.param("* * * 13 *", "month field: 13 is out of range 1-12", id="month 13"),
    pytest.param("* * * * 8", "day-of-week field: 8 is out of range 0-7", id="weekday 8"),
    pytest.param(
        "* * * FOO *",
        "month field: 'FOO' is not a number or a known name",
        id="an unknown month name",
    ),
    pytest.param("5-1 * * * *", "minute field: range '5-1' goes backwards", id="a wrapped range"),
    pytest.param("*/0 * * * *", "minute field: step 0 in '*/0' is not valid", id="step zero"),
    pytest.param("0 0 ? * *", "day-of-month field: '?' is not valid", id="a question mark"),
    pytest.param("* * *", "a cron expression has 5 fields", id="too few fields"),
    pytest.param("* * * * * *", "a cron expression has 5 fields", id="seconds are not supported"),
    pytest.param("0 0 30 2 *", "never fires", id="February 30th never comes"),
    pytest.param("@fortnightly", "unknown preset '@fortnightly'", id="an unknown preset"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_crons_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CronError, match=message.replace("?", r"\?").replace("*", r"\*")):
        normalize_cron(text)


def test_offset_changes_are_found_to_the_second() -> None:
    tz = ZoneInfo("America/New_York")
    assert next_offset_change(tz, at("2026-01-01 00:00"), at("2026-12-31 00:00")) == at(
        "2026-03-08 07:00"
    )
    assert next_offset_change(tz, at("2026-03-08 07:00"), at("2026-12-31 00:00")) == at(
        "2026-11-01 06:00"
    )
    assert next_offset_change(tz, at("2026-03-09 00:00"), at("2026-10-01 00:00")) is None
    assert next_offset_change(ZoneInfo("UTC"), at("2016-01-01 00:00"), at("2026-01-01")) is None


# Seeking must land exactly where walking one step at a time lands.
CRONS = [
    "0 0 * * *",
    "30 2 * * *",
    "30 1 * * *",
    "0 * * * *",
    "*/20 * * * *",
    "0 */2 * * *",
    "0 9,17 * * *",
    "0,30 1,2 * * *",
    "*/30 0-3 * * *",
    "0 * * * 1-5",
    "*/5 9-17 * * 1-5",
    "0 0 31 * *",
    "45 23 * * 6",
    "0 0,12 1 * *",
    "30 0-4/2 * * *",
]
ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Seoul",
]


def walk(cron: CronSchedule, element: datetime, target: datetime, data_interval: bool) -> datetime:
    while True:
        following = cron.next_after(element)
        if data_interval:
            following = cron.align_to_prev(following)
        if following > target or following <= element:
            return element
        element = following


@settings(max_examples=examples(60), deadline=None)
@given(
    expression=st.sampled_from(CRONS),
    zone=st.sampled_from(ZONES),
    start_minutes=st.integers(0, 3 * 365 * 24 * 60),
    span_hours=st.integers(0, 40 * 24),
    data_interval=st.booleans(),
)
def test_seeking_lands_where_walking_lands(
    expression: str, zone: str, start_minutes: int, span_hours: int, data_interval: bool
) -> None:
    cron = CronSchedule(expression, ZoneInfo(zone))
    element = cron.align_to_next(at("2024-01-01 00:00") + timedelta(minutes=start_minutes))
    target = element + timedelta(hours=span_hours, minutes=7)

    def step(current: datetime) -> datetime:
        following = cron.next_after(current)
        return cron.align_to_prev(following) if data_interval else following

    assert seek(cron, step, element, target) == walk(cron, element, target, data_interval)
