"""Properties every schedule keeps, over random schedules, zones, start dates and clocks."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from kairflow.api import DAGSpec
from kairflow.core.run_info import DagRunInfo, TimeRestriction, Timetable
from kairflow.core.timetable import (
    due_runs,
    next_run,
    restriction_for,
    timetable_for,
    upcoming_runs,
)
from tests.hypothesis_profiles import examples

# Crons whose intervals Airflow keeps contiguous everywhere: one wall time a day, or
# every hour. (Several wall times inside a DST gap leave a hole: see the quirk tests.)
CONTIGUOUS = [
    "@daily",
    "@hourly",
    "@weekly",
    "@monthly",
    "@quarterly",
    "30 2 * * *",
    "30 1 * * *",
    "*/20 * * * *",
    "0 * * * 1-5",
    "15 9 * * 1-5",
    "0 0 31 * *",
    "0 9,17 * * *",
    "*/10 9-17 * * *",
]
ANY = [*CONTIGUOUS, "*/30 0-3 * * *", "0,30 1,2 * * *", "0 */2 * * *", "0 0,12 1 * *"]
ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Asia/Seoul",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Pacific/Chatham",
    "America/Santiago",
]
BASE = datetime(2024, 1, 1, tzinfo=UTC)

moments = st.integers(0, 2 * 365 * 24 * 60).map(lambda m: BASE + timedelta(minutes=m))


def dag_spec(**fields: Any) -> DAGSpec:
    return DAGSpec.model_validate({"tasks": [{"name": "t"}], **fields})


def cron_only(schedule: str, timetable: str) -> str:
    """The trigger timetable takes crons only (not durations, not @once)."""
    is_cron = " " in schedule or (schedule.startswith("@") and schedule != "@once")
    return timetable if is_cron else "dataInterval"


def runs_of(fields: dict[str, Any], now: datetime, count: int) -> list[DagRunInfo]:
    spec = dag_spec(**fields)
    return upcoming_runs(
        timetable_for(spec), restriction_for(spec), last=None, now=now, count=count
    )


@settings(max_examples=examples(80), deadline=None)
@given(
    schedule=st.sampled_from([*CONTIGUOUS, "45m", "1d", "PT90M"]),
    zone=st.sampled_from(ZONES),
    start=moments,
    now=moments,
    catchup=st.booleans(),
)
@example(  # Airflow's skip asserts after Lord Howe's half-hour fall-back weekend.
    schedule="0 * * * 1-5",
    zone="Australia/Lord_Howe",
    start=BASE,
    now=BASE + timedelta(minutes=137040),
    catchup=False,
)
def test_intervals_are_contiguous_and_increasing(
    schedule: str, zone: str, start: datetime, now: datetime, catchup: bool
) -> None:
    spec = dag_spec(schedule=schedule, timezone=zone, startDate=start.isoformat(), catchup=catchup)
    tt, restriction = timetable_for(spec), restriction_for(spec)
    runs = upcoming_runs(tt, restriction, last=None, now=now, count=12)
    if len(runs) < 12:
        # Only where Airflow itself schedules nothing: without catchup, its skip to the
        # latest interval can assert "next schedule shouldn't be earlier" right after a
        # DST weekend (see test_timetable_catchup_off.py).
        assert not catchup and runs
        following = tt.next_dagrun_info(
            last_automated_data_interval=runs[-1].data_interval,
            restriction=restriction,
            now=max(now, runs[-1].run_after),
        )
        assert following is None
    for before, after in itertools.pairwise(runs):
        assert before.data_interval.end == after.data_interval.start  # no gap, no overlap
        assert before.logical_date < after.logical_date
    for info in runs:
        assert info.data_interval.start < info.data_interval.end


@settings(max_examples=examples(80), deadline=None)
@given(
    schedule=st.sampled_from([*ANY, "45m", "1d", "@once"]),
    zone=st.sampled_from(ZONES),
    start=moments,
    now=moments,
    catchup=st.booleans(),
    timetable=st.sampled_from(["dataInterval", "trigger"]),
)
def test_a_run_never_runs_before_its_data_interval_ends(
    schedule: str, zone: str, start: datetime, now: datetime, catchup: bool, timetable: str
) -> None:
    runs = runs_of(
        {
            "schedule": schedule,
            "timezone": zone,
            "startDate": start.isoformat(),
            "catchup": catchup,
            "timetable": cron_only(schedule, timetable),
        },
        now,
        8,
    )
    for info in runs:
        assert info.run_after >= info.data_interval.end >= info.data_interval.start
        assert info.logical_date.tzinfo is UTC


@settings(max_examples=examples(80), deadline=None)
@given(
    schedule=st.sampled_from([*ANY, "45m", "1d"]),
    zone=st.sampled_from(ZONES),
    start=moments,
    now=moments,
    timetable=st.sampled_from(["dataInterval", "trigger"]),
)
def test_without_catchup_at_most_one_run_is_already_due(
    schedule: str, zone: str, start: datetime, now: datetime, timetable: str
) -> None:
    spec = dag_spec(
        schedule=schedule,
        timezone=zone,
        startDate=start.isoformat(),
        catchup=False,
        timetable=cron_only(schedule, timetable),
    )
    due = due_runs(timetable_for(spec), restriction_for(spec), last=None, now=now, limit=50)
    assert len(due) <= 1
    assert all(info.run_after <= now for info in due)


def first_not_due(tt: Timetable, restriction: TimeRestriction, now: datetime) -> DagRunInfo | None:
    """Walk the upcoming runs, every due one first, to the first that is not due yet.
    (Each longer walk repeats the shorter one: `upcoming_runs` only stops at `count`.)"""
    count = 16
    while True:
        runs = upcoming_runs(tt, restriction, last=None, now=now, count=count)
        later = [info for info in runs if info.run_after > now]
        if later or len(runs) < count:
            return later[0] if later else None
        count *= 2


@settings(max_examples=examples(40), deadline=None)
@given(
    schedule=st.sampled_from(
        [
            "@hourly",
            "*/30 * * * *",
            "0 */2 * * *",
            "*/30 0-3 * * *",
            "0 9,17 * * *",
            "0 * * * 1-5",
            "45m",
        ]
    ),
    zone=st.sampled_from(ZONES),
    start=moments,
    backlog_hours=st.integers(0, 12 * 24),
    timetable=st.sampled_from(["dataInterval", "trigger"]),
)
@example(  # hourly steps go backwards in Lord Howe's half-hour fall-back
    schedule="@hourly",
    zone="Australia/Lord_Howe",
    start=BASE + timedelta(minutes=658157),
    backlog_hours=86,
    timetable="dataInterval",
)
def test_the_next_run_is_the_first_one_walking_past_the_due_ones_would_find(
    schedule: str, zone: str, start: datetime, backlog_hours: int, timetable: str
) -> None:
    spec = dag_spec(
        schedule=schedule,
        timezone=zone,
        startDate=start.isoformat(),
        timetable=cron_only(schedule, timetable),
    )
    tt, restriction = timetable_for(spec), restriction_for(spec)
    now = start + timedelta(hours=backlog_hours, minutes=13)
    # None when walking finds none: Airflow's hourly steps in Lord Howe's half-hour
    # fall-back go backwards, and both stop there (see `_advances`).
    assert next_run(tt, restriction, last=None, now=now) == first_not_due(tt, restriction, now)


@settings(max_examples=examples(40), deadline=None)
@given(
    schedule=st.sampled_from([*ANY, "45m"]),
    zone=st.sampled_from(ZONES),
    start=moments,
    now=moments,
    limit=st.integers(1, 20),
    catchup=st.booleans(),
)
def test_due_runs_are_the_first_upcoming_runs_that_are_due(
    schedule: str, zone: str, start: datetime, now: datetime, limit: int, catchup: bool
) -> None:
    spec = dag_spec(schedule=schedule, timezone=zone, startDate=start.isoformat(), catchup=catchup)
    tt, restriction = timetable_for(spec), restriction_for(spec)
    due = due_runs(tt, restriction, last=None, now=now, limit=limit)
    upcoming = upcoming_runs(tt, restriction, last=None, now=now, count=limit)
    assert due == [info for info in upcoming if info.run_after <= now][: len(due)]
    assert len(due) <= limit
