"""Which runs a DAG gets, schedule by schedule: the runs a scheduler seeing the DAG for
the first time at `now` creates, in order (times below are UTC).

Expected values were checked against Airflow 2.6.3 itself (with the DST rule of
apache/airflow#35887, see kairflow.core.cron) and against Airflow 2.10.5, whose
catchup-off answers we follow (see test_timetable_catchup_off.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kairflow.api import DAGSpec
from kairflow.core.run_info import DagRunInfo
from kairflow.core.timetable import restriction_for, timetable_for, upcoming_runs


def dag_spec(**fields: Any) -> DAGSpec:
    return DAGSpec.model_validate({"tasks": [{"name": "t"}], **fields})


def at(text: str) -> datetime:
    """A UTC instant written "2026-03-07 05:00" (seconds optional)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def show(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%d %H:%M")
    return text + (moment.strftime(":%S") if moment.second or moment.microsecond else "")


def intervals(runs: list[DagRunInfo]) -> list[str]:
    """Data-interval runs as "start -> end" (logical date = start, run after = end)."""
    for info in runs:
        assert info.logical_date == info.data_interval.start
        assert info.run_after == info.data_interval.end
    return [f"{show(i.data_interval.start)} -> {show(i.data_interval.end)}" for i in runs]


def first_runs(now: str, count: int = 3, **fields: Any) -> list[DagRunInfo]:
    spec = dag_spec(**fields)
    return upcoming_runs(
        timetable_for(spec), restriction_for(spec), last=None, now=at(now), count=count
    )


DST = [
    pytest.param(
        {"schedule": "0 0 * * *", "timezone": "America/New_York", "startDate": "2026-03-07"},
        "2026-03-09 12:00",
        [
            "2026-03-07 05:00 -> 2026-03-08 05:00",
            "2026-03-08 05:00 -> 2026-03-09 04:00",
            "2026-03-09 04:00 -> 2026-03-10 04:00",
        ],
        id="a daily run in New York stays at midnight across spring-forward (a 23h interval)",
    ),
    pytest.param(
        {"schedule": "0 0 * * *", "timezone": "America/New_York", "startDate": "2026-10-31"},
        "2026-11-03 12:00",
        [
            "2026-10-31 04:00 -> 2026-11-01 04:00",
            "2026-11-01 04:00 -> 2026-11-02 05:00",
            "2026-11-02 05:00 -> 2026-11-03 05:00",
        ],
        id="a daily run in New York stays at midnight across fall-back (a 25h interval)",
    ),
    pytest.param(
        {
            "schedule": "0 * * * *",
            "timezone": "America/New_York",
            "startDate": "2026-03-08T00:00:00",
        },
        "2026-03-09 00:00",
        [
            "2026-03-08 05:00 -> 2026-03-08 06:00",
            "2026-03-08 06:00 -> 2026-03-08 07:00",
            "2026-03-08 07:00 -> 2026-03-08 08:00",
            "2026-03-08 08:00 -> 2026-03-08 09:00",
        ],
        id="an hourly run in New York goes from 01:00 to 03:00 at spring-forward, nothing lost",
    ),
    pytest.param(
        {
            "schedule": "*/30 * * * *",
            "timezone": "America/New_York",
            "startDate": "2026-11-01T00:30:00-04:00",
        },
        "2026-11-02 00:00",
        [
            "2026-11-01 04:30 -> 2026-11-01 05:00",
            "2026-11-01 05:00 -> 2026-11-01 05:30",
            "2026-11-01 05:30 -> 2026-11-01 06:00",
            "2026-11-01 06:00 -> 2026-11-01 06:30",
            "2026-11-01 06:30 -> 2026-11-01 07:00",
        ],
        id="a half-hourly run in New York runs through the repeated hour twice at fall-back",
    ),
    pytest.param(
        {"schedule": "30 2 * * *", "timezone": "America/New_York", "startDate": "2026-03-07"},
        "2026-03-20 00:00",
        [
            "2026-03-07 07:30 -> 2026-03-08 07:30",
            "2026-03-08 07:30 -> 2026-03-09 06:30",
            "2026-03-09 06:30 -> 2026-03-10 06:30",
        ],
        id="02:30 does not exist on spring-forward day in New York: that run is at 03:30",
    ),
    pytest.param(
        {
            "schedule": "30 1 * * *",
            "timezone": "America/New_York",
            "startDate": "2026-10-31T00:00:00-04:00",
        },
        "2026-12-01 00:00",
        [
            "2026-10-31 05:30 -> 2026-11-01 06:30",
            "2026-11-01 06:30 -> 2026-11-02 06:30",
            "2026-11-02 06:30 -> 2026-11-03 06:30",
        ],
        id="01:30 happens twice on fall-back day in New York: the run is at the second one",
    ),
    pytest.param(
        {
            "schedule": "0 9,17 * * *",
            "timezone": "America/New_York",
            "startDate": "2026-03-07T09:00:00",
        },
        "2026-03-20 00:00",
        [
            "2026-03-07 14:00 -> 2026-03-07 22:00",
            "2026-03-07 22:00 -> 2026-03-08 13:00",
            "2026-03-08 13:00 -> 2026-03-08 21:00",
        ],
        id="runs at 09:00 and 17:00 in New York stay at those wall times across spring-forward",
    ),
    pytest.param(
        {"schedule": "0 0 * * *", "timezone": "Europe/London", "startDate": "2026-03-28"},
        "2026-04-01 00:00",
        [
            "2026-03-28 00:00 -> 2026-03-29 00:00",
            "2026-03-29 00:00 -> 2026-03-29 23:00",
            "2026-03-29 23:00 -> 2026-03-30 23:00",
        ],
        id="a daily run in London moves from 00:00 UTC to 23:00 UTC when BST starts",
    ),
    pytest.param(
        {"schedule": "30 1 * * *", "timezone": "Europe/London", "startDate": "2026-03-28"},
        "2026-04-01 00:00",
        [
            "2026-03-28 01:30 -> 2026-03-29 01:30",
            "2026-03-29 01:30 -> 2026-03-30 00:30",
            "2026-03-30 00:30 -> 2026-03-31 00:30",
        ],
        id="01:30 does not exist when BST starts in London: that run is at 02:30 BST",
    ),
    pytest.param(
        {"schedule": "0 1 * * *", "timezone": "Europe/London", "startDate": "2026-10-24T00:30:00"},
        "2026-11-01 00:00",
        [
            "2026-10-24 00:00 -> 2026-10-25 01:00",
            "2026-10-25 01:00 -> 2026-10-26 01:00",
            "2026-10-26 01:00 -> 2026-10-27 01:00",
        ],
        id="01:00 happens twice when BST ends in London: the run is at the second one (GMT)",
    ),
    pytest.param(
        {"schedule": "@hourly", "timezone": "Europe/London", "startDate": "2026-10-25"},
        "2026-10-25 03:00",
        [
            "2026-10-24 23:00 -> 2026-10-25 00:00",
            "2026-10-25 00:00 -> 2026-10-25 01:00",
            "2026-10-25 01:00 -> 2026-10-25 02:00",
            "2026-10-25 02:00 -> 2026-10-25 03:00",
        ],
        id="an hourly run in London runs 01:00 BST and 01:00 GMT, an hour apart",
    ),
    pytest.param(
        {
            "schedule": "0 0 * * *",
            "timezone": "Asia/Seoul",
            "startDate": "2021-01-01T00:00:00+09:00",
        },
        "2021-01-03 00:00",
        [
            "2020-12-31 15:00 -> 2021-01-01 15:00",
            "2021-01-01 15:00 -> 2021-01-02 15:00",
            "2021-01-02 15:00 -> 2021-01-03 15:00",
        ],
        id="a daily run in Seoul (no DST) is always at 15:00 UTC",
    ),
    pytest.param(
        {"schedule": "0 0 * * *", "timezone": "Asia/Seoul", "startDate": "2021-01-01"},
        "2021-01-03 00:00",
        [
            "2020-12-31 15:00 -> 2021-01-01 15:00",
            "2021-01-01 15:00 -> 2021-01-02 15:00",
            "2021-01-02 15:00 -> 2021-01-03 15:00",
        ],
        id="a start date without an offset is midnight in the DAG's time zone",
    ),
]


@pytest.mark.parametrize(("fields", "now", "expected"), DST)
def test_cron_schedules_follow_the_dag_time_zone(
    fields: dict[str, Any], now: str, expected: list[str]
) -> None:
    assert intervals(first_runs(now, len(expected), **fields)) == expected


CALENDAR = [
    pytest.param(
        {"schedule": "0 0 29 2 *", "startDate": "2023-01-01"},
        "2030-01-01 00:00",
        [
            "2024-02-29 00:00 -> 2028-02-29 00:00",
            "2028-02-29 00:00 -> 2032-02-29 00:00",
            "2032-02-29 00:00 -> 2036-02-29 00:00",
        ],
        id="a leap-day schedule runs every four years",
    ),
    pytest.param(
        {"schedule": "0 0 29 2 *", "startDate": "2096-03-01"},
        "2096-03-01 00:00",
        ["2104-02-29 00:00 -> 2108-02-29 00:00"],
        id="2100 is not a leap year",
    ),
    pytest.param(
        {"schedule": "0 0 31 * *", "startDate": "2026-01-15"},
        "2026-01-15 00:00",
        [
            "2026-01-31 00:00 -> 2026-03-31 00:00",
            "2026-03-31 00:00 -> 2026-05-31 00:00",
            "2026-05-31 00:00 -> 2026-07-31 00:00",
            "2026-07-31 00:00 -> 2026-08-31 00:00",
        ],
        id="the 31st skips the months that have no 31st",
    ),
    pytest.param(
        {"schedule": "@quarterly", "startDate": "2026-02-10"},
        "2026-01-01 00:00",
        [
            "2026-04-01 00:00 -> 2026-07-01 00:00",
            "2026-07-01 00:00 -> 2026-10-01 00:00",
            "2026-10-01 00:00 -> 2027-01-01 00:00",
        ],
        id="quarterly starts at the first quarter boundary after the start date",
    ),
    pytest.param(
        {"schedule": "@weekly", "startDate": "2026-01-01"},
        "2026-01-01 00:00",
        ["2026-01-04 00:00 -> 2026-01-11 00:00", "2026-01-11 00:00 -> 2026-01-18 00:00"],
        id="weekly runs cover Sunday to Sunday",
    ),
    pytest.param(
        {"schedule": "@yearly", "startDate": "2026-01-01"},
        "2026-01-01 00:00",
        ["2026-01-01 00:00 -> 2027-01-01 00:00", "2027-01-01 00:00 -> 2028-01-01 00:00"],
        id="a start date on a tick is the first interval's start",
    ),
    pytest.param(
        {"schedule": "@annually", "startDate": "2026-01-02"},
        "2026-01-01 00:00",
        ["2027-01-01 00:00 -> 2028-01-01 00:00"],
        id="annually is yearly",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01", "endDate": "2026-01-03"},
        "2026-02-01 00:00",
        [
            "2026-01-01 00:00 -> 2026-01-02 00:00",
            "2026-01-02 00:00 -> 2026-01-03 00:00",
            "2026-01-03 00:00 -> 2026-01-04 00:00",
        ],
        id="the end date bounds the interval start: the last run starts on the end date",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01", "endDate": "2026-01-02T12:00:00"},
        "2026-02-01 00:00",
        ["2026-01-01 00:00 -> 2026-01-02 00:00", "2026-01-02 00:00 -> 2026-01-03 00:00"],
        id="an end date between ticks keeps the interval that starts before it",
    ),
]


@pytest.mark.parametrize(("fields", "now", "expected"), CALENDAR)
def test_calendar_schedules(fields: dict[str, Any], now: str, expected: list[str]) -> None:
    count = len(expected) + 2 if "endDate" in fields else len(expected)  # an end is an end
    assert intervals(first_runs(now, count, **fields)) == expected


CATCHUP = [
    pytest.param(
        {"schedule": "@daily", "startDate": "2016-01-01", "catchup": True},
        "2016-01-05 06:00",
        [
            "2016-01-01 00:00 -> 2016-01-02 00:00",
            "2016-01-02 00:00 -> 2016-01-03 00:00",
            "2016-01-03 00:00 -> 2016-01-04 00:00",
            "2016-01-04 00:00 -> 2016-01-05 00:00",
            "2016-01-05 00:00 -> 2016-01-06 00:00",
        ],
        id="with catchup every interval since the start date comes, oldest first",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2015-12-01", "catchup": False},
        "2016-01-02 06:00",
        ["2016-01-01 00:00 -> 2016-01-02 00:00", "2016-01-02 00:00 -> 2016-01-03 00:00"],
        id="without catchup a daily DAG first seen at 06:00 runs yesterday's interval at once",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2015-12-01", "catchup": False},
        "2016-01-02 00:00",
        ["2016-01-01 00:00 -> 2016-01-02 00:00", "2016-01-02 00:00 -> 2016-01-03 00:00"],
        id="without catchup, first seen exactly at midnight, the interval ending now runs",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2016-02-01", "catchup": False},
        "2016-01-02 06:00",
        ["2016-02-01 00:00 -> 2016-02-02 00:00"],
        id="without catchup a start date in the future still comes first",
    ),
    pytest.param(
        {"schedule": "0 6 * * *", "startDate": "2020-01-01", "catchup": False},
        "2024-03-10 12:00",
        ["2024-03-09 06:00 -> 2024-03-10 06:00", "2024-03-10 06:00 -> 2024-03-11 06:00"],
        id="hello-world without catchup runs the interval that ended at 06:00 today",
    ),
]


@pytest.mark.parametrize(("fields", "now", "expected"), CATCHUP)
def test_catchup(fields: dict[str, Any], now: str, expected: list[str]) -> None:
    assert intervals(first_runs(now, len(expected), **fields)) == expected


DURATIONS = [
    pytest.param(
        {"schedule": "1d", "startDate": "2021-01-01"},
        "2021-01-01 00:00",
        ["2021-01-01 00:00 -> 2021-01-02 00:00", "2021-01-02 00:00 -> 2021-01-03 00:00"],
        id="a one-day duration runs day after day from the start date",
    ),
    pytest.param(
        {"schedule": "30m", "startDate": "2026-01-01T00:10:00"},
        "2026-01-01 00:00",
        ["2026-01-01 00:10 -> 2026-01-01 00:40", "2026-01-01 00:40 -> 2026-01-01 01:10"],
        id="a duration is not aligned to the clock",
    ),
    pytest.param(
        {"schedule": "PT5M", "startDate": "2026-01-01"},
        "2026-01-01 00:00",
        ["2026-01-01 00:00 -> 2026-01-01 00:05", "2026-01-01 00:05 -> 2026-01-01 00:10"],
        id="ISO-8601 durations work",
    ),
    pytest.param(
        {"schedule": "1d", "timezone": "America/New_York", "startDate": "2026-03-07"},
        "2026-03-07 00:00",
        ["2026-03-07 05:00 -> 2026-03-08 05:00", "2026-03-08 05:00 -> 2026-03-09 05:00"],
        id="a one-day duration is 24 hours, whatever DST does (01:00 after spring-forward)",
    ),
    pytest.param(
        {"schedule": "30m", "startDate": "2026-01-01T00:10:00", "catchup": False},
        "2026-01-01 05:17:23",
        [
            "2026-01-01 04:30 -> 2026-01-01 05:00",
            "2026-01-01 05:00 -> 2026-01-01 05:30",
        ],
        id="a duration without catchup starts with the latest interval on its grid",
    ),
]


@pytest.mark.parametrize(("fields", "now", "expected"), DURATIONS)
def test_duration_schedules(fields: dict[str, Any], now: str, expected: list[str]) -> None:
    assert intervals(first_runs(now, len(expected), **fields)) == expected


def test_once_runs_a_single_time_at_the_start_date_catchup_or_not() -> None:
    for catchup in (True, False):
        runs = first_runs(
            "2026-02-01 00:00",
            3,
            schedule="@once",
            startDate="2026-01-01T10:15:00",
            catchup=catchup,
        )
        assert [
            (
                show(i.logical_date),
                show(i.data_interval.start),
                show(i.data_interval.end),
                show(i.run_after),
            )
            for i in runs
        ] == [("2026-01-01 10:15", "2026-01-01 10:15", "2026-01-01 10:15", "2026-01-01 10:15")]


def test_once_with_a_future_start_date_waits_for_it() -> None:
    runs = first_runs("2026-01-01 00:00", 3, schedule="@once", startDate="2026-06-01")
    assert [show(i.run_after) for i in runs] == ["2026-06-01 00:00"]


CONTINUOUS = [
    pytest.param(
        "2026-01-01",
        "2026-01-05 12:00",
        ("2026-01-01 00:00", "2026-01-05 12:00"),
        id="the first continuous run covers the start date until now and runs at once",
    ),
    pytest.param(
        "2026-02-01",
        "2026-01-05 12:00",
        ("2026-02-01 00:00", "2026-02-01 00:00"),
        id="a continuous DAG does not start before its start date",
    ),
]


@pytest.mark.parametrize(("start", "now", "expected"), CONTINUOUS)
def test_continuous(start: str, now: str, expected: tuple[str, str]) -> None:
    runs = first_runs(now, 3, schedule="@continuous", maxActiveRuns=1, startDate=start)
    assert [(show(i.data_interval.start), show(i.data_interval.end)) for i in runs] == [expected]
    assert runs[0].run_after == runs[0].data_interval.end


def test_continuous_follows_the_previous_run_and_stops_at_the_end_date() -> None:
    spec = dag_spec(
        schedule="@continuous", maxActiveRuns=1, startDate="2026-01-01", endDate="2026-01-10"
    )
    timetable, restriction = timetable_for(spec), restriction_for(spec)
    last = first_runs(
        "2026-01-05 12:00", 1, schedule="@continuous", maxActiveRuns=1, startDate="2026-01-01"
    )[0].data_interval
    info = timetable.next_dagrun_info(
        last_automated_data_interval=last, restriction=restriction, now=at("2026-01-05 12:30")
    )
    assert info is not None
    assert (show(info.data_interval.start), show(info.data_interval.end)) == (
        "2026-01-05 12:00",
        "2026-01-05 12:30",
    )
    assert (
        timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction, now=at("2026-01-11 00:00")
        )
        is None
    )


