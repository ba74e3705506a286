"""Which queued runs may start: Airflow's max_active_runs, oldest logical date first.

A run waits (state `queued`) while its DAG is paused or while as many runs as
maxActiveRuns are running or queued ahead of it. Backfill runs are an explicit
request: like Airflow's backfill they run on a paused DAG too, metered by their
Backfill's own maxActiveRuns (see `backfill_progress`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from kairflow.api.common import DagRunState
from kairflow.api.dagrun import RunType
from kairflow.core.observations import ObservedDag, ObservedRun

_NEVER = datetime.max.replace(tzinfo=UTC)


def queue_position(run: ObservedRun, dag: ObservedDag) -> tuple[datetime, str]:
    """Where a run stands in its DAG's queue: by logical date, then by name."""
    return (run.logical_date_in(dag.zone) or _NEVER, run.name)


def waiting_to_start(run: ObservedRun) -> bool:
    """Not started yet: queued, or not synced at all (no state)."""
    return run.state in (None, DagRunState.QUEUED)


def may_start(run: ObservedRun, dag: ObservedDag | None, siblings: Iterable[ObservedRun]) -> bool:
    """True when `run` (queued) may start now; `siblings` are its DAG's other runs."""
    if dag is None:
        return False
    if run.run_type == RunType.BACKFILL or run.backfill:
        return True
    if dag.paused:
        return False
    mine = queue_position(run, dag)
    ahead = 0
    for other in siblings:
        if other.name == run.name:
            continue
        if other.state == DagRunState.RUNNING or (
            waiting_to_start(other) and queue_position(other, dag) < mine
        ):
            ahead += 1
    return ahead < dag.max_active_runs
