"""What the operator asks on each sync: which runs are due now (at most `limit`), and
which one comes next (its wake-up time), with an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kairflow.api import DAGSpec
from kairflow.core.cron import CronSchedule
from kairflow.core.run_info import DataInterval
from kairflow.core.timetable import (
    due_runs,
    next_run,
    restriction_for,
    timetable_for,
    upcoming_runs,
)


def dag_spec(**fields: Any) -> DAGSpec:
    return DAGSpec.model_validate({"tasks": [{"name": "t"}], **fields})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def show(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


DUE = [
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01"},
        None,
        "2026-01-04 06:00",
        16,
        ["2026-01-01 00:00", "2026-01-02 00:00", "2026-01-03 00:00"],
        id="every interval that ended before now is due, oldest first",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01"},
        None,
        "2026-01-04 06:00",
        2,
        ["2026-01-01 00:00", "2026-01-02 00:00"],
        id="no more than the limit",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01"},
        ("2026-01-01 00:00", "2026-01-02 00:00"),
        "2026-01-04 06:00",
        16,
        ["2026-01-02 00:00", "2026-01-03 00:00"],
        id="after the last automated run, the ones that follow it",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01", "catchup": False},
        None,
        "2026-01-04 06:00",
        16,
        ["2026-01-03 00:00"],
        id="without catchup only the latest complete interval is due",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01", "catchup": False},
        ("2026-01-01 00:00", "2026-01-02 00:00"),
        "2026-01-04 06:00",
        16,
        ["2026-01-03 00:00"],
        id="without catchup the intervals missed since the last run are skipped",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01"},
        None,
        "2026-01-01 23:59",
        16,
        [],
        id="nothing is due before the first interval ends",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01"},
        None,
        "2026-01-02 00:00",
        16,
        ["2026-01-01 00:00"],
        id="an interval is due the moment it ends",
    ),
    pytest.param(
        {"schedule": "@continuous", "maxActiveRuns": 1, "startDate": "2026-01-01"},
        None,
        "2026-01-04 06:00",
        16,
        ["2026-01-01 00:00"],
        id="a continuous DAG has one run due at a time",
    ),
    pytest.param(
        {"schedule": "@once", "startDate": "2026-01-01"},
        ("2026-01-01 00:00", "2026-01-01 00:00"),
        "2026-01-04 06:00",
        16,
        [],
        id="a once DAG that ran has nothing more",
    ),
    pytest.param({}, None, "2026-01-04 06:00", 16, [], id="a manual-only DAG has nothing due"),
]


@pytest.mark.parametrize(("fields", "last", "now", "limit", "expected"), DUE)
def test_due_runs(
    fields: dict[str, Any],
    last: tuple[str, str] | None,
    now: str,
    limit: int,
    expected: list[str],
) -> None:
    spec = dag_spec(**fields)
    previous = None if last is None else DataInterval(at(last[0]), at(last[1]))
    runs = due_runs(
        timetable_for(spec), restriction_for(spec), last=previous, now=at(now), limit=limit
    )
    assert [show(info.logical_date) for info in runs] == expected


NEXT = [
    pytest.param(
        {"schedule": "@daily", "startDate": "2026-01-01"},
        "2025-12-01 00:00",
        ("2026-01-01 00:00", "2026-01-02 00:00"),
        id="before the start date the next run is the first interval",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2016-01-01"},
        "2026-01-04 06:00",
        ("2026-01-04 00:00", "2026-01-05 00:00"),
        id="behind a ten-year catchup backlog the next run is today's interval",
    ),
    pytest.param(
        {"schedule": "* * * * *", "startDate": "2016-01-01", "timezone": "America/New_York"},
        "2026-01-01 12:34:56",
        ("2026-01-01 12:34", "2026-01-01 12:35"),
        id="every minute for ten years in New York: the next run is the current minute",
    ),
    pytest.param(
        {"schedule": "*/5 9-17 * * 1-5", "startDate": "2016-01-01", "timezone": "America/New_York"},
        "2026-01-01 12:34:56",
        ("2025-12-31 22:55", "2026-01-01 14:00"),
        id="office hours: the next run covers the evening and starts at 09:00 the next day",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2016-01-01", "timetable": "trigger"},
        "2026-01-04 06:00",
        ("2026-01-05 00:00", "2026-01-05 00:00"),
        id="a trigger timetable's next run is the next tick",
    ),
    pytest.param(
        {"schedule": "1h", "startDate": "2016-01-01T00:10:00"},
        "2026-01-04 06:00",
        ("2026-01-04 05:10", "2026-01-04 06:10"),
        id="a duration schedule's next run keeps its unaligned phase",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2016-01-01", "endDate": "2020-01-01"},
        "2026-01-04 06:00",
        None,
        id="after the end date there is no next run",
    ),
    pytest.param(
        {"schedule": "@daily", "startDate": "2016-01-01", "catchup": False},
        "2026-01-04 06:00",
        ("2026-01-04 00:00", "2026-01-05 00:00"),
        id="without catchup the next run follows the one due now",
    ),
    pytest.param(
        {"schedule": "@continuous", "maxActiveRuns": 1, "startDate": "2016-01-01"},
        "2026-01-04 06:00",
        None,
        id="a continuous DAG's next run waits for the current one, not for a time",
    ),
    pytest.param({}, "2026-01-04 06:00", None, id="a manual-only DAG has no next run"),
]


@pytest.mark.parametrize(("fields", "now", "expected"), NEXT)
def test_next_run(fields: dict[str, Any], now: str, expected: tuple[str, str] | None) -> None:
    spec = dag_spec(**fields)
    info = next_run(timetable_for(spec), restriction_for(spec), last=None, now=at(now))
    if expected is None:
        assert info is None
    else:
        assert info is not None
        assert (show(info.logical_date), show(info.run_after)) == expected
        assert info.run_after > at(now)


@pytest.fixture
def croniter_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts every croniter step the scheduling core takes."""
    calls = [0]
    for name in ("naive_next", "naive_prev"):
        original = getattr(CronSchedule, name)

        def counted(self: CronSchedule, naive: datetime, _original: Any = original) -> datetime:
            calls[0] += 1
            result: datetime = _original(self, naive)
            return result

        monkeypatch.setattr(CronSchedule, name, counted)
    yield calls


