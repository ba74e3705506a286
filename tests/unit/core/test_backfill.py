"""Backfill plans: which logical dates in a range get a run created or cleared, in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kairflow.api import DagRunState, DAGSpec, Reprocess
from kairflow.core.backfill import (
    BackfillAction,
    BackfillError,
    BackfillItem,
    plan_backfill,
)
from kairflow.core.schedule_validation import ScheduleError

CREATE, CLEAR = BackfillAction.CREATE, BackfillAction.CLEAR
S = DagRunState


def dag_spec(**fields: Any) -> DAGSpec:
    return DAGSpec.model_validate({"tasks": [{"name": "t"}], **fields})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def plan(items: list[BackfillItem]) -> list[tuple[str, str]]:
    return [(item.logical_date.strftime("%m-%d %H:%M"), item.action.value) for item in items]


DAILY = dag_spec(schedule="@daily", startDate="2020-01-01")
EXISTING = {
    at("2026-01-02"): S.SUCCESS,
    at("2026-01-03"): S.FAILED,
    at("2026-01-04"): S.RUNNING,
    at("2026-01-05"): S.QUEUED,
}

REPROCESS = [
    pytest.param(
        {},
        Reprocess.NONE,
        False,
        [
            ("01-01 00:00", "create"),
            ("01-02 00:00", "create"),
            ("01-03 00:00", "create"),
            ("01-04 00:00", "create"),
            ("01-05 00:00", "create"),
            ("01-06 00:00", "create"),
        ],
        id="every day in the range, both ends included, oldest first",
    ),
    pytest.param(
        EXISTING,
        Reprocess.NONE,
        False,
        [("01-01 00:00", "create"), ("01-06 00:00", "create")],
        id="reprocess none skips every date that already has a run",
    ),
    pytest.param(
        EXISTING,
        Reprocess.FAILED,
        False,
        [("01-01 00:00", "create"), ("01-03 00:00", "clear"), ("01-06 00:00", "create")],
        id="reprocess failed clears the failed run and leaves the successful one",
    ),
    pytest.param(
        EXISTING,
        Reprocess.COMPLETED,
        False,
        [
            ("01-01 00:00", "create"),
            ("01-02 00:00", "clear"),
            ("01-03 00:00", "clear"),
            ("01-06 00:00", "create"),
        ],
        id="reprocess completed clears failed and successful runs but never ones in flight",
    ),
    pytest.param(
        EXISTING,
        Reprocess.COMPLETED,
        True,
        [
            ("01-06 00:00", "create"),
            ("01-03 00:00", "clear"),
            ("01-02 00:00", "clear"),
            ("01-01 00:00", "create"),
        ],
        id="run backwards goes newest first",
    ),
]


@pytest.mark.parametrize(("existing", "reprocess", "backwards", "expected"), REPROCESS)
def test_reprocess_and_order(
    existing: dict[datetime, DagRunState],
    reprocess: Reprocess,
    backwards: bool,
    expected: list[tuple[str, str]],
) -> None:
    items = plan_backfill(DAILY, at("2026-01-01"), at("2026-01-06"), existing, reprocess, backwards)
    assert plan(items) == expected


RANGES = [
    pytest.param(
        DAILY,
        "2026-01-01T06:00:00+00:00",
        "2026-01-03T00:00:00+00:00",
        ["01-02 00:00", "01-03 00:00"],
        id="a range starting between ticks starts at the next tick",
    ),
    pytest.param(
        dag_spec(schedule="@daily", startDate="2026-06-01", endDate="2026-07-01", catchup=False),
        "2026-01-01",
        "2026-01-02",
        ["01-01 00:00", "01-02 00:00"],
        id="the DAG's own start date, end date and catchup do not limit a backfill",
    ),
    pytest.param(
        dag_spec(schedule="@hourly", timezone="America/New_York", startDate="2026-01-01"),
        "2026-03-08T00:00:00",
        "2026-03-08T04:00:00",
        ["03-08 05:00", "03-08 06:00", "03-08 07:00", "03-08 08:00"],
        id="naive bounds are wall times in the DAG's zone (03:00 EDT follows 01:00 EST)",
    ),
    pytest.param(
        dag_spec(schedule="1d", startDate="2020-01-01"),
        "2026-01-01T06:00:00+00:00",
        "2026-01-03T12:00:00+00:00",
        ["01-01 06:00", "01-02 06:00", "01-03 06:00"],
        id="a duration schedule starts right at the range start",
    ),
    pytest.param(
        dag_spec(schedule="@once", startDate="2020-01-01"),
        "2026-01-01T06:00:00+00:00",
        "2026-01-03T00:00:00+00:00",
        ["01-01 06:00"],
        id="a once DAG is backfilled once, at the range start (as in Airflow)",
    ),
    pytest.param(
        dag_spec(schedule="0 12 * * *", timetable="trigger", startDate="2020-01-01"),
        "2026-01-01",
        "2026-01-03",
        ["01-01 12:00", "01-02 12:00"],
        id="a trigger timetable backfills the ticks in the range",
    ),
    pytest.param(
        DAILY,
        "2026-01-01T06:00:00+00:00",
        "2026-01-01T18:00:00+00:00",
        [],
        id="a range without a tick has nothing to do",
    ),
]


@pytest.mark.parametrize(("spec", "start", "end", "expected"), RANGES)
def test_which_dates_a_range_covers(
    spec: DAGSpec, start: str, end: str, expected: list[str]
) -> None:
    items = plan_backfill(spec, datetime.fromisoformat(start), datetime.fromisoformat(end), {})
    assert [date for date, _ in plan(items)] == expected
    assert all(item.action is CREATE for item in items)


def test_items_carry_the_data_interval_of_each_run() -> None:
    items = plan_backfill(DAILY, at("2026-01-01"), at("2026-01-01"), {})
    assert [(i.logical_date, i.data_interval.start, i.data_interval.end) for i in items] == [
        (at("2026-01-01"), at("2026-01-01"), at("2026-01-02"))
    ]


def test_existing_runs_match_by_instant_whatever_their_offset() -> None:
    seoul = timezone(timedelta(hours=9))
    existing = {datetime(2026, 1, 2, 9, tzinfo=seoul): S.SUCCESS}
    items = plan_backfill(DAILY, at("2026-01-01"), at("2026-01-03"), existing)
    assert plan(items) == [("01-01 00:00", "create"), ("01-03 00:00", "create")]


DEPENDS_ON_PAST = [
    pytest.param(
        {"tasks": [{"name": "a"}, {"name": "b", "dependsOnPast": True}]},
        ["b"],
        id="a task that depends on its past blocks a backwards backfill",
    ),
    pytest.param(
        {"defaults": {"dependsOnPast": True}, "tasks": [{"name": "a"}, {"name": "b"}]},
        ["a", "b"],
        id="dependsOnPast in the defaults blocks it for every task",
    ),
    pytest.param(
        {"tasks": [{"name": "a"}, {"name": "b", "waitForDownstream": True}]},
        ["b"],
        id="a task that waits for downstream depends on its past too",
    ),
    pytest.param(
        {"defaults": {"waitForDownstream": True}, "tasks": [{"name": "a"}, {"name": "b"}]},
        ["a", "b"],
        id="waitForDownstream in the defaults blocks it for every task",
    ),
    pytest.param(
        {
            "defaults": {"dependsOnPast": True},
            "tasks": [{"name": "a"}, {"name": "b", "dependsOnPast": False}],
        },
        ["a"],
        id="a task that turns the default off does not block it",
    ),
    pytest.param(
        {"tasks": [{"name": "a"}, {"name": "b", "waitForDownstream": False}]},
        [],
        id="no task depends on its past: backwards is fine",
    ),
]


@pytest.mark.parametrize(("fields", "blocked"), DEPENDS_ON_PAST)
def test_run_backwards_is_refused_when_tasks_depend_on_past(
    fields: dict[str, Any], blocked: list[str]
) -> None:
    spec = DAGSpec.model_validate({"schedule": "@daily", "startDate": "2020-01-01", **fields})
    forwards = plan_backfill(spec, at("2026-01-01"), at("2026-01-03"), {})
    assert len(forwards) == 3
    if not blocked:
        backwards = plan_backfill(spec, at("2026-01-01"), at("2026-01-03"), {}, run_backwards=True)
        assert backwards == forwards[::-1]
        return
    names = ", ".join(blocked)
    with pytest.raises(
        BackfillError, match=f"cannot backfill backwards.*depend on their past.*: {names}$"
    ):
        plan_backfill(spec, at("2026-01-01"), at("2026-01-03"), {}, run_backwards=True)


REFUSED = [
    pytest.param(dag_spec(), "the DAG has no schedule", id="a manual-only DAG has nothing"),
    pytest.param(
        dag_spec(schedule="@continuous", maxActiveRuns=1, startDate="2020-01-01"),
        "@continuous has no intervals",
        id="nor has a continuous one",
    ),
]


@pytest.mark.parametrize(("spec", "message"), REFUSED)
def test_dags_without_intervals_cannot_be_backfilled(spec: DAGSpec, message: str) -> None:
    with pytest.raises(BackfillError, match=message):
        plan_backfill(spec, at("2026-01-01"), at("2026-01-03"), {})


def test_a_backwards_range_is_refused() -> None:
    with pytest.raises(BackfillError, match="from 2026-01-03T00:00:00\\+00:00 is after to"):
        plan_backfill(DAILY, at("2026-01-03"), at("2026-01-01"), {})


def test_an_invalid_schedule_is_a_schedule_error() -> None:
    with pytest.raises(ScheduleError, match="minute field"):
        plan_backfill(
            dag_spec(schedule="99 * * * *", startDate="2020-01-01"),
            at("2026-01-01"),
            at("2026-01-03"),
            {},
        )


@pytest.mark.parametrize(
    ("schedule", "end", "limit", "refused"),
    [
        pytest.param("@daily", "2026-01-03", 3, False, id="as many dates as the limit is fine"),
        pytest.param("@daily", "2026-01-04", 3, True, id="one date past the limit is refused"),
        pytest.param(
            "* * * * *", "2036-01-01", 1000, True, id="a minutely decade stops at the limit"
        ),
    ],
)
def test_a_limit_bounds_the_dates_a_plan_lists(
    schedule: str, end: str, limit: int, refused: bool
) -> None:
    spec = dag_spec(schedule=schedule, startDate="2020-01-01")
    if refused:
        with pytest.raises(BackfillError, match=f"^more than {limit} logical dates between"):
            plan_backfill(spec, at("2026-01-01"), at(end), {}, limit=limit)
    else:
        assert len(plan_backfill(spec, at("2026-01-01"), at(end), {}, limit=limit)) == limit