TRIGGER = [
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01"},
        "2026-01-01 00:00",
        [
            ("2026-01-01 00:00", "2026-01-01 00:00", "2026-01-01 00:00"),
            ("2026-01-02 00:00", "2026-01-02 00:00", "2026-01-02 00:00"),
        ],
        id="a trigger timetable runs at each tick with an empty interval",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01", "triggerInterval": "1d"},
        "2026-01-01 00:00",
        [
            ("2026-01-01 00:00", "2025-12-31 00:00", "2026-01-01 00:00"),
            ("2026-01-02 00:00", "2026-01-01 00:00", "2026-01-02 00:00"),
        ],
        id="a trigger interval is the data before each tick; the logical date is the tick",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01", "catchup": False},
        "2026-01-05 06:00",
        [
            ("2026-01-05 00:00", "2026-01-05 00:00", "2026-01-05 00:00"),
            ("2026-01-06 00:00", "2026-01-06 00:00", "2026-01-06 00:00"),
        ],
        id="a trigger timetable without catchup runs the tick it missed at once, then the next",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01", "catchup": False},
        "2026-01-05 00:00",
        [("2026-01-05 00:00", "2026-01-05 00:00", "2026-01-05 00:00")],
        id="a trigger timetable without catchup, first seen on a tick, runs that tick",
    ),
    pytest.param(
        {"schedule": "0 0 * * *", "timezone": "America/New_York", "startDate": "2026-03-07"},
        "2026-03-01 00:00",
        [
            ("2026-03-07 05:00", "2026-03-07 05:00", "2026-03-07 05:00"),
            ("2026-03-08 05:00", "2026-03-08 05:00", "2026-03-08 05:00"),
            ("2026-03-09 04:00", "2026-03-09 04:00", "2026-03-09 04:00"),
        ],
        id="a trigger timetable follows the wall clock across DST too",
    ),
]


