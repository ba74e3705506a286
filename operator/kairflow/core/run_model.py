"""The planner's inputs and outputs: plain data, no I/O.

The operator (and `kairflow dags test`) gather a `RunContext`, the run's current
status, the pods they observe, the previous run's states and free capacity; the
planner returns a `Plan`: actions to apply, the new status, and when to wake up.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from kairflow.api.callbacks import CallbackKind
from kairflow.api.common import TaskInstanceState
from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import DagRunStatus, XComRef
from kairflow.core.mapping import DEFAULT_WINDOW, MAX_MAP_LENGTH
from kairflow.core.task_instance_slices import DEFAULT_BUDGET


@dataclass(frozen=True)
class RunContext:
    """Who the run is: everything that does not change while it runs."""

    namespace: str
    dag_name: str
    name: str
    uid: str | None
    run_type: str
    run_id: str
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    spec: DAGSpec
    conf: Mapping[str, Any] = field(default_factory=dict)
    may_start: bool = True
    """False while the run must stay queued (maxActiveRuns reached, DAG paused)."""
    triggering_asset_events: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    """An asset_triggered run's events per URI (wire form): its templates'
    triggering_asset_events."""
    external_trigger: bool | None = None
    """Airflow's DagRun.external_trigger (what latestOnly reads): None means "a manual
    run", as for runs triggered by a user; `dags test` runs are not (as Airflow's)."""

    @property
    def externally_triggered(self) -> bool:
        if self.external_trigger is not None:
            return self.external_trigger
        return self.run_type == "manual"


@dataclass(frozen=True)
class PreviousRun:
    """The DAG's previous run (for dependsOnPast and waitForDownstream)."""

    task_states: Mapping[str, TaskInstanceState]
    finished: bool = True
    """Whether that run has finished; while it has not, a task it has no state for yet
    has not run there yet (so dependsOnPast waits)."""
    ran_before: frozenset[str] = frozenset()
    """Task instance keys of every run before this one, of any type (Airflow's
    `_has_any_prior_tis`, for ignoreFirstDependsOnPast)."""


@dataclass(frozen=True)
class PreviousSuccess:
    """The DAG's latest successful run before this one (prev_*_success templates)."""

    data_interval_start: datetime
    data_interval_end: datetime
    start_date: datetime | None = None


@dataclass(frozen=True)
class Capacity:
    """Free capacity left by everything *except* this run (the planner subtracts what
    this run itself holds, so the same inputs always give the same answer)."""

    slots: int = sys.maxsize
    pools: Mapping[str, int] | None = None
    """Free slots per pool; None means pools are not limited (local `dags test`)."""


@dataclass(frozen=True)
class PlannerSettings:
    default_image: str = "python:3.12-slim"
    startup_timeout: timedelta = timedelta(minutes=5)
    render_budget: timedelta | None = timedelta(seconds=2)
    """CPU time a task instance's templates may use when it starts; past it the task
    instance fails with a template error (None: no bound)."""
    max_status_bytes: int | None = None
    """A pass whose status would be bigger starts nothing (`status_size`); None: no
    bound (`dags test`, where nothing is written to etcd)."""
    max_map_length: int = MAX_MAP_LENGTH
    """Instances a mapped task may have (Airflow's `[core] max_map_length`)."""
    map_window: int = DEFAULT_WINDOW
    """Unfinished instances a mapped task has at a time; the rest wait as a count
    (`core.map_window`)."""
    block_bytes: int | None = DEFAULT_BUDGET
    """Bytes of task instance JSON per sealed block's object (`core.sealed_blocks`: a
    block bigger than that is written in parts); None: nothing is sealed (no
    TaskInstanceSlice CRD to hold blocks)."""


class PodPhase(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class ObservedPod:
    """What the planner needs to know about one pod of the run."""

    name: str
    phase: PodPhase
    exit_code: int | None = None
    reason: str | None = None
    """Pod or container reason: DeadlineExceeded, Evicted, OOMKilled, ErrImagePull..."""
    message: str | None = None
    termination_message: str | None = None
    """The main container's termination message: the task's XCom."""
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    deleting: bool = False
    """Being deleted (deletionTimestamp set): the pod cleanup leaves it alone."""
    stored_xcom: XComRef | str | None = None
    """When its termination message points at an XCom in its log (`core.xcom`): where
    the controller stored it, or why it could not (None: not stored yet)."""


@dataclass(frozen=True)
class Transition:
    """Something a callback may fire on, noted by the planner pass where it happens:
    a try starts (onExecute), a try fails with a retry to come (onRetry), a task
    instance or the run succeeds or fails (onSuccess / onFailure)."""

    kind: CallbackKind
    key: str | None
    """The task instance's key; None: the run itself."""
    try_number: int
    state: str
    """The task instance's (or run's) state after the change."""
    message: str | None = None
    deadline: int | None = None
    """A missed deadline: its index in the DAG's `deadlines`."""


@dataclass(frozen=True)
class CreatePod:
    key: str
    manifest: dict[str, Any]


@dataclass(frozen=True)
class DeletePod:
    name: str
    reason: str


@dataclass(frozen=True)
class RecordEvent:
    type: Literal["Normal", "Warning"]
    reason: str
    message: str


@dataclass(frozen=True)
class CreateDagRun:
    """A run of another DAG of the namespace, asked for by a triggerDagRun task
    instance (`key`). Its name is deterministic: one that exists is "done"."""

    key: str
    dag_name: str
    name: str
    conf: Mapping[str, Any]
    triggered_by: str
    """The annotation that says which task instance and try created it."""
    run_id: str | None = None
    logical_date: str | None = None


@dataclass(frozen=True)
class SealBlock:
    """Write a big mapped task's finished block of instances to TaskInstanceSlices of
    its own before the status that drops them (`sealed_blocks`)."""

    task: str
    block: int
    parts: dict[str, dict[str, Any]]
    """Object name -> the task instances it holds (key -> record, wire form)."""

    @property
    def records(self) -> dict[str, Any]:
        return {key: record for part in self.parts.values() for key, record in part.items()}


@dataclass(frozen=True)
class ReadSealed:
    """Plan again with the records of `task`'s sealed blocks (`names`): a task
    downstream pulls its XComs."""

    task: str
    names: tuple[str, ...]


Action = CreatePod | DeletePod | RecordEvent | CreateDagRun | SealBlock | ReadSealed


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    status: DagRunStatus
    wake_at: datetime | None
    """The earliest time something changes without an event (retry due, poke, timeout)."""
