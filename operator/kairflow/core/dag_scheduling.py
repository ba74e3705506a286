"""The scheduler's pass over one DAG: which runs to create now, what comes next.

Like the CronJob controller's sync: from the timetable, the runs that exist and
`now`, compute the runs that should exist; the controller creates them under
deterministic names and sleeps until `wake_at` (the next run_after): no polling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kairflow.core.observations import ObservedDag, ObservedRun
from kairflow.core.run_history import last_automated
from kairflow.core.run_info import DagRunInfo, DataInterval
from kairflow.core.timetable import due_runs, next_run, restriction_for, timetable_for


@dataclass(frozen=True)
class SchedulePlan:
    create: tuple[DagRunInfo, ...]
    """Scheduled runs to create now, oldest first."""
    last_automated: DataInterval | None
    """The scheduler's bookmark after this pass (kept in the DAG's status)."""
    next_run: DagRunInfo | None
    """The run to show as next: on a paused DAG, the one unpausing would create first."""
    active_runs: int
    wake_at: datetime | None
    description: str


def plan_schedule(
    dag: ObservedDag,
    runs: Sequence[ObservedRun],
    bookmark: DataInterval | None,
    now: datetime,
) -> SchedulePlan:
    """`dag` must be valid; `runs` are all its runs; `bookmark` the last automated
    interval from its status (its run may have been deleted since)."""
    spec = dag.spec
    assert spec is not None and dag.valid, "plan_schedule needs a valid DAG"
    zone = dag.zone
    timetable = timetable_for(spec)
    restriction = restriction_for(spec, dag.catchup_by_default)
    last = last_automated(runs, bookmark, zone)
    active = sum(1 for run in runs if not run.finished)
    create: list[DagRunInfo] = []
    if not spec.paused:
        due = due_runs(
            timetable, restriction, last=last, now=now, limit=max(0, spec.max_active_runs - active)
        )
        # Like Airflow (one run per logical date): a date that has a run already, of
        # any type (a backfill, a manual run), gets no scheduled one. Naive dates of
        # hand-written runs are read in the DAG's zone, as the run itself reads them.
        taken = {date for run in runs if (date := run.logical_date_in(zone)) is not None}
        for info in due:
            last = info.data_interval
            if info.logical_date not in taken:
                create.append(info)
                active += 1
    upcoming = next_run(timetable, restriction, last=last, now=now)
    overdue = due_runs(timetable, restriction, last=last, now=now, limit=1) if spec.paused else []
    return SchedulePlan(
        create=tuple(create),
        last_automated=last,
        next_run=overdue[0] if overdue else upcoming,
        active_runs=active,
        wake_at=upcoming.run_after if upcoming is not None and not spec.paused else None,
        description=timetable.description,
    )
