"""Backfill planning: which runs a Backfill creates or clears, in which order.

Which logical dates count is Airflow 2.6's `DAG.iter_dagrun_infos_between(from, to)`:
the schedule's runs whose logical date lies in [from, to] (both inclusive), aligned
to the schedule, ignoring the DAG's own startDate, endDate and catchup. What happens
to a date that already has a run is Airflow 3's `reprocess_behavior`: runs in flight
(queued, running) are never touched; `none` skips existing runs, `failed` clears
failed ones, `completed` clears failed and successful ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kairflow.api import DagRunState, DAGSpec, Reprocess
from kairflow.core.run_info import DagRunInfo, DataInterval, TimeRestriction, Timetable
from kairflow.core.schedule_validation import load_timezone
from kairflow.core.task_settings import TaskPolicy, effective_task
from kairflow.core.times import as_utc, to_utc
from kairflow.core.timetable import timetable_for
from kairflow.core.timetables import ContinuousTimetable, NullTimetable


class BackfillError(ValueError):
    """A backfill that cannot be planned; the message says why."""


class BackfillAction(StrEnum):
    CREATE = "create"  # no run for this logical date yet
    CLEAR = "clear"  # run it again: clear the existing run's task instances


@dataclass(frozen=True)
class BackfillItem:
    logical_date: datetime
    data_interval: DataInterval
    action: BackfillAction


def runs_between(
    timetable: Timetable, start: datetime, end: datetime, limit: int | None = None
) -> list[DagRunInfo]:
    """The runs with a logical date in [start, end], oldest first (Airflow's
    `iter_dagrun_infos_between`, aligned). `now` plays no part: catchup is on.

    BackfillError past `limit` runs, when given: a caller that must answer quickly (a
    web page's dry run) stops there instead of listing a minutely schedule's decade.
    """
    restriction = TimeRestriction(earliest=start, latest=end, catchup=True)
    runs: list[DagRunInfo] = []
    last: DataInterval | None = None
    while True:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction, now=start
        )
        if info is None or (runs and info.logical_date <= runs[-1].logical_date):
            return runs
        if limit is not None and len(runs) >= limit:
            raise BackfillError(
                f"more than {limit} logical dates between {start.isoformat()} and "
                f"{end.isoformat()}: choose a shorter range"
            )
        runs.append(info)
        last = info.data_interval


def _depends_on_past(spec: DAGSpec) -> list[str]:
    """Tasks that depend on their past run, resolved as the planner resolves them
    (defaults included; waitForDownstream implies dependsOnPast)."""
    return [
        task.name
        for task in spec.tasks
        if TaskPolicy.of(effective_task(spec, task)).depends_on_past
    ]


def _action(state: DagRunState | None, reprocess: Reprocess) -> BackfillAction | None:
    if state is None:
        return BackfillAction.CREATE
    if not state.finished or reprocess is Reprocess.NONE:
        return None  # in flight, or already there and not to be redone
    if reprocess is Reprocess.COMPLETED or state is DagRunState.FAILED:
        return BackfillAction.CLEAR
    return None


def plan_backfill(
    spec: DAGSpec,
    start: datetime,
    end: datetime,
    existing: Mapping[datetime, DagRunState],
    reprocess: Reprocess = Reprocess.NONE,
    run_backwards: bool = False,
    limit: int | None = None,
) -> list[BackfillItem]:
    """The runs a backfill over [start, end] (logical dates, inclusive) creates or
    clears, in the order it starts them. Naive `start`/`end` are wall times in the
    DAG's zone; `existing` maps the logical dates of runs already there to their state.

    BackfillError: invalid schedule, empty range, a DAG without intervals to backfill,
    or `run_backwards` with a task that depends on its past (Airflow refuses it too),
    or more than `limit` logical dates in the range (when given).
    """
    timetable = timetable_for(spec)  # ScheduleError (a ValueError) when invalid
    if isinstance(timetable, ContinuousTimetable):
        raise BackfillError("nothing to backfill: @continuous has no intervals")
    if isinstance(timetable, NullTimetable):
        raise BackfillError("nothing to backfill: the DAG has no schedule (manual runs only)")
    tz = load_timezone(spec.timezone)
    start, end = to_utc(start, tz), to_utc(end, tz)
    if start > end:
        raise BackfillError(f"from {start.isoformat()} is after to {end.isoformat()}")
    if run_backwards:
        blocked = _depends_on_past(spec)
        if blocked:
            raise BackfillError(
                "cannot backfill backwards: these tasks depend on their past run: "
                + ", ".join(blocked)
            )
    states = {as_utc(date, "existing logical date"): state for date, state in existing.items()}
    runs = runs_between(timetable, start, end, limit)  # @once: one run, at `start`
    if run_backwards:
        runs.reverse()
    items = []
    for info in runs:
        action = _action(states.get(info.logical_date), reprocess)
        if action is not None:
            items.append(BackfillItem(info.logical_date, info.data_interval, action))
    return items
