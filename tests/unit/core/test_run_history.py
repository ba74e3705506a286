"""A run's place among its DAG's runs: its previous run, its previous success, the
scheduler's bookmark, the DAG's last run, and which finished runs history keeps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dagrun import RunType
from kairflow.core.observations import ObservedRun
from kairflow.core.run_history import (
    Expiry,
    HistoryLimits,
    expired_runs,
    last_automated,
    newest_run,
    previous_run,
    previous_success,
)
from kairflow.core.run_info import DataInterval
from kairflow.core.run_model import PreviousSuccess
from tests.unit.core.observed import FAILED, QUEUED, RUNNING, SUCCESS, at, interval, run

UTC_ZONE, SEOUL = ZoneInfo("UTC"), ZoneInfo("Asia/Seoul")
ME = run("me", state=RUNNING, logical="2026-01-05")


def sibling(name: str, **fields: Any) -> ObservedRun:
    """A run whose task states name it, so the previous run found can be told apart."""
    return run(name, tasks={name: TI.SUCCESS}, **fields)


@pytest.mark.parametrize(
    ("me", "siblings", "zone", "expected"),
    [
        pytest.param(ME, [], UTC_ZONE, None, id="the first run has no previous run"),
        pytest.param(
            ME,
            [
                sibling("a", state=SUCCESS, logical="2026-01-03"),
                sibling("b", state=FAILED, logical="2026-01-04"),
                sibling("c", state=SUCCESS, logical="2026-01-02"),
            ],
            UTC_ZONE,
            ("b", True),
            id="the previous run is the latest one before, whatever its state",
        ),
        pytest.param(
            ME,
            [sibling("a", state=RUNNING, logical="2026-01-04")],
            UTC_ZONE,
            ("a", False),
            id="a previous run still running says it has not finished",
        ),
        pytest.param(
            ME,
            [sibling("a", state=SUCCESS, logical="2026-01-06")],
            UTC_ZONE,
            None,
            id="a later run is not a previous run",
        ),
        pytest.param(
            ME,
            [sibling("a", state=SUCCESS, logical="2026-01-05")],
            UTC_ZONE,
            None,
            id="a run on the same logical date is not the previous run",
        ),
        pytest.param(
            run("me", created="2026-01-01"),
            [sibling("a", state=SUCCESS, logical="2025-12-01")],
            UTC_ZONE,
            ("a", True),
            id="a run is never its own previous run, even when its view is older than its date",
        ),
        pytest.param(
            ME,
            [sibling("a", requested="2026-01-05T08:00")],
            SEOUL,
            ("a", False),
            id="a run not synced yet is placed by its requested date, read in the DAG's zone",
        ),
        pytest.param(
            ME,
            [sibling("a", created="2026-01-04T12:00")],
            UTC_ZONE,
            ("a", False),
            id="a run that asks for no date is placed by its creation time",
        ),
        pytest.param(
            ME,
            [sibling("a", state=QUEUED)],
            UTC_ZONE,
            None,
            id="a run without any date is nobody's previous run",
        ),
    ],
)
def test_previous_run(
    me: ObservedRun, siblings: list[ObservedRun], zone: ZoneInfo, expected: tuple[str, bool] | None
) -> None:
    found = previous_run(me, at("2026-01-05"), [me, *siblings], zone, catchup=False)
    assert (None if found is None else (*found.task_states, found.finished)) == expected


def success(name: str, day: int, **fields: Any) -> ObservedRun:
    """A successful daily run of 2026-01-`day`, started five minutes after its interval."""
    fields.setdefault("state", SUCCESS)
    return run(
        name,
        logical=f"2026-01-{day:02d}",
        data_interval=(f"2026-01-{day:02d}", f"2026-01-{day + 1:02d}"),
        started=f"2026-01-{day + 1:02d}T00:05",
        **fields,
    )


JAN_3 = PreviousSuccess(at("2026-01-03"), at("2026-01-04"), at("2026-01-04T00:05"))


@pytest.mark.parametrize(
    ("siblings", "expected"),
    [
        pytest.param([], None, id="no run before: no previous success"),
        pytest.param(
            [success("a", 2), success("b", 3)],
            JAN_3,
            id="the latest successful run before gives its interval and start",
        ),
        pytest.param(
            [success("b", 3), success("a", 2)],
            JAN_3,
            id="the latest by data interval, whatever the order of the runs",
        ),
        pytest.param(
            [success("a", 3), success("b", 4, state=FAILED)],
            JAN_3,
            id="failed runs are skipped",
        ),
        pytest.param(
            [success("a", 3), success("b", 4, state=RUNNING)],
            JAN_3,
            id="runs still running are skipped",
        ),
        pytest.param(
            [success("a", 6)],
            None,
            id="a later success is not a previous one",
        ),
        pytest.param(
            [run("a", state=SUCCESS, logical="2026-01-03")],
            None,
            id="a successful run whose interval is not known is skipped",
        ),
    ],
)
def test_previous_success(siblings: list[ObservedRun], expected: PreviousSuccess | None) -> None:
    assert previous_success(ME, at("2026-01-05"), [ME, *siblings], UTC_ZONE) == expected


def automated(
    name: str, start: str, end: str, run_type: RunType = RunType.SCHEDULED
) -> ObservedRun:
    return run(name, run_type=run_type, logical=start, data_interval=(start, end))


JAN_1, JAN_3_4 = interval("2026-01-01", "2026-01-02"), interval("2026-01-03", "2026-01-04")


@pytest.mark.parametrize(
    ("runs", "bookmark", "zone", "expected"),
    [
        pytest.param([], None, UTC_ZONE, None, id="no runs and no bookmark: nothing yet"),
        pytest.param([], JAN_1, UTC_ZONE, JAN_1, id="the bookmark stands when its run was deleted"),
        pytest.param(
            [automated("a", "2026-01-03", "2026-01-04")],
            JAN_1,
            UTC_ZONE,
            JAN_3_4,
            id="a newer scheduled run moves the bookmark on",
        ),
        pytest.param(
            [automated("a", "2026-01-01", "2026-01-02")],
            JAN_3_4,
            UTC_ZONE,
            JAN_3_4,
            id="an older run does not move the bookmark back",
        ),
        pytest.param(
            [
                automated("m", "2026-01-05", "2026-01-06", RunType.MANUAL),
                automated("a", "2026-01-03", "2026-01-04"),
            ],
            None,
            UTC_ZONE,
            JAN_3_4,
            id="manual runs do not move the scheduler's bookmark",
        ),
        pytest.param(
            [
                automated("a", "2026-01-01", "2026-01-02"),
                automated("b", "2026-01-03", "2026-01-04", RunType.BACKFILL),
            ],
            None,
            UTC_ZONE,
            JAN_3_4,
            id="backfill runs count, as in Airflow",
        ),
        pytest.param(
            [
                run(
                    "a",
                    run_type=RunType.SCHEDULED,
                    requested_interval=("2026-01-03T09:00", "2026-01-04T09:00"),
                )
            ],
            None,
            SEOUL,
            JAN_3_4,
            id="a run not synced yet counts by its requested interval, read in the DAG's zone",
        ),
        pytest.param(
            [run("a", run_type=RunType.SCHEDULED, requested_interval=("2026-01-03", None))],
            JAN_1,
            UTC_ZONE,
            JAN_1,
            id="half a requested interval counts for nothing",
        ),
        pytest.param(
            [
                run(
                    "a",
                    run_type=RunType.SCHEDULED,
                    data_interval=("2026-01-03", "2026-01-04"),
                    requested_interval=("2026-02-01", "2026-02-02"),
                )
            ],
            None,
            UTC_ZONE,
            JAN_3_4,
            id="a run's resolved interval wins over the one it asked for",
        ),
    ],
)
def test_last_automated(
    runs: list[ObservedRun],
    bookmark: DataInterval | None,
    zone: ZoneInfo,
    expected: DataInterval | None,
) -> None:
    assert last_automated(runs, bookmark, zone) == expected


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        pytest.param([], None, id="no runs: no last run"),
        pytest.param(
            [
                run("a", logical="2026-01-01"),
                run("b", logical="2026-01-03"),
                run("c", logical="2026-01-02"),
            ],
            "b",
            id="the last run has the latest logical date",
        ),
        pytest.param(
            [run("a", logical="2026-01-01"), run("later", requested="2026-01-09T00:00")],
            "a",
            id="a run not started yet (no resolved date) is not the last run",
        ),
        pytest.param(
            [run("a", logical="2026-01-03"), run("b", logical="2026-01-03")],
            "b",
            id="runs on the same logical date: the later name",
        ),
        pytest.param(
            [
                run("a", logical="2026-01-01", created="2026-01-09"),
                run("b", logical="2026-01-02", created="2026-01-02"),
            ],
            "b",
            id="by logical date, not by creation",
        ),
    ],
)
def test_newest_run(runs: list[ObservedRun], expected: str | None) -> None:
    found = newest_run(runs)
    assert (found.name if found else None) == expected


NOW = at("2026-02-01")
DAY = timedelta(days=1)


def ended(name: str, state: Any, end: str | None, **fields: Any) -> ObservedRun:
    return run(name, state=state, ended=end, **fields)


@pytest.mark.parametrize(
    ("runs", "limits", "expected"),
    [
        pytest.param([], HistoryLimits(1, 1, DAY), Expiry((), None), id="no runs: nothing to do"),
        pytest.param(
            [
                ended("s1", SUCCESS, "2026-01-31"),
                ended("s2", SUCCESS, "2026-01-30"),
                ended("s3", SUCCESS, "2026-01-29"),
                ended("f1", FAILED, "2026-01-28"),
                ended("f2", FAILED, "2026-01-27"),
            ],
            HistoryLimits(2, 1, 7 * DAY),
            Expiry(("s3", "f2"), at("2026-02-04T00:00:01")),
            id="history keeps the newest N successful and N failed runs "
            "and wakes when the oldest kept one outlives the TTL",
        ),
        pytest.param(
            [ended("s1", SUCCESS, "2026-01-31T12:00"), ended("s2", SUCCESS, "2026-01-30")],
            HistoryLimits(5, 5, DAY),
            Expiry(("s2",), at("2026-02-01T12:00:01")),
            id="a run older than the TTL is deleted even within the limits",
        ),
        pytest.param(
            [ended("s1", SUCCESS, "2026-01-31")],
            HistoryLimits(5, 5, DAY),
            Expiry((), at("2026-02-01T00:00:01")),
            id="a run exactly as old as the TTL is kept, and looked at again a second later",
        ),
        pytest.param(
            [ended("s1", SUCCESS, "2026-01-31"), ended("s2", SUCCESS, "2026-01-01")],
            HistoryLimits(1, 1),
            Expiry(("s2",), None),
            id="without a TTL only the limits apply and nothing wakes",
        ),
        pytest.param(
            [ended("s1", SUCCESS, "2026-01-20"), ended("f1", FAILED, "2026-01-25")],
            HistoryLimits(0, 0),
            Expiry(("f1", "s1"), None),
            id="limits of zero delete every finished run, newest first",
        ),
        pytest.param(
            [
                ended("r", RUNNING, "2026-01-01"),
                ended("q", QUEUED, "2026-01-01"),
                ended("new", None, None),
            ],
            HistoryLimits(0, 0, DAY),
            Expiry((), None),
            id="runs in flight are never deleted",
        ),
        pytest.param(
            [ended("s1", SUCCESS, None)],
            HistoryLimits(0, 0, DAY),
            Expiry((), None),
            id="a finished run without an end date is kept",
        ),
        pytest.param(
            [
                ended("early", SUCCESS, "2026-01-31", logical="2026-01-01"),
                ended("late", SUCCESS, "2026-01-31", logical="2026-01-02"),
            ],
            HistoryLimits(1, 1),
            Expiry(("early",), None),
            id="of runs that finished in the same instant the later interval is kept",
        ),
    ],
)
def test_expired_runs(runs: list[ObservedRun], limits: HistoryLimits, expected: Expiry) -> None:
    assert expired_runs(runs, limits, NOW) == expected
