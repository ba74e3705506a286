"""Catchup off, edge by edge: the run a timetable answers for (last run, now), as
Airflow 2.10 answers (`next_dagrun_info` with catchup=False; times below are UTC).

Every expected value was taken from apache-airflow 2.10.5 itself. Two answers differ
from Airflow 2.6's: a duration schedule's first run is aligned to a grid of its length
counted from the Unix epoch (not `now - duration`), and a trigger timetable runs the
latest tick it missed at once (not the next tick).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kairflow.api import DAGSpec, TimetableKind
from kairflow.core.run_info import DagRunInfo, DataInterval
from kairflow.core.timetable import restriction_for, timetable_for


def at(text: str) -> datetime:
    """A UTC instant written "2026-01-01 05:17:23" (seconds and fraction optional)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def show(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat(sep=" ", timespec="microseconds")[:26]
    return text.removesuffix(".000000").removesuffix(":00")


def answer(fields: dict[str, Any], last: tuple[str, str] | None, now: str) -> str | None:
    """The next run as "start -> end" (run after the end), or None for no run."""
    spec = DAGSpec.model_validate({"tasks": [{"name": "t"}], "catchup": False, **fields})
    info = timetable_for(spec).next_dagrun_info(
        last_automated_data_interval=None if last is None else DataInterval(*map(at, last)),
        restriction=restriction_for(spec),
        now=at(now),
    )
    if info is None:
        return None
    assert info.run_after == info.data_interval.end
    assert info.logical_date == logical_date(spec, info)
    return f"{show(info.data_interval.start)} -> {show(info.data_interval.end)}"


def logical_date(spec: DAGSpec, info: DagRunInfo) -> datetime:
    # The trigger timetable's logical date is its tick (Airflow 3's choice; Airflow 2
    # uses the interval start, the same unless triggerInterval is set).
    if spec.timetable is TimetableKind.TRIGGER:
        return info.data_interval.end
    return info.data_interval.start


HALF_HOURLY = {"schedule": "30m", "startDate": "2026-01-01T00:10:00"}

DURATIONS = [
    pytest.param(
        HALF_HOURLY,
        None,
        "2026-01-01 05:17:23",
        "2026-01-01 04:30 -> 2026-01-01 05:00",
        id="every 30 minutes, catchup off, first run aligned to the grid",
    ),
    pytest.param(
        HALF_HOURLY,
        None,
        "2026-01-01 05:00",
        "2026-01-01 04:30 -> 2026-01-01 05:00",
        id="every 30 minutes, first seen exactly on the grid, the interval ending now runs",
    ),
    pytest.param(
        HALF_HOURLY,
        None,
        "2026-01-01 04:59:59.999999",
        "2026-01-01 04:00 -> 2026-01-01 04:30",
        id="every 30 minutes, first seen a microsecond before the grid, the interval before",
    ),
    pytest.param(
        {"schedule": "7m", "startDate": "2025-01-01"},
        None,
        "2026-01-01 01:00",
        "2026-01-01 00:49 -> 2026-01-01 00:56",
        id="every 7 minutes, the grid counts from the Unix epoch, not from the hour",
    ),
    pytest.param(
        {"schedule": "1d", "timezone": "America/New_York", "startDate": "2026-01-01"},
        None,
        "2026-01-10 12:00",
        "2026-01-09 00:00 -> 2026-01-10 00:00",
        id="every day in New York, the grid is midnight UTC, not local midnight",
    ),
    pytest.param(
        {"schedule": "1h", "timezone": "America/New_York", "startDate": "2026-03-01"},
        None,
        "2026-03-08 07:30",
        "2026-03-08 06:00 -> 2026-03-08 07:00",
        id="every hour in New York at spring-forward, whole UTC hours as on any day",
    ),
    pytest.param(
        {"schedule": "30m", "startDate": "2026-01-01T04:40:00"},
        None,
        "2026-01-01 05:17:23",
        "2026-01-01 04:40 -> 2026-01-01 05:10",
        id="a start date after the grid's interval starts the first run, not rounded",
    ),
    pytest.param(
        {"schedule": "30m", "startDate": "2026-01-01T06:10:00"},
        None,
        "2026-01-01 05:17:23",
        "2026-01-01 06:10 -> 2026-01-01 06:40",
        id="a start date in the future starts the first run, off the grid",
    ),
    pytest.param(
        HALF_HOURLY,
        ("2026-01-01 03:30", "2026-01-01 04:00"),
        "2026-01-01 05:17:23",
        "2026-01-01 04:30 -> 2026-01-01 05:00",
        id="after a run long ago, the missed intervals are skipped to the grid's latest",
    ),
    pytest.param(
        HALF_HOURLY,
        ("2026-01-01 05:00", "2026-01-01 05:30"),
        "2026-01-01 05:17:23",
        "2026-01-01 05:30 -> 2026-01-01 06:00",
        id="after a run that ends later than now, the next run follows it",
    ),
    pytest.param(
        {**HALF_HOURLY, "endDate": "2026-01-01T04:40:00"},
        None,
        "2026-01-01 05:17:23",
        "2026-01-01 04:30 -> 2026-01-01 05:00",
        id="an end date after the grid interval's start still lets it run",
    ),
    pytest.param(
        {**HALF_HOURLY, "endDate": "2026-01-01T04:20:00"},
        None,
        "2026-01-01 05:17:23",
        None,
        id="an end date before the grid interval's start: no run",
    ),
]

TRIGGER = [
    pytest.param(
        {"timetable": "trigger", "schedule": "@daily", "startDate": "2026-01-01"},
        None,
        "2026-01-05 06:00",
        "2026-01-05 00:00 -> 2026-01-05 00:00",
        id="a trigger timetable runs the latest tick it missed at once",
    ),
    pytest.param(
        {"timetable": "trigger", "schedule": "@daily", "startDate": "2026-01-01"},
        None,
        "2026-01-05 00:00",
        "2026-01-05 00:00 -> 2026-01-05 00:00",
        id="a trigger timetable first seen on a tick runs that tick",
    ),
    pytest.param(
        {
            "timetable": "trigger",
            "schedule": "@hourly",
            "startDate": "2026-01-01",
            "triggerInterval": "1h",
        },
        None,
        "2026-01-05 10:30",
        "2026-01-05 09:00 -> 2026-01-05 10:00",
        id="an hourly trigger at 10:30 runs the 10:00 tick, with the hour before it as data",
    ),
    pytest.param(
        {"timetable": "trigger", "schedule": "@daily", "startDate": "2026-01-05T12:00:00"},
        None,
        "2026-01-05 18:00",
        "2026-01-06 00:00 -> 2026-01-06 00:00",
        id="a start date after the latest tick: the first tick after the start date",
    ),
    pytest.param(
        {"timetable": "trigger", "schedule": "@daily", "startDate": "2026-01-01"},
        ("2026-01-02 00:00", "2026-01-02 00:00"),
        "2026-01-05 06:00",
        "2026-01-05 00:00 -> 2026-01-05 00:00",
        id="after a tick long ago, the ticks in between are skipped, the latest runs",
    ),
    pytest.param(
        {"timetable": "trigger", "schedule": "@daily", "startDate": "2026-01-01"},
        ("2026-01-05 00:00", "2026-01-05 00:00"),
        "2026-01-05 06:00",
        "2026-01-06 00:00 -> 2026-01-06 00:00",
        id="after the latest tick ran, the next tick follows",
    ),
    pytest.param(
        {
            "timetable": "trigger",
            "schedule": "@daily",
            "startDate": "2026-01-01",
            "endDate": "2026-01-05T03:00:00",
        },
        None,
        "2026-01-05 06:00",
        "2026-01-05 00:00 -> 2026-01-05 00:00",
        id="an end date after the missed tick still lets that tick run",
    ),
    pytest.param(
        {
            "timetable": "trigger",
            "schedule": "@daily",
            "startDate": "2026-01-01",
            "endDate": "2026-01-04T12:00:00",
        },
        None,
        "2026-01-05 06:00",
        None,
        id="an end date before the latest tick: no run",
    ),
    pytest.param(
        {
            "timetable": "trigger",
            "schedule": "@daily",
            "timezone": "America/New_York",
            "startDate": "2026-03-01",
        },
        None,
        "2026-03-08 12:00",
        "2026-03-08 05:00 -> 2026-03-08 05:00",
        id="a daily trigger in New York on spring-forward day runs that day's midnight (EST)",
    ),
    pytest.param(
        {
            "timetable": "trigger",
            "schedule": "@hourly",
            "timezone": "Europe/London",
            "startDate": "2026-10-01",
        },
        None,
        "2026-10-25 01:30",
        "2026-10-25 01:00 -> 2026-10-25 01:00",
        id="an hourly trigger in London in the repeated hour runs 01:00 GMT",
    ),
]

OTHERS = [
    pytest.param(
        {"schedule": "@daily", "startDate": "2015-12-01"},
        None,
        "2016-01-02 06:00",
        "2016-01-01 00:00 -> 2016-01-02 00:00",
        id="a daily cron first seen at 06:00 runs yesterday's interval",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2015-12-01"},
        None,
        "2016-01-02 00:00",
        "2016-01-01 00:00 -> 2016-01-02 00:00",
        id="a daily cron first seen at midnight runs the interval ending now",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2016-02-01"},
        None,
        "2016-01-02 06:00",
        "2016-02-01 00:00 -> 2016-02-02 00:00",
        id="a daily cron with a start date in the future starts there",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2015-12-01"},
        ("2016-01-02 00:00", "2016-01-03 00:00"),
        "2016-01-02 06:00",
        "2016-01-03 00:00 -> 2016-01-04 00:00",
        id="a daily cron whose last run ends later than now continues after it",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2016-01-01", "endDate": "2016-01-03"},
        None,
        "2016-01-10 06:00",
        None,
        id="a daily cron whose end date is before the latest interval: no run",
    ),
    pytest.param(
        {"schedule": "@daily", "timezone": "America/New_York", "startDate": "2026-03-01"},
        None,
        "2026-03-09 12:00",
        "2026-03-08 05:00 -> 2026-03-09 04:00",
        id="a daily cron in New York runs the 23-hour spring-forward day",
    ),
    pytest.param(
        {"schedule": "@hourly", "timezone": "Europe/London", "startDate": "2026-10-01"},
        None,
        "2026-10-25 01:30",
        "2026-10-25 00:00 -> 2026-10-25 01:00",
        id="an hourly cron in London in the repeated hour runs 01:00 BST to 01:00 GMT",
    ),
    pytest.param(
        {"schedule": "0 * * * 1-5", "timezone": "America/New_York", "startDate": "2026-10-01"},
        ("2026-11-02 04:00", "2026-11-02 05:00"),
        "2026-11-02 05:00",
        None,
        id="an hourly weekday cron at Monday 00:00 after fall-back: Airflow asserts "
        "'next schedule shouldn't be earlier' and schedules nothing at that moment",
    ),
    pytest.param(
        {"schedule": "0 * * * 1-5", "timezone": "America/New_York", "startDate": "2026-10-01"},
        ("2026-11-02 04:00", "2026-11-02 05:00"),
        "2026-11-02 06:00",
        "2026-11-02 05:00 -> 2026-11-02 06:00",
        id="an hour later the same DAG runs on",
    ),
    pytest.param(
        {"schedule": "@once", "startDate": "2026-01-01T10:15:00"},
        None,
        "2026-02-01 00:00",
        "2026-01-01 10:15 -> 2026-01-01 10:15",
        id="@once runs at its start date, even long past",
    ),
    pytest.param(
        {"schedule": "@once", "startDate": "2026-01-01T10:15:00"},
        ("2026-01-01 10:15", "2026-01-01 10:15"),
        "2026-02-01 00:00",
        None,
        id="@once runs only once",
    ),
    pytest.param(
        {"schedule": "@continuous", "maxActiveRuns": 1, "startDate": "2026-01-01"},
        None,
        "2026-01-05 12:00",
        "2026-01-01 00:00 -> 2026-01-05 12:00",
        id="@continuous first covers the start date until now",
    ),
    pytest.param(
        {"schedule": "@continuous", "maxActiveRuns": 1, "startDate": "2026-02-01"},
        None,
        "2026-01-05 12:00",
        "2026-02-01 00:00 -> 2026-02-01 00:00",
        id="@continuous with a start date in the future waits for it",
    ),
    pytest.param(
        {
            "schedule": "@continuous",
            "maxActiveRuns": 1,
            "startDate": "2026-01-01",
            "endDate": "2026-01-03",
        },
        None,
        "2026-01-05 12:00",
        None,
        id="@continuous past its end date: no run",
    ),
]


@pytest.mark.parametrize(("fields", "last", "now", "expected"), DURATIONS + TRIGGER + OTHERS)
def test_catchup_off_as_airflow_2_10(
    fields: dict[str, Any], last: tuple[str, str] | None, now: str, expected: str | None
) -> None:
    assert answer(fields, last, now) == expected