@pytest.mark.parametrize(("fields", "now", "expected"), TRIGGER)
def test_trigger_timetable(
    fields: dict[str, Any], now: str, expected: list[tuple[str, str, str]]
) -> None:
    runs = first_runs(now, len(expected), timetable="trigger", **fields)
    for info in runs:
        assert info.run_after == info.logical_date == info.data_interval.end
    assert [
        (show(i.logical_date), show(i.data_interval.start), show(i.data_interval.end)) for i in runs
    ] == expected


def test_a_dag_without_schedule_has_no_automated_runs() -> None:
    assert first_runs("2026-01-01 00:00", 3, startDate="2020-01-01") == []
    assert first_runs("2026-01-01 00:00", 3) == []


MANUAL = [
    pytest.param(
        {"schedule": "@daily"},
        "2026-01-25 01:00",
        ("2026-01-24 00:00", "2026-01-25 00:00"),
        id="a manual run of a daily DAG at 01:00 covers the day before",
    ),
    pytest.param(
        {"schedule": "@daily"},
        "2026-01-25 00:00",
        ("2026-01-24 00:00", "2026-01-25 00:00"),
        id="a manual run exactly at midnight covers the day that just ended",
    ),
    pytest.param(
        {"schedule": "@daily", "timezone": "America/New_York"},
        "2026-03-09 12:00",
        ("2026-03-08 05:00", "2026-03-09 04:00"),
        id="a manual run covers the last complete day in the DAG's zone",
    ),
    pytest.param(
        {"schedule": "@hourly"},
        "2026-01-25 10:30",
        ("2026-01-25 09:00", "2026-01-25 10:00"),
        id="a manual run of an hourly DAG covers the last full hour",
    ),
    pytest.param(
        {"schedule": "1h"},
        "2026-01-25 10:30",
        ("2026-01-25 09:30", "2026-01-25 10:30"),
        id="a manual run of a duration schedule covers one duration up to now",
    ),
    pytest.param(
        {"schedule": "@daily", "timetable": "trigger", "triggerInterval": "1d"},
        "2026-01-25 10:30",
        ("2026-01-24 10:30", "2026-01-25 10:30"),
        id="a manual run of a trigger timetable covers the trigger interval up to now",
    ),
    pytest.param(
        {"schedule": "@daily", "timetable": "trigger"},
        "2026-01-25 10:30",
        ("2026-01-25 10:30", "2026-01-25 10:30"),
        id="a manual run of a trigger timetable without interval is a point",
    ),
    pytest.param(
        {},
        "2026-01-25 10:30",
        ("2026-01-25 10:30", "2026-01-25 10:30"),
        id="a manual run of a manual-only DAG is a point in time",
    ),
    pytest.param(
        {"schedule": "@once"},
        "2026-01-25 10:30",
        ("2026-01-25 10:30", "2026-01-25 10:30"),
        id="so is one of a @once DAG",
    ),
    pytest.param(
        {"schedule": "@continuous", "maxActiveRuns": 1},
        "2026-01-25 10:30",
        ("2026-01-25 10:30", "2026-01-25 10:30"),
        id="and one of a @continuous DAG",
    ),
]


