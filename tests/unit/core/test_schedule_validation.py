"""Schedule problems, each as one sentence a user can act on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kairflow.api import DAGSpec
from kairflow.core.schedule_validation import ScheduleError, validate_schedule
from kairflow.core.timetable import timetable_for


def dag_spec(**fields: Any) -> DAGSpec:
    return DAGSpec.model_validate({"tasks": [{"name": "t"}], **fields})


VALID = [
    pytest.param({}, id="no schedule at all: manual runs only, no start date needed"),
    pytest.param({"schedule": "0 0 * * *", "startDate": "2021-01-01"}, id="a cron"),
    pytest.param(
        {"schedule": "@daily", "timezone": "Asia/Seoul", "startDate": "2021-01-01"},
        id="a preset in a time zone",
    ),
    pytest.param({"schedule": "30m", "startDate": "2021-01-01"}, id="a duration"),
    pytest.param({"schedule": "PT5M", "startDate": "2021-01-01"}, id="an ISO-8601 duration"),
    pytest.param({"schedule": "@once", "startDate": "2021-01-01"}, id="once"),
    pytest.param(
        {"schedule": "@continuous", "maxActiveRuns": 1, "startDate": "2021-01-01"},
        id="continuous with one run at a time",
    ),
    pytest.param(
        {
            "schedule": "@daily",
            "timetable": "trigger",
            "triggerInterval": "1h",
            "startDate": "2021-01-01",
        },
        id="a trigger timetable with an interval",
    ),
    pytest.param({"schedule": "0 0 L * *", "startDate": "2021-01-01"}, id="the last day (L)"),
    pytest.param(
        {"schedule": "0 0 * * 5#2", "startDate": "2021-01-01"}, id="the second Friday (#)"
    ),
    pytest.param(
        {"schedule": "0 0 * JAN-MAR MON-FRI", "startDate": "2021-01-01"}, id="month and day names"
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2021-01-01", "endDate": "2021-01-01"},
        id="an end date equal to the start date",
    ),
    pytest.param(
        {
            "schedule": "@daily",
            "timezone": "Asia/Seoul",
            "startDate": "2021-01-01T00:00:00",
            "endDate": "2020-12-31T16:00:00Z",
        },
        id="start and end compare as instants (a naive start in Seoul is 15:00 UTC)",
    ),
]


@pytest.mark.parametrize("fields", VALID)
def test_valid_schedules_have_no_problems(fields: dict[str, Any]) -> None:
    spec = dag_spec(**fields)
    assert validate_schedule(spec) == []
    timetable_for(spec)


INVALID = [
    pytest.param(
        {"schedule": "61 0 * * *"},
        ["schedule: invalid cron '61 0 * * *': minute field: 61 is out of range 0-59"],
        id="a cron with a bad minute names the field",
    ),
    pytest.param(
        {"schedule": "0 0 * * MON-FRY"},
        [
            "schedule: invalid cron '0 0 * * MON-FRY': day-of-week field: 'FRY' is not a "
            "number or a known name"
        ],
        id="a misspelt day name",
    ),
    pytest.param(
        {"schedule": "0 0 * *"},
        [
            "schedule: invalid cron '0 0 * *': a cron expression has 5 fields (minute hour "
            "day-of-month month day-of-week), got 4"
        ],
        id="a cron with four fields",
    ),
    pytest.param(
        {"schedule": "@fortnightly"},
        [
            "schedule: invalid cron '@fortnightly': unknown preset '@fortnightly'; known "
            "presets: @annually, @continuous, @daily, @hourly, @midnight, @monthly, @once, "
            "@quarterly, @weekly, @yearly"
        ],
        id="an unknown preset lists the known ones",
    ),
    pytest.param(
        {"schedule": "0 0 30 2 *"},
        [
            "schedule: invalid cron '0 0 30 2 *': never fires or is not valid: failed to "
            "find next date"
        ],
        id="a cron that never fires",
    ),
    pytest.param(
        {"schedule": "daily"},
        [
            "schedule: 'daily' is neither a cron expression (5 fields, e.g. '0 0 * * *'), a "
            "preset (@daily, @once...) nor a duration (e.g. '30m', '1d', 'PT5M')"
        ],
        id="a word that is not a schedule",
    ),
    pytest.param(
        {"schedule": "0s"}, ["schedule: the interval '0s' must be positive"], id="a zero duration"
    ),
    pytest.param(
        {"schedule": " "},
        ["schedule: empty; leave it out for a DAG that only runs manually"],
        id="an empty schedule",
    ),
    pytest.param(
        {"schedule": "@daily", "timezone": "Mars/Olympus_Mons"},
        [
            "timezone: unknown time zone 'Mars/Olympus_Mons'; use an IANA name like "
            "'Asia/Seoul' or 'UTC'"
        ],
        id="an unknown time zone",
    ),
    pytest.param(
        {"schedule": "@daily", "timezone": "America"},
        ["timezone: unknown time zone 'America'; use an IANA name like 'Asia/Seoul' or 'UTC'"],
        id="a time zone that names a folder of zones (America)",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": None},
        [
            "startDate: required with a schedule (the first interval starts there); leave "
            "schedule out for a DAG that only runs manually"
        ],
        id="a scheduled DAG without a start date (Airflow requires one too)",
    ),
    pytest.param(
        {"schedule": "@daily", "endDate": "2020-12-31"},
        [
            "startDate 2021-01-01T00:00:00+00:00 is after endDate 2020-12-31T00:00:00+00:00:"
            " nothing would ever be scheduled"
        ],
        id="a start date after the end date",
    ),
    pytest.param(
        {"schedule": "@continuous"},
        ["maxActiveRuns: @continuous runs one run at a time; set maxActiveRuns to 1 (it is 16)"],
        id="continuous with the default maxActiveRuns",
    ),
    pytest.param(
        {"schedule": "@daily", "triggerInterval": "1h"},
        [
            "triggerInterval: only used with 'timetable: trigger' (a dataInterval timetable "
            "takes its intervals from the schedule)"
        ],
        id="a trigger interval without the trigger timetable",
    ),
    pytest.param(
        {"schedule": "30m", "timetable": "trigger"},
        ["timetable: trigger needs a cron schedule or a preset like @daily, not '30m'"],
        id="a trigger timetable with a duration",
    ),
    pytest.param(
        {"timetable": "trigger"},
        ["timetable: trigger needs a cron schedule or a preset like @daily, not no schedule"],
        id="a trigger timetable without schedule",
    ),
    pytest.param(
        {"schedule": "99 * * * *", "timezone": "Nowhere", "startDate": None},
        [
            "schedule: invalid cron '99 * * * *': minute field: 99 is out of range 0-59",
            "timezone: unknown time zone 'Nowhere'; use an IANA name like 'Asia/Seoul' or 'UTC'",
            "startDate: required with a schedule (the first interval starts there); leave "
            "schedule out for a DAG that only runs manually",
        ],
        id="every problem is reported at once",
    ),
]


@pytest.mark.parametrize(("fields", "expected"), INVALID)
def test_invalid_schedules_say_what_to_fix(fields: dict[str, Any], expected: list[str]) -> None:
    values = {"startDate": "2021-01-01", **fields}
    spec = dag_spec(**{key: value for key, value in values.items() if value is not None})
    assert validate_schedule(spec) == expected
    with pytest.raises(ScheduleError) as caught:
        timetable_for(spec)
    assert caught.value.problems == expected
    assert str(caught.value) == "; ".join(expected)


def test_a_negative_trigger_interval_is_refused() -> None:
    # The wire format cannot even spell one; Python callers can.
    with pytest.raises(ValueError, match="invalid duration"):
        dag_spec(schedule="@daily", timetable="trigger", triggerInterval="-1h")
    spec = dag_spec(
        schedule="@daily",
        timetable="trigger",
        startDate="2021-01-01",
        triggerInterval=timedelta(hours=-1),
    )
    assert validate_schedule(spec) == ["triggerInterval: must not be negative"]
