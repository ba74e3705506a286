"""What the controller sees of DAGs and runs, as typed values.

The controller turns each API object into one of these once, when it enters the
cache (`kairflow.k8s.observe`); every decision about siblings (admission, capacity,
previous runs, history, wake-ups) reads these, never raw dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from kairflow.api.common import DagRunState, TaskInstanceState
from kairflow.api.dag import DAGSpec, TaskSpec
from kairflow.api.dagrun import RunType
from kairflow.core.run_info import DataInterval
from kairflow.core.schedule_validation import ScheduleError, load_timezone
from kairflow.core.task_settings import TaskPolicy, effective_task
from kairflow.core.times import to_utc

DEFAULT_MAX_ACTIVE_RUNS = 16


@dataclass(frozen=True)
class ObservedDag:
    namespace: str
    name: str
    spec: DAGSpec | None
    """None when the manifest does not validate (then `problems` says why)."""
    problems: tuple[str, ...] = ()
    """Every reason the DAG cannot be scheduled, one line each (empty: valid)."""
    generation: int | None = None
    paused: bool = False
    paused_upon_creation: bool | None = None
    """The DAG's isPausedUponCreation (None: the operator's setting decides)."""
    catchup_by_default: bool = True
    """The operator's catchup for a DAG whose spec does not say (its spec is kept as
    written: a run's snapshot and the DAG's diff to it show what the author wrote)."""
    max_active_runs: int = DEFAULT_MAX_ACTIVE_RUNS
    """Read even from an invalid manifest: runs already started keep their limits."""
    version: str | None = None
    """Its spec's DAG version (`dag_versions.version_name`) when valid: what a run
    started now runs."""

    @property
    def valid(self) -> bool:
        return self.spec is not None and not self.problems

    @property
    def zone(self) -> ZoneInfo:
        """The DAG's time zone (UTC when it has none or an invalid one)."""
        try:
            return load_timezone(self.spec.timezone if self.spec else "UTC")
        except ScheduleError:  # reported among the DAG's problems
            return ZoneInfo("UTC")


@dataclass(frozen=True)
class RequestedDates:
    """A run's dates as its spec asks for them; naive ones are wall times in the
    DAG's zone (a hand-written manual run), so they mean nothing without it."""

    logical_date: datetime | None = None
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None


@dataclass(frozen=True)
class SlotUse:
    """One active (queued or running) task instance and the pool slots it holds."""

    pool: str
    slots: int


@dataclass(frozen=True)
class ObservedRun:
    namespace: str
    name: str
    dag_name: str
    run_type: RunType = RunType.MANUAL
    created_at: datetime | None = None
    requested: RequestedDates = field(default_factory=RequestedDates)
    logical_date: datetime | None = None
    """Resolved (aware) by the run's first sync; None before it."""
    data_interval: DataInterval | None = None
    """Resolved by the run's first sync; None before it."""
    state: DagRunState | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    task_states: Mapping[str, TaskInstanceState] = field(default_factory=dict)
    holding: Mapping[str, SlotUse] = field(default_factory=dict)
    """Task instance key -> the slots it holds, for its active (queued, running) task
    instances; counted only while the run is running."""
    waiting: Mapping[str, SlotUse] = field(default_factory=dict)
    """Task instance key -> the slots it asks for, for its scheduled (ready) task
    instances while the run is running: a pool's queue."""
    waits_on_past: bool = False
    """Its DAG snapshot has a task with dependsOnPast or waitForDownstream."""
    backfill: str | None = None
    """The Backfill that made (or cleared) it."""
    clear_id: str | None = None
    """The id of the clear request in its spec (handled or not)."""
    clear_pending: bool = False
    """A clear request its sync has not handled yet (it is about to run again)."""
    run_id: str | None = None
    """Airflow's run id, once its first sync fixed it."""
    triggered_by: str | None = None
    """`<run>/<task instance>/<try>` of the triggerDagRun task that created it."""
    watches: frozenset[str] = frozenset()
    """DAGs (same namespace) whose runs its deferred task instances watch: a change
    of one of their runs must wake this run."""
    dag_version: str | None = None
    """The DAG version it runs (`dag_versions`), once started."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    @property
    def finished(self) -> bool:
        return self.state is not None and self.state.finished

    @property
    def in_flight(self) -> bool:
        """Counts against maxActiveRuns: not finished, or about to run again."""
        return not self.finished or self.clear_pending

    def logical_date_in(self, zone: ZoneInfo) -> datetime | None:
        """Its logical date: resolved, else as requested (naive: a wall time in the
        DAG's `zone`, exactly as its first sync will resolve it), else its creation."""
        if self.logical_date is not None:
            return self.logical_date
        if self.requested.logical_date is not None:
            return to_utc(self.requested.logical_date, zone)
        return self.created_at

    def requested_interval_in(self, zone: ZoneInfo) -> DataInterval | None:
        """The data interval its spec names (both ends), resolved in the DAG's zone."""
        start, end = self.requested.data_interval_start, self.requested.data_interval_end
        if start is None or end is None:
            return None
        return DataInterval(to_utc(start, zone), to_utc(end, zone))


@dataclass(frozen=True)
class SnapshotFacts:
    """What siblings need to know of a run's DAG snapshot, resolved once per run."""

    slots: Mapping[str, SlotUse]
    """Task name -> the pool slots one of its instances holds."""
    waits_on_past: bool
    watched: Mapping[str, str] = field(default_factory=dict)
    """Task name -> the DAG its instances watch while deferred (triggerDagRun,
    externalTask)."""


def snapshot_facts(spec: DAGSpec) -> SnapshotFacts:
    """Resolve every task's effective settings (the same resolution the planner uses)."""
    policies = {t.name: TaskPolicy.of(effective_task(spec, t)) for t in spec.tasks}
    return SnapshotFacts(
        slots={name: SlotUse(p.pool, p.pool_slots) for name, p in policies.items()},
        waits_on_past=any(p.depends_on_past for p in policies.values()),
        watched={t.name: dag for t in spec.tasks if (dag := watched_dag(t)) is not None},
    )


def watched_dag(task: TaskSpec) -> str | None:
    """The DAG a deferred task instance of `task` looks at, if any."""
    if task.trigger_dag_run is not None:
        return task.trigger_dag_run.dag
    if task.external_task is not None:
        return task.external_task.dag
    return None