@pytest.mark.parametrize(("fields", "run_after", "expected"), MANUAL)
def test_manual_run_data_interval(
    fields: dict[str, Any], run_after: str, expected: tuple[str, str]
) -> None:
    spec = dag_spec(startDate="2020-01-01", **fields) if fields else dag_spec()
    interval = timetable_for(spec).infer_manual_data_interval(run_after=at(run_after))
    assert (show(interval.start), show(interval.end)) == expected


DESCRIPTIONS = [
    pytest.param(
        {"schedule": "0 0 * * *", "timezone": "Asia/Seoul"},
        "at 00:00 every day, Asia/Seoul",
        id="a daily cron in words with its zone",
    ),
    pytest.param(
        {"schedule": "*/5 9-17 * * 1-5"},
        "every 5 minutes from 09:00 to 17:59 on Monday to Friday, UTC",
        id="office hours in words",
    ),
    pytest.param(
        {"schedule": "@quarterly"},
        "at 00:00 on day 1 of January, April, July and October, UTC",
        id="quarterly in words",
    ),
    pytest.param(
        {"schedule": "0 0 L * *"}, "cron '0 0 L * *', UTC", id="an unusual cron is quoted"
    ),
    pytest.param({"schedule": "1h30m"}, "every 1h30m", id="a duration in words"),
    pytest.param({"schedule": "@once"}, "once, at the start date", id="once in words"),
    pytest.param({}, "never: manual runs only", id="no schedule in words"),
]


@pytest.mark.parametrize(("fields", "expected"), DESCRIPTIONS)
def test_description(fields: dict[str, Any], expected: str) -> None:
    spec = dag_spec(startDate="2020-01-01", **fields) if fields else dag_spec()
    assert timetable_for(spec).description == expected
