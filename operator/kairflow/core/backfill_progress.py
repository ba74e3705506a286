"""A Backfill's progress: which of its planned runs to start now, and its counts.

The plan (`backfill_plan.DatePlan`) is made once and kept in the Backfill's status
in a bounded form, with a cursor: the next logical date to start. Each sync starts
the next dates from the cursor while fewer than maxActiveRuns of its runs are in
flight, then moves the cursor past them. A date whose run exists already was
started by an operator that died between its create and its status write (the run
names are deterministic, so the run is the proof): it is passed without counting as
a new run in flight (it is counted among the Backfill's runs if it still is one).
So a lost status write neither skips nor repeats a date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from kairflow.api.backfill import BackfillStatus
from kairflow.api.common import DagRunState
from kairflow.api.dagrun import RunType
from kairflow.core.backfill import BackfillAction, BackfillItem
from kairflow.core.backfill_plan import DatePlan, PlanCounts, to_status
from kairflow.core.conditions import set_condition
from kairflow.core.naming import dagrun_name
from kairflow.core.observations import ObservedRun
from kairflow.core.times import iso


@dataclass(frozen=True)
class BackfillStep:
    item: BackfillItem
    run_name: str
    """The run to create, or the existing run to clear."""
    clear: bool
    already_done: bool
    """An earlier operator started it and died before writing the status."""


@dataclass(frozen=True)
class BackfillProgress:
    steps: tuple[BackfillStep, ...]
    """Dates started now (or found started), in order."""
    next: BackfillItem | None
    """The date to start after them: the new cursor (None: every date is started)."""
    succeeded: int
    failed: int
    completed: bool
    """Nothing left to start and nothing in flight once the steps are done."""


def clear_request_id(backfill_name: str, backfill_uid: str) -> str:
    """The clear request a Backfill puts on an existing run (the same id every time,
    so a request it made already is recognized)."""
    return f"backfill-{backfill_name}-{backfill_uid[:8]}"


def backfill_progress(
    dag_name: str,
    backfill_name: str,
    backfill_uid: str,
    pending: Iterable[BackfillItem],
    dag_runs: Sequence[ObservedRun],
    max_active_runs: int,
    succeeded_before: int,
    failed_before: int,
) -> BackfillProgress:
    """`pending`: the dates still to start, from the cursor on, in order (read only as
    far as needed); `dag_runs`: every run of the DAG (resolved logical dates are
    compared)."""
    mine = [run for run in dag_runs if run.backfill == backfill_name]
    in_flight = sum(1 for run in mine if run.in_flight)
    by_name = {run.name: run for run in dag_runs}
    request = clear_request_id(backfill_name, backfill_uid)
    steps: list[BackfillStep] = []
    upcoming = iter(pending)
    following = next(upcoming, None)
    while following is not None and in_flight < max_active_runs:
        item, following = following, next(upcoming, None)
        target = None
        if item.action is BackfillAction.CLEAR:
            target = next((r for r in dag_runs if r.logical_date == item.logical_date), None)
        if target is not None:
            done = target.clear_id == request
            steps.append(BackfillStep(item, target.name, clear=True, already_done=done))
        else:
            name = dagrun_name(dag_name, RunType.BACKFILL.value, item.logical_date)
            steps.append(BackfillStep(item, name, clear=False, already_done=name in by_name))
        if not steps[-1].already_done:
            in_flight += 1
    states = [run.state for run in mine]
    # Never backwards: history cleanup may delete finished backfill runs.
    succeeded = max(succeeded_before, states.count(DagRunState.SUCCESS))
    failed = max(failed_before, states.count(DagRunState.FAILED))
    return BackfillProgress(
        steps=tuple(steps),
        next=following,
        succeeded=succeeded,
        failed=failed,
        completed=following is None and in_flight == 0,
    )


def existing_states(
    runs: Sequence[ObservedRun], made_by: str | None = None
) -> dict[datetime, DagRunState]:
    """Logical date -> state of the DAG's runs that have started (for planning). The
    runs the Backfill `made_by` made count as in flight: when it plans again what is
    left, they are never run again."""
    return {
        run.logical_date: DagRunState.RUNNING
        if made_by is not None and run.backfill == made_by
        else run.state
        for run in runs
        if run.logical_date is not None and run.state is not None
    }


def begin(
    status: BackfillStatus,
    plan: DatePlan,
    counts: PlanCounts,
    generation: int | None,
    now: datetime,
    created: int | None = 0,
) -> None:
    """Keep the plan in the status: it is made once, and survives restarts. `created`:
    runs made already, when what is left of an older plan is planned again."""
    made = created or 0
    status.total, status.created, status.state = made + counts.runs, made, "running"
    status.remaining, status.dates = counts.runs, counts.dates
    status.plan = to_status(plan)
    status.next_logical_date = None if counts.first is None else iso(counts.first)
    message = f"{counts.runs} runs to create or clear"
    set_condition(status.conditions, "Ready", True, "Planned", message, generation, now)


def refuse(
    status: BackfillStatus,
    message: str,
    generation: int | None,
    now: datetime,
    reason: str = "InvalidBackfill",
) -> None:
    """A Backfill that cannot be planned fails for good (a new one must be made)."""
    status.state, status.message, status.total = "failed", message, 0
    set_condition(status.conditions, "Ready", False, reason, message, generation, now)


def record(status: BackfillStatus, progress: BackfillProgress) -> bool:
    """Write a sync's progress into the status; True when the Backfill just completed."""
    status.created = (status.created or 0) + len(progress.steps)
    status.remaining = max(0, (status.total or 0) - status.created)
    following = progress.next
    status.next_logical_date = None if following is None else iso(following.logical_date)
    status.succeeded, status.failed = progress.succeeded, progress.failed
    done = progress.succeeded + progress.failed
    status.progress = f"{min(done, status.total or 0)}/{status.total}"
    if progress.completed and status.state == "running":
        status.state = "completed"
        return True
    return False
