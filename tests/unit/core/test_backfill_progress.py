"""A Backfill's progress: which planned dates to start now (create or clear a run),
at most maxActiveRuns of its runs in flight, where its cursor goes, and its counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from kairflow.api.backfill import BackfillStatus
from kairflow.api.dagrun import RunType
from kairflow.core.backfill import BackfillAction, BackfillItem
from kairflow.core.backfill_plan import DatePlan, PlanCounts, Schedule, Stretch
from kairflow.core.backfill_progress import (
    backfill_progress,
    begin,
    clear_request_id,
    existing_states,
    record,
)
from kairflow.core.observations import ObservedRun
from kairflow.core.run_info import DataInterval
from kairflow.core.times import instant
from tests.unit.core.observed import DAG, FAILED, QUEUED, RUNNING, SUCCESS, at, run

CLEAR = BackfillAction.CLEAR
UID = "0123456789abcdef"
REQUEST = "backfill-redo-01234567"


def entry(day: str, action: str = "create") -> BackfillItem:
    start = at(day)
    return BackfillItem(
        start, DataInterval(start, start + timedelta(days=1)), BackfillAction(action)
    )


def mine(name: str, state: Any, **fields: Any) -> ObservedRun:
    """A run of the Backfill `redo`."""
    return run(name, state=state, backfill="redo", run_type=RunType.BACKFILL, **fields)


JAN_1 = "etl-backfill-20260101t000000"
JAN_2 = "etl-backfill-20260102t000000"
JAN_3 = "etl-backfill-20260103t000000"
THREE = [entry("2026-01-01"), entry("2026-01-02"), entry("2026-01-03")]


@pytest.mark.parametrize(
    ("pending", "runs", "max_active", "steps", "completed"),
    [
        pytest.param(
            THREE,
            [],
            2,
            [(JAN_1, False, False), (JAN_2, False, False)],
            False,
            id="a fresh Backfill creates maxActiveRuns runs, in order",
        ),
        pytest.param(
            THREE,
            [mine("r", RUNNING), mine("q", QUEUED), mine("new", None)],
            4,
            [(JAN_1, False, False)],
            False,
            id="its runs running, queued or not synced yet take places",
        ),
        pytest.param(
            THREE,
            [
                run("other", state=RUNNING, backfill="another"),
                run("scheduled", state=RUNNING, run_type=RunType.SCHEDULED),
            ],
            2,
            [(JAN_1, False, False), (JAN_2, False, False)],
            False,
            id="runs of another Backfill or of the scheduler take no place",
        ),
        pytest.param(
            THREE,
            [mine("ok", SUCCESS), mine("ko", FAILED)],
            2,
            [(JAN_1, False, False), (JAN_2, False, False)],
            False,
            id="its finished runs take no place",
        ),
        pytest.param(
            THREE,
            [mine("again", FAILED, clear_pending=True)],
            1,
            [],
            False,
            id="its finished run with a clear pending is about to run again: it takes a place",
        ),
        pytest.param(
            [entry("2026-01-02", "clear")],
            [run("etl-scheduled-20260102t000000", state=FAILED, logical="2026-01-02")],
            1,
            [("etl-scheduled-20260102t000000", True, False)],
            False,
            id="a clear entry clears the run on that date",
        ),
        pytest.param(
            [entry("2026-01-02", "clear"), entry("2026-01-03")],
            [mine("s", RUNNING, logical="2026-01-02", clear_id=REQUEST)],
            2,
            [("s", True, True), (JAN_3, False, False)],
            False,
            id="a clear entry whose run got the request already is not started twice",
        ),
        pytest.param(
            [entry("2026-01-02", "clear")],
            [run("s", state=FAILED, logical="2026-01-02", clear_id="backfill-other-01234567")],
            1,
            [("s", True, False)],
            False,
            id="a clear request of another Backfill on the run is no reason to skip it",
        ),
        pytest.param(
            [entry("2026-01-02", "clear")],
            [],
            1,
            [(JAN_2, False, False)],
            False,
            id="a clear entry whose run was deleted since creates a backfill run",
        ),
        pytest.param(
            [entry("2026-01-01"), entry("2026-01-02")],
            [mine(JAN_1, RUNNING, logical="2026-01-01")],
            2,
            [(JAN_1, False, True), (JAN_2, False, False)],
            False,
            id="a run an operator created before dying is taken off without a new place",
        ),
        pytest.param(
            [entry("2026-01-03")],
            [],
            5,
            [(JAN_3, False, False)],
            False,
            id="the last entry started leaves a run in flight: not completed yet",
        ),
        pytest.param(
            [entry("2026-01-01")],
            [mine(JAN_1, SUCCESS, logical="2026-01-01")],
            1,
            [(JAN_1, False, True)],
            True,
            id="a last entry done already with nothing in flight completes the Backfill",
        ),
        pytest.param(
            [],
            [mine("ok", SUCCESS)],
            1,
            [],
            True,
            id="nothing pending and nothing in flight: completed",
        ),
        pytest.param(
            [],
            [mine("r", RUNNING)],
            1,
            [],
            False,
            id="nothing pending but a run in flight: not completed",
        ),
    ],
)
def test_backfill_steps(
    pending: list[BackfillItem],
    runs: list[ObservedRun],
    max_active: int,
    steps: list[tuple[str, bool, bool]],
    completed: bool,
) -> None:
    progress = backfill_progress(DAG, "redo", UID, iter(pending), runs, max_active, 0, 0)
    assert [(s.run_name, s.clear, s.already_done) for s in progress.steps] == steps
    assert [s.item for s in progress.steps] == pending[: len(steps)]
    # The cursor moves to the first date not started.
    assert progress.next == (pending[len(steps)] if len(steps) < len(pending) else None)
    assert progress.completed is completed


@pytest.mark.parametrize(
    ("runs", "before", "counts"),
    [
        pytest.param([], (0, 0), (0, 0), id="no runs yet: nothing counted"),
        pytest.param(
            [
                mine("a", SUCCESS),
                mine("b", SUCCESS),
                mine("c", FAILED),
                mine("d", RUNNING),
                run("e", state=SUCCESS, backfill="another"),
            ],
            (0, 0),
            (2, 1),
            id="its successful and failed runs are counted, only its own",
        ),
        pytest.param(
            [mine("a", SUCCESS)],
            (5, 2),
            (5, 2),
            id="counts never go backwards when history deleted finished runs",
        ),
    ],
)
def test_backfill_counts(
    runs: list[ObservedRun], before: tuple[int, int], counts: tuple[int, int]
) -> None:
    progress = backfill_progress(DAG, "redo", UID, [], runs, 1, *before)
    assert (progress.succeeded, progress.failed) == counts


def test_existing_states_are_those_of_started_runs() -> None:
    runs = [
        run("a", state=SUCCESS, logical="2026-01-01"),
        run("b", state=RUNNING, logical="2026-01-02"),
        run("c", requested="2026-01-03T00:00"),
        run("d", logical="2026-01-04"),
    ]
    assert existing_states(runs) == {at("2026-01-01"): SUCCESS, at("2026-01-02"): RUNNING}


def test_runs_a_backfill_made_count_as_in_flight_when_it_plans_again() -> None:
    runs = [
        run("a", state=FAILED, logical="2026-01-01", backfill="redo"),
        run("b", state=FAILED, logical="2026-01-02", backfill="another"),
    ]
    assert existing_states(runs, "redo") == {at("2026-01-01"): RUNNING, at("2026-01-02"): FAILED}


@pytest.mark.parametrize(
    ("name", "uid", "expected"),
    [
        pytest.param("redo", UID, REQUEST, id="a Backfill's clear request is named by it"),
        pytest.param(
            "redo",
            "fedcba9876543210",
            "backfill-redo-fedcba98",
            id="a Backfill made again asks anew",
        ),
    ],
)
def test_clear_request_id(name: str, uid: str, expected: str) -> None:
    assert clear_request_id(name, uid) == expected


def plan_of(days: int, backwards: bool = False, clear: tuple[int, ...] = ()) -> DatePlan:
    """A @daily plan over January 1st to `days`th, 2026; `clear`: days run again."""
    stretches = tuple(Stretch(at(f"2026-01-{d:02d}"), at(f"2026-01-{d:02d}"), CLEAR) for d in clear)
    return DatePlan(
        Schedule("@daily"), at("2026-01-01"), at(f"2026-01-{days:02d}"), backwards, stretches
    )


def sync(plan: DatePlan, status: BackfillStatus, runs: list[ObservedRun]) -> BackfillStatus:
    """One sync of the Backfill `redo` (maxActiveRuns 2), once the runs started before
    have finished; the runs it starts are added, and the status it would write is
    returned."""
    runs[:] = [replace(r, state=SUCCESS) if r.backfill == "redo" else r for r in runs]
    cursor = status.next_logical_date
    pending = plan.items(instant(cursor)) if cursor else iter(())
    progress = backfill_progress(
        DAG, "redo", UID, pending, runs, 2, status.succeeded or 0, status.failed or 0
    )
    for step in progress.steps:
        if step.already_done:
            continue
        day = step.item.logical_date.strftime("%Y-%m-%d")
        if step.clear:
            index = next(i for i, r in enumerate(runs) if r.name == step.run_name)
            runs[index] = replace(runs[index], backfill="redo", clear_id=REQUEST, state=RUNNING)
        else:
            runs.append(mine(step.run_name, RUNNING, logical=day))
    written = status.model_copy(deep=True)
    record(written, progress)
    return written


def started(runs: list[ObservedRun]) -> list[str]:
    return sorted(r.name for r in runs if r.backfill == "redo")


@pytest.mark.parametrize(
    ("plan", "lost"),
    [
        pytest.param(plan_of(7), set(), id="every status write lands"),
        pytest.param(plan_of(7), {1, 3}, id="oldest first, two status writes lost"),
        pytest.param(plan_of(7, backwards=True), {0, 2}, id="newest first, two writes lost"),
        pytest.param(plan_of(7, clear=(3, 4)), {1, 2}, id="clears, their writes lost"),
        pytest.param(plan_of(7), {0, 1, 2, 3, 4, 5}, id="every write but the last lost"),
    ],
)
def test_a_lost_status_write_neither_skips_nor_repeats_a_date(
    plan: DatePlan, lost: set[int]
) -> None:
    """An operator killed between starting runs and writing the cursor: the next sync
    reads the status written before, and finds the runs it started by their names."""
    runs = [
        run(f"etl-scheduled-202601{d:02d}t000000", state=FAILED, logical=f"2026-01-{d:02d}")
        for d in (3, 4)
    ]
    status = BackfillStatus()
    dates = list(plan.items())
    begin(status, plan, PlanCounts(7, len(dates), dates[0].logical_date), 1, at("2026-02-01"))
    every_name: list[str] = []
    for attempt in range(20):
        before = started(runs)
        written = sync(plan, status, runs)
        every_name += [n for n in started(runs) if n not in before]
        if attempt not in lost:
            status = written
        if status.state == "completed":
            break
    assert status.state == "completed", status
    assert (status.created, status.remaining, status.next_logical_date) == (7, 0, None)
    assert sorted(every_name) == started(runs)  # each started once
    expected = sorted(
        f"etl-scheduled-202601{d:02d}t000000"
        if d in (3, 4) and plan.exceptions
        else f"etl-backfill-202601{d:02d}t000000"
        for d in range(1, 8)
    )
    assert started(runs) == expected