@pytest.mark.parametrize("timezone", ["UTC", "America/New_York", "Australia/Lord_Howe"])
@pytest.mark.parametrize("timetable", ["dataInterval", "trigger"])
def test_an_every_minute_dag_ten_years_behind_costs_a_few_hundred_steps_not_millions(
    croniter_calls: list[int], timezone: str, timetable: str
) -> None:
    spec = dag_spec(
        schedule="* * * * *",
        timezone=timezone,
        timetable=timetable,
        startDate="2016-01-01T00:00:00Z",
    )
    tt, restriction = timetable_for(spec), restriction_for(spec)
    now = at("2026-01-01 12:34:56")  # 5.26 million minutes after the start date

    due = due_runs(tt, restriction, last=None, now=now, limit=16)
    upcoming = next_run(tt, restriction, last=None, now=now)

    assert [show(info.logical_date) for info in due[:2]] == ["2016-01-01 00:00", "2016-01-01 00:01"]
    assert len(due) == 16
    assert upcoming is not None
    assert show(upcoming.run_after) == "2026-01-01 12:35"
    # About a dozen steps per DST change (20 in ten years), however far behind.
    assert croniter_calls[0] < 600


def test_upcoming_runs_start_with_the_due_ones_then_future_ones() -> None:
    spec = dag_spec(schedule="@daily", startDate="2026-01-01")
    runs = upcoming_runs(
        timetable_for(spec), restriction_for(spec), last=None, now=at("2026-01-03 12:00"), count=4
    )
    assert [(show(i.logical_date), i.run_after <= at("2026-01-03 12:00")) for i in runs] == [
        ("2026-01-01 00:00", True),
        ("2026-01-02 00:00", True),
        ("2026-01-03 00:00", False),
        ("2026-01-04 00:00", False),
    ]


def test_now_must_be_timezone_aware() -> None:
    spec = dag_spec(schedule="@daily", startDate="2026-01-01")
    with pytest.raises(ValueError, match="timezone-aware"):
        due_runs(
            timetable_for(spec), restriction_for(spec), last=None, now=datetime(2026, 1, 3), limit=1
        )


def test_results_are_in_utc_whatever_zone_now_is_given_in() -> None:
    spec = dag_spec(schedule="@daily", timezone="Asia/Seoul", startDate="2026-01-01")
    now = datetime(2026, 1, 3, 12, tzinfo=UTC).astimezone(timedelta_zone(9))
    runs = due_runs(timetable_for(spec), restriction_for(spec), last=None, now=now, limit=5)
    assert all(info.logical_date.tzinfo is UTC for info in runs)
    assert [show(info.logical_date) for info in runs] == ["2025-12-31 15:00", "2026-01-01 15:00"]


