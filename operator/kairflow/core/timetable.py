"""The scheduling API the operator and the CLI call: a DAG's timetable, and which of its
runs are due now and which one comes next.

    timetable = timetable_for(spec)             # ScheduleError(problems) if invalid
    restriction = restriction_for(spec)         # startDate, endDate, catchup
    due = due_runs(timetable, restriction, last=last, now=now, limit=free_slots)
    upcoming = next_run(timetable, restriction, last=last, now=now)   # the wake-up time

`last` is the data interval of the newest automated (scheduled or backfill) run, as
in Airflow's `DagModel.next_dagrun` bookkeeping. Nothing here reads the clock.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from kairflow.api import DAGSpec, TimetableKind
from kairflow.core.cron import CronSchedule
from kairflow.core.run_info import (
    DagRunInfo,
    DataInterval,
    SkipsAhead,
    TimeRestriction,
    Timetable,
)
from kairflow.core.schedule_validation import (
    ScheduleError,
    ScheduleKind,
    load_timezone,
    parse_schedule,
    validate_schedule,
)
from kairflow.core.times import as_utc, to_utc
from kairflow.core.timetables import (
    ContinuousTimetable,
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DeltaDataIntervalTimetable,
    NullTimetable,
    OnceTimetable,
)

__all__ = [
    "DagRunInfo",
    "DataInterval",
    "ScheduleError",
    "TimeRestriction",
    "Timetable",
    "due_runs",
    "next_run",
    "restriction_for",
    "timetable_for",
    "timetable_from",
    "upcoming_runs",
    "validate_schedule",
]


def timetable_for(spec: DAGSpec) -> Timetable:
    """The timetable of a DAG; ScheduleError listing every problem if it has none."""
    problems = validate_schedule(spec)
    if problems:
        raise ScheduleError(problems)
    return timetable_from(spec.schedule, spec.timezone, spec.timetable, spec.trigger_interval)


def timetable_from(
    schedule: str | None,
    timezone: str = "UTC",
    kind: TimetableKind = TimetableKind.DATA_INTERVAL,
    trigger_interval: timedelta | None = None,
) -> Timetable:
    """The timetable of these schedule fields, as a DAG's (`timetable_for`) once
    validated: for a copy of them kept elsewhere, like a Backfill's plan.
    ScheduleError when they do not parse.

    Built once per thread and reused: parsing the cron expression and describing it
    were half of a DAG sync's CPU, and 200 DAGs due at once are synced one after
    another on one event loop. Per thread, because a CronSchedule moves one croniter
    iterator around."""
    built: dict[tuple[object, ...], Timetable] = _BUILT.__dict__.setdefault("timetables", {})
    key = (schedule, timezone, kind, trigger_interval)
    found = built.get(key)
    if found is None:
        if len(built) >= MAX_BUILT:
            built.clear()
        found = built[key] = _build(schedule, timezone, kind, trigger_interval)
    return found


_BUILT = threading.local()
MAX_BUILT = 4096
"""Timetables kept per thread (distinct schedules, not DAGs: most DAGs share a few)."""


def _build(
    schedule: str | None,
    timezone: str,
    kind: TimetableKind,
    trigger_interval: timedelta | None,
) -> Timetable:
    parsed = parse_schedule(schedule)
    if parsed.kind is ScheduleKind.ONCE:
        return OnceTimetable()
    if parsed.kind is ScheduleKind.CONTINUOUS:
        return ContinuousTimetable()
    if parsed.kind is ScheduleKind.DURATION and parsed.delta is not None:
        return DeltaDataIntervalTimetable(parsed.delta)
    if parsed.kind is ScheduleKind.CRON and parsed.cron is not None:
        cron = CronSchedule(parsed.cron, load_timezone(timezone))
        if kind is TimetableKind.TRIGGER:
            return CronTriggerTimetable(cron, trigger_interval or timedelta(0))
        return CronDataIntervalTimetable(cron)
    return NullTimetable()


def restriction_for(spec: DAGSpec, catchup_by_default: bool = True) -> TimeRestriction:
    """startDate and endDate as instants (naive ones are wall times in the DAG's zone);
    catchup as the DAG says, else `catchup_by_default` (the operator's setting)."""
    tz = load_timezone(spec.timezone)
    return TimeRestriction(
        earliest=None if spec.start_date is None else to_utc(spec.start_date, tz),
        latest=None if spec.end_date is None else to_utc(spec.end_date, tz),
        catchup=catchup_by_default if spec.catchup is None else spec.catchup,
    )


def _advances(info: DagRunInfo, previous: DagRunInfo | None) -> bool:
    # Within one answer logical dates must increase. Airflow 2.6.3's own DST rule could
    # step backwards (apache/airflow#7999) and then create runs in a loop; we stop.
    # (The first run after `last` may go back, after a schedule change, as in Airflow.)
    return previous is None or info.logical_date > previous.logical_date


def due_runs(
    timetable: Timetable,
    restriction: TimeRestriction,
    *,
    last: DataInterval | None,
    now: datetime,
    limit: int,
) -> list[DagRunInfo]:
    """Runs whose run_after has passed, oldest first, at most `limit` (and at most the
    timetable's own limit: one for @continuous). Costs O(limit) whatever the backlog."""
    now = as_utc(now, "now")
    if timetable.active_runs_limit is not None:
        limit = min(limit, timetable.active_runs_limit)
    runs: list[DagRunInfo] = []
    while len(runs) < limit:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction, now=now
        )
        if info is None or info.run_after > now or not _advances(info, runs[-1] if runs else None):
            break
        runs.append(info)
        last = info.data_interval
    return runs


def next_run(
    timetable: Timetable,
    restriction: TimeRestriction,
    *,
    last: DataInterval | None,
    now: datetime,
) -> DagRunInfo | None:
    """The first run not yet due at `now`, as if every due run had been created: the
    operator's wake-up time. None when no run will ever follow (or, for @continuous,
    when the next one waits for the current one to finish).

    Bounded cost: a catchup backlog of millions of intervals is jumped over.
    """
    now = as_utc(now, "now")
    info = timetable.next_dagrun_info(
        last_automated_data_interval=last, restriction=restriction, now=now
    )
    if info is None or info.run_after > now:
        return info
    if timetable.active_runs_limit == 1:
        return None
    if restriction.catchup and isinstance(timetable, SkipsAhead):
        info = timetable.skip_ahead(info, restriction, now)
    while info.run_after <= now:
        following = timetable.next_dagrun_info(
            last_automated_data_interval=info.data_interval, restriction=restriction, now=now
        )
        if following is None or not _advances(following, info):
            return None
        info = following
    return info


def upcoming_runs(
    timetable: Timetable,
    restriction: TimeRestriction,
    *,
    last: DataInterval | None,
    now: datetime,
    count: int,
) -> list[DagRunInfo]:
    """The first `count` runs a scheduler starting at `now` would create, in order:
    the ones already due (oldest first), then future ones. Each future run is computed
    as the scheduler would, when the one before it is created. For @continuous only
    the first: the next one starts whenever that one finishes."""
    clock = as_utc(now, "now")
    runs: list[DagRunInfo] = []
    while len(runs) < count:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction, now=clock
        )
        if info is None or not _advances(info, runs[-1] if runs else None):
            break
        runs.append(info)
        if timetable.active_runs_limit == 1:
            break
        last = info.data_interval
        clock = max(clock, info.run_after)
    return runs
