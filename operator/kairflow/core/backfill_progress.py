"""A Backfill's progress: which of its planned runs to start now, and its counts.

The plan (`backfill.plan_backfill`) is made once and kept in the Backfill's status
as `pending`; each sync starts the next entries while fewer than maxActiveRuns of
its runs are in flight. An entry whose run exists already was started by an
operator that died before its status write: it is taken off `pending` without
counting as a new run in flight (it is counted among the Backfill's runs if it
still is one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kairflow.api.backfill import BackfillEntry, BackfillStatus
from kairflow.api.common import DagRunState
from kairflow.api.dagrun import RunType
from kairflow.core.backfill import BackfillAction, BackfillItem
from kairflow.core.conditions import set_condition
from kairflow.core.naming import dagrun_name
from kairflow.core.observations import ObservedRun
from kairflow.core.times import instant, iso


@dataclass(frozen=True)
class BackfillStep:
    entry: BackfillEntry
    run_name: str
    """The run to create, or the existing run to clear."""
    clear: bool
    already_done: bool
    """An earlier operator started it and died before writing the status."""


@dataclass(frozen=True)
class BackfillProgress:
    steps: tuple[BackfillStep, ...]
    """Entries taken off `pending` now, in order."""
    succeeded: int
    failed: int
    completed: bool
    """Nothing pending and nothing in flight once the steps are done."""


def clear_request_id(backfill_name: str, backfill_uid: str) -> str:
    """The clear request a Backfill puts on an existing run (the same id every time,
    so a request it made already is recognized)."""
    return f"backfill-{backfill_name}-{backfill_uid[:8]}"


def backfill_progress(
    dag_name: str,
    backfill_name: str,
    backfill_uid: str,
    pending: Sequence[BackfillEntry],
    dag_runs: Sequence[ObservedRun],
    max_active_runs: int,
    succeeded_before: int,
    failed_before: int,
) -> BackfillProgress:
    """`dag_runs`: every run of the DAG (resolved logical dates are compared)."""
    mine = [run for run in dag_runs if run.backfill == backfill_name]
    in_flight = sum(1 for run in mine if run.in_flight)
    by_name = {run.name: run for run in dag_runs}
    request = clear_request_id(backfill_name, backfill_uid)
    steps: list[BackfillStep] = []
    for entry in pending:
        if in_flight >= max_active_runs:
            break
        logical = instant(entry.logical_date)
        target = None
        if entry.action == BackfillAction.CLEAR.value:
            target = next((r for r in dag_runs if r.logical_date == logical), None)
        if target is not None:
            done = target.clear_id == request
            steps.append(BackfillStep(entry, target.name, clear=True, already_done=done))
        else:
            name = dagrun_name(dag_name, RunType.BACKFILL.value, logical)
            steps.append(BackfillStep(entry, name, clear=False, already_done=name in by_name))
        if not steps[-1].already_done:
            in_flight += 1
    states = [run.state for run in mine]
    # Never backwards: history cleanup may delete finished backfill runs.
    succeeded = max(succeeded_before, states.count(DagRunState.SUCCESS))
    failed = max(failed_before, states.count(DagRunState.FAILED))
    return BackfillProgress(
        steps=tuple(steps),
        succeeded=succeeded,
        failed=failed,
        completed=len(steps) == len(pending) and in_flight == 0,
    )


def existing_states(runs: Sequence[ObservedRun]) -> dict[datetime, DagRunState]:
    """Logical date -> state of the DAG's runs that have started (for planning)."""
    return {
        run.logical_date: run.state
        for run in runs
        if run.logical_date is not None and run.state is not None
    }


def begin(
    status: BackfillStatus, planned: Sequence[BackfillItem], generation: int | None, now: datetime
) -> None:
    """Keep the plan in the status: it is made once, and survives restarts."""
    status.total, status.created, status.state = len(planned), 0, "running"
    status.pending = [
        BackfillEntry(
            logical_date=iso(item.logical_date),
            data_interval_start=iso(item.data_interval.start),
            data_interval_end=iso(item.data_interval.end),
            action=item.action.value,
        )
        for item in planned
    ]
    message = f"{len(planned)} runs to create or clear"
    set_condition(status.conditions, "Ready", True, "Planned", message, generation, now)


def refuse(status: BackfillStatus, message: str, generation: int | None, now: datetime) -> None:
    """A Backfill that cannot be planned fails for good (a new one must be made)."""
    status.state, status.message, status.total = "failed", message, 0
    set_condition(status.conditions, "Ready", False, "InvalidBackfill", message, generation, now)


def record(status: BackfillStatus, progress: BackfillProgress) -> bool:
    """Write a sync's progress into the status; True when the Backfill just completed."""
    del status.pending[: len(progress.steps)]
    status.created = (status.created or 0) + len(progress.steps)
    status.succeeded, status.failed = progress.succeeded, progress.failed
    done = progress.succeeded + progress.failed
    status.progress = f"{min(done, status.total or 0)}/{status.total}"
    if progress.completed and status.state == "running":
        status.state = "completed"
        return True
    return False