def timedelta_zone(hours: int) -> Any:
    from datetime import timezone

    return timezone(timedelta(hours=hours))


# Airflow 2.6's DST arithmetic has corners; we match them, and stop where it would
# go backwards (Airflow would then try to create a run it already has).
QUIRKS = [
    pytest.param(
        "*/30 0-3 * * *",
        "2026-03-08T00:00:00",
        [
            "2026-03-08 05:00 -> 2026-03-08 05:30",
            "2026-03-08 05:30 -> 2026-03-08 06:00",
            "2026-03-08 06:00 -> 2026-03-08 06:30",
            "2026-03-08 06:30 -> 2026-03-08 07:00",
            "2026-03-08 07:30 -> 2026-03-09 04:00",
        ],
        id="at spring-forward the skipped 02:00 and 02:30 both become 03:00-03:30 and "
        "the half hour between is not covered (as in Airflow)",
    ),
    pytest.param(
        "0 * * * 1-5",
        "2026-03-06T22:00:00",
        [
            "2026-03-07 03:00 -> 2026-03-07 04:00",
            "2026-03-07 04:00 -> 2026-03-09 05:00",
            "2026-03-09 05:00 -> 2026-03-09 06:00",
        ],
        id="an hourly weekday DAG steps by elapsed time over a DST weekend: Friday's last "
        "interval runs to Monday 01:00, and Monday 00:00 is not a run (as in Airflow)",
    ),
    pytest.param(
        "0 * * * 1-5",
        "2026-03-06T23:00:00",
        ["2026-03-09 05:00 -> 2026-03-09 06:00"],
        id="a start date on Friday's last tick before a DST weekend is aligned to Monday "
        "01:00 (as in Airflow)",
    ),
]


@pytest.mark.parametrize(("schedule", "start", "expected"), QUIRKS)
def test_airflow_dst_corners_are_reproduced(schedule: str, start: str, expected: list[str]) -> None:
    spec = dag_spec(schedule=schedule, timezone="America/New_York", startDate=start)
    runs = upcoming_runs(
        timetable_for(spec),
        restriction_for(spec),
        last=None,
        now=at("2026-03-01 00:00"),
        count=len(expected),
    )
    assert [f"{show(i.data_interval.start)} -> {show(i.data_interval.end)}" for i in runs] == (
        expected
    )


def test_after_a_schedule_change_runs_continue_from_the_new_schedule() -> None:
    # The last run was daily (Thursday); the DAG is now weekly (Sunday to Sunday). Like
    # Airflow, the next interval starts at the new schedule's tick before the last end.
    spec = dag_spec(schedule="@weekly", startDate="2025-01-01")
    last = DataInterval(at("2026-01-01 00:00"), at("2026-01-02 00:00"))
    tt, restriction = timetable_for(spec), restriction_for(spec)
    due = due_runs(tt, restriction, last=last, now=at("2026-01-10 00:00"), limit=5)
    assert [(show(i.data_interval.start), show(i.data_interval.end)) for i in due] == [
        ("2025-12-28 00:00", "2026-01-04 00:00")
    ]
    upcoming = next_run(tt, restriction, last=last, now=at("2026-01-10 00:00"))
    assert upcoming is not None
    assert show(upcoming.logical_date) == "2026-01-04 00:00"


def test_a_schedule_that_would_step_backwards_stops_instead() -> None:
    # With Airflow 2.6.3's own rule (`_is_schedule_fixed`) some crons stepped backwards at
    # fall-back; ours cannot, but the guard stays for any timetable that would.
    class Backwards:
        description = "backwards"
        active_runs_limit = None

        def next_dagrun_info(
            self, *, last_automated_data_interval: Any, restriction: Any, now: datetime
        ) -> Any:
            from kairflow.core.run_info import DagRunInfo

            start = (
                at("2026-01-02 00:00")
                if last_automated_data_interval is None
                else (at("2026-01-01 00:00"))
            )
            return DagRunInfo.interval(start, start + timedelta(days=1))

        def infer_manual_data_interval(self, *, run_after: datetime) -> DataInterval:
            return DataInterval.exact(run_after)

    restriction = restriction_for(dag_spec(schedule="@daily", startDate="2026-01-01"))
    runs = due_runs(Backwards(), restriction, last=None, now=at("2026-02-01 00:00"), limit=5)
    assert [show(info.logical_date) for info in runs] == ["2026-01-02 00:00"]
    assert next_run(Backwards(), restriction, last=None, now=at("2026-02-01 00:00")) is None
