"""Who must look again when a run changes — in one place.

The controller syncs a run when its own objects change; a run's change can also
matter to others, and only these:

- its DAG (active runs, last run) and its Backfill (progress) when its state changes;
- the queued runs of its DAG when it stops taking a place among maxActiveRuns
  (finished or deleted): the oldest of them may start now;
- the next run of its DAG (by logical date; every run on that date; with catchup, every
  run up to the next scheduled or backfill one) when its task states change, if that
  run waits on its past (dependsOnPast / waitForDownstream look at the previous run);
- every run waiting for a free slot (parallelism, maxActiveTasks, pools) when one of
  its task instances gives a slot back;
- every run whose deferred task instances watch its DAG (triggerDagRun, externalTask:
  `ObservedRun.watches`), on any change (the controller keeps that index).

Waking more would be correct too, only slower: each wake is a sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kairflow.api.common import DagRunState, TaskInstanceState
from kairflow.api.dagrun import RunType
from kairflow.core.observations import ObservedDag, ObservedRun
from kairflow.core.run_admission import waiting_to_start

_ACTIVE = (TaskInstanceState.QUEUED, TaskInstanceState.RUNNING)


@dataclass(frozen=True)
class Wakeups:
    runs: frozenset[str] = frozenset()
    """Sibling runs (same namespace and DAG) to sync."""
    dag: bool = False
    backfill: str | None = None
    slots_freed: bool = False
    """Runs waiting for slots should look again."""


def _holds_slots(run: ObservedRun | None) -> set[str]:
    if run is None or run.state != DagRunState.RUNNING:
        return set()
    return {k for k, state in run.task_states.items() if state in _ACTIVE}


def _takes_a_place(run: ObservedRun | None) -> bool:
    return run is not None and run.state in (None, DagRunState.QUEUED, DagRunState.RUNNING)


def _successors(run: ObservedRun, others: Iterable[ObservedRun], dag: ObservedDag) -> set[str]:
    """The runs waiting on their past that have `run` as their previous run
    (`run_history.previous_run`): those on the first logical date after its own, several
    when they share it; with catchup, where manual runs are nobody's previous run, every
    run up to and including the next scheduled or backfill one (read with the DAG's
    catchup now, which its runs' snapshots rarely contradict)."""
    spec = dag.spec
    catchup = dag.catchup_by_default if spec is None or spec.catchup is None else spec.catchup
    mine = run.logical_date_in(dag.zone)
    if mine is None or (catchup and run.run_type == RunType.MANUAL):
        return set()
    later = [
        (date, s)
        for s in others
        if (date := s.logical_date_in(dag.zone)) is not None and date > mine
    ]
    if not later:
        return set()
    counted = [date for date, s in later if not catchup or s.run_type != RunType.MANUAL]
    last = min(counted) if counted else max(date for date, _ in later)
    return {s.name for date, s in later if date <= last and s.waits_on_past}


def after_run_change(
    before: ObservedRun | None,
    after: ObservedRun | None,
    siblings: Iterable[ObservedRun],
    dag: ObservedDag | None,
) -> Wakeups:
    """What to wake when a run goes from `before` to `after` (None: not there).
    `siblings` are the other runs of its DAG."""
    run = after or before
    if run is None:
        return Wakeups()
    others = [s for s in siblings if s.name != run.name]
    wake: set[str] = set()
    state_changed = before is None or after is None or before.state != after.state
    if _takes_a_place(before) and not _takes_a_place(after):
        wake |= {s.name for s in others if waiting_to_start(s)}
    # A run that appears or goes is a change of its successors' previous run too.
    states_changed = before is None or after is None or before.task_states != after.task_states
    if states_changed and dag is not None:
        wake |= _successors(run, others, dag)
    return Wakeups(
        runs=frozenset(wake),
        dag=state_changed,
        backfill=run.backfill if state_changed else None,
        slots_freed=bool(_holds_slots(before) - _holds_slots(after)),
    )


def after_dag_change(runs: Iterable[ObservedRun]) -> frozenset[str]:
    """A DAG changed (paused, maxActiveRuns, or it just appeared): the runs that have
    not started may start now, or find the DAG they were waiting for."""
    return frozenset(run.name for run in runs if waiting_to_start(run))


def waits_for_slots(run: ObservedRun) -> bool:
    """Has ready task instances that no free slot could take yet."""
    return run.state == DagRunState.RUNNING and any(
        state == TaskInstanceState.SCHEDULED for state in run.task_states.values()
    )
