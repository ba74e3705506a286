"""A run's place among its DAG's other runs: the previous run (dependsOnPast), the
previous successful run (prev_*_success templates), the newest runs (the DAG's
status), and which finished runs history keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from kairflow.api.common import DagRunState
from kairflow.api.dag import DAGStatus
from kairflow.api.dagrun import RunType
from kairflow.core.observations import ObservedRun
from kairflow.core.run_info import DataInterval
from kairflow.core.run_model import PreviousRun, PreviousSuccess
from kairflow.core.times import parse_time

# Runs whose interval the scheduler's bookmark follows (Airflow counts backfills too).
AUTOMATED = (RunType.SCHEDULED, RunType.BACKFILL)


def _before(
    run: ObservedRun, logical: datetime, siblings: Iterable[ObservedRun], zone: ZoneInfo
) -> list[tuple[datetime, ObservedRun]]:
    dated = ((other.logical_date_in(zone), other) for other in siblings if other.name != run.name)
    return [(date, other) for date, other in dated if date is not None and date < logical]


def previous_run(
    run: ObservedRun,
    logical: datetime,
    siblings: Iterable[ObservedRun],
    zone: ZoneInfo,
    *,
    catchup: bool,
) -> PreviousRun | None:
    """The run with the latest logical date before `logical`, whatever its state:
    with catchup the latest scheduled or backfill one, manual runs left out (Airflow's
    PrevDagrunDep: get_previous_scheduled_dagrun with catchup, else get_previous_dagrun)."""
    earlier = _before(run, logical, siblings, zone)
    counted = [item for item in earlier if not catchup or item[1].run_type != RunType.MANUAL]
    if not counted:
        return None
    _, prev = max(counted, key=lambda item: item[0])
    ran_before = frozenset(key for _, other in earlier for key in other.task_states)
    return PreviousRun(dict(prev.task_states), prev.finished, ran_before)


def previous_success(
    run: ObservedRun, logical: datetime, siblings: Iterable[ObservedRun], zone: ZoneInfo
) -> PreviousSuccess | None:
    """The latest successful run before `logical` (by data interval)."""
    best: ObservedRun | None = None
    for _, other in _before(run, logical, siblings, zone):
        if other.state != DagRunState.SUCCESS or other.data_interval is None:
            continue
        if best is None or (
            best.data_interval is not None and other.data_interval.start > best.data_interval.start
        ):
            best = other
    if best is None or best.data_interval is None:
        return None
    return PreviousSuccess(best.data_interval.start, best.data_interval.end, best.start_date)


def status_bookmark(status: DAGStatus) -> DataInterval | None:
    """The last automated interval the DAG's status keeps (`lastAutomatedRun`)."""
    mark = status.last_automated_run
    start = parse_time(mark.data_interval_start) if mark else None
    end = parse_time(mark.data_interval_end) if mark else None
    return DataInterval(start, end) if start and end else None


def last_automated(
    runs: Iterable[ObservedRun], bookmark: DataInterval | None, zone: ZoneInfo
) -> DataInterval | None:
    """The newest scheduled (or backfill) run's interval, or the bookmark the DAG's
    status keeps when that run was deleted (history limits) — the later of the two."""
    best = bookmark
    for run in runs:
        if run.run_type not in AUTOMATED:
            continue
        interval = run.data_interval or run.requested_interval_in(zone)
        if interval is not None and (best is None or interval.end > best.end):
            best = interval
    return best


def newest_run(runs: Iterable[ObservedRun]) -> ObservedRun | None:
    """The started run with the latest logical date (the DAG's `lastRun`)."""
    dated = [run for run in runs if run.logical_date is not None]
    return max(dated, key=lambda run: (run.logical_date, run.name)) if dated else None


@dataclass(frozen=True)
class HistoryLimits:
    successful: int
    failed: int
    ttl: timedelta | None = None


@dataclass(frozen=True)
class Expiry:
    delete: tuple[str, ...]
    """Runs to delete, newest first."""
    wake_at: datetime | None
    """When the oldest kept run outlives the TTL."""


def expired_runs(runs: Sequence[ObservedRun], limits: HistoryLimits, now: datetime) -> Expiry:
    """Keep the newest N successful and N failed runs, and none that finished longer
    ago than the TTL (Kubernetes' CronJob successful/failedJobsHistoryLimit, plus a
    Job's ttlSecondsAfterFinished)."""
    # Newest first by logical date, as a CronJob keeps its newest Jobs by start time:
    # runs of a catch-up finish in any order, the intervals they cover do not.
    finished = sorted(
        (r for r in runs if r.finished and r.end_date is not None),
        key=lambda r: (r.logical_date or r.end_date, r.end_date, r.name),
        reverse=True,
    )
    keep = {DagRunState.SUCCESS: limits.successful, DagRunState.FAILED: limits.failed}
    seen = {DagRunState.SUCCESS: 0, DagRunState.FAILED: 0}
    doomed: list[str] = []
    oldest_kept: datetime | None = None
    for run in finished:
        assert run.end_date is not None and run.state is not None
        state = run.state if run.state in seen else DagRunState.FAILED
        seen[state] += 1
        expired = limits.ttl is not None and now - run.end_date > limits.ttl
        if seen[state] > keep[state] or expired:
            doomed.append(run.name)
        elif oldest_kept is None or run.end_date < oldest_kept:
            oldest_kept = run.end_date
    wake = None
    if limits.ttl is not None and oldest_kept is not None:
        wake = oldest_kept + limits.ttl + timedelta(seconds=1)
    return Expiry(tuple(doomed), wake)
