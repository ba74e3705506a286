"""Backfill planning: which runs a Backfill creates or clears, in which order.

Which logical dates count is Airflow 2.6's `DAG.iter_dagrun_infos_between(from, to)`:
the schedule's runs whose logical date lies in [from, to] (both inclusive), aligned
to the schedule, ignoring the DAG's own startDate, endDate and catchup. What happens
to a date that already has a run is Airflow 3's `reprocess_behavior`: runs in flight
(queued, running) are never touched; `none` skips existing runs, `failed` clears
failed ones, `completed` clears failed and successful ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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


def iter_runs(timetable: Timetable, start: datetime, end: datetime) -> Iterator[DagRunInfo]:
    """The runs with a logical date in [start, end], oldest first, one at a time: a
    caller that needs the next few does not pay for the whole range (a cron step
    costs croniter calls; 20,000 of them take seconds)."""
    restriction = TimeRestriction(earliest=start, latest=end, catchup=True)
    last: DagRunInfo | None = None
    while True:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=None if last is None else last.data_interval,
            restriction=restriction,
            now=start,
        )
        if info is None or (last is not None and info.logical_date <= last.logical_date):
            return
        yield info
        if last is None:
            # Every next run is after this one, so after `start`: without it, a
            # timetable does not align `start` again at each step (two of a cron
            # step's five croniter calls).
            restriction = TimeRestriction(earliest=None, latest=end, catchup=True)
        last = info


def runs_between(
    timetable: Timetable, start: datetime, end: datetime, limit: int | None = None
) -> list[DagRunInfo]:
    """The runs with a logical date in [start, end], oldest first (Airflow's
    `iter_dagrun_infos_between`, aligned). `now` plays no part: catchup is on.

    BackfillError past `limit` runs, when given: a caller that must answer quickly (a
    web page's dry run) stops there instead of listing a minutely schedule's decade.
    """
    runs: list[DagRunInfo] = []
    for info in iter_runs(timetable, start, end):
        if limit is not None and len(runs) >= limit:
            raise BackfillError(
                f"more than {limit} logical dates between {start.isoformat()} and "
                f"{end.isoformat()}: choose a shorter range"
            )
        runs.append(info)
    return runs


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


@dataclass(frozen=True)
class BackfillRange:
    """What a Backfill runs over, checked: the DAG's timetable and the range in UTC."""

    timetable: Timetable
    start: datetime
    end: datetime
    backwards: bool


def backfill_range(
    spec: DAGSpec, start: datetime, end: datetime, run_backwards: bool = False
) -> BackfillRange:
    """The range of a backfill over [start, end] (logical dates, inclusive); naive
    `start`/`end` are wall times in the DAG's zone.

    BackfillError: invalid schedule, empty range, a DAG without intervals to backfill,
    or `run_backwards` with a task that depends on its past (Airflow refuses it too).
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
    return BackfillRange(timetable, start, end, run_backwards)


def dates_in(
    span: BackfillRange,
    existing: Mapping[datetime, DagRunState],
    reprocess: Reprocess = Reprocess.NONE,
    limit: int | None = None,
) -> list[tuple[DagRunInfo, BackfillAction | None]]:
    """Every logical date of the range, in the order the backfill starts them, with
    what it does there (None: the date's run is left as it is). `existing` maps the
    logical dates of runs already there to their state. BackfillError past `limit`
    dates (when given)."""
    states = {as_utc(date, "existing logical date"): state for date, state in existing.items()}
    runs = runs_between(span.timetable, span.start, span.end, limit)  # @once: one, at start
    if span.backwards:
        runs.reverse()
    return [(info, _action(states.get(info.logical_date), reprocess)) for info in runs]


def plan_backfill(
    spec: DAGSpec,
    start: datetime,
    end: datetime,
    existing: Mapping[datetime, DagRunState],
    reprocess: Reprocess = Reprocess.NONE,
    run_backwards: bool = False,
    limit: int | None = None,
) -> list[BackfillItem]:
    """The runs a backfill over [start, end] creates or clears, in the order it starts
    them (`dates_in` without the dates it leaves alone). Naive `start`/`end` are wall
    times in the DAG's zone. BackfillError as `backfill_range`, or past `limit` dates."""
    return [
        BackfillItem(info.logical_date, info.data_interval, action)
        for info, action in dates_in(
            backfill_range(spec, start, end, run_backwards), existing, reprocess, limit
        )
        if action is not None
    ]
