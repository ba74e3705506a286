"""The mutable working state of one planner pass (never outlives `plan()`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from kairflow.api.callbacks import CallbackKind
from kairflow.api.common import TaskInstanceState
from kairflow.api.dag import TaskSpec
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.api.types import format_duration
from kairflow.core import setup_teardown
from kairflow.core.deferred import Surroundings
from kairflow.core.graph import DagGraph
from kairflow.core.mapping import map_items
from kairflow.core.resolved_dag import ResolvedDag
from kairflow.core.run_index import MISSING, InstanceIndex, MappedXComs, PassXComs
from kairflow.core.run_model import (
    Action,
    Capacity,
    CreatePod,
    DeletePod,
    ObservedPod,
    Plan,
    PlannerSettings,
    PreviousRun,
    PreviousSuccess,
    RecordEvent,
    RunContext,
    Transition,
)
from kairflow.core.task_settings import TaskPolicy
from kairflow.core.times import iso, parse_time

TI = TaskInstanceState
_NOTED = {TI.SUCCESS: CallbackKind.ON_SUCCESS, TI.FAILED: CallbackKind.ON_FAILURE}
_WAITING = frozenset(
    {TI.QUEUED, TI.RUNNING, TI.SCHEDULED, TI.UP_FOR_RETRY, TI.UP_FOR_RESCHEDULE, TI.DEFERRED}
)


@dataclass
class RunPass:
    run: RunContext
    status: DagRunStatus
    dag: ResolvedDag
    """What the pass reads of the run's DAG spec (its graph, effective tasks, ...)."""
    pods: Mapping[str, ObservedPod]
    now: datetime
    previous: PreviousRun | None
    previous_success: PreviousSuccess | None
    capacity: Capacity
    settings: PlannerSettings
    rejected: Mapping[str, str] = field(default_factory=dict)
    """Pod name -> why the API refused it for good."""
    stored_xcoms: Mapping[str, Any] = field(default_factory=dict)
    """ConfigMap name -> the big XCom it holds (the task instances' `xcomRef`s), as the
    controller read them."""
    sealed_records: Mapping[str, TaskInstanceStatus] = field(default_factory=dict)
    """Records of sealed instances the controller read back (`sealed_blocks`): a task
    downstream pulls their XComs."""
    surroundings: Surroundings = field(default_factory=Surroundings)
    """What deferred task instances observe outside the run."""
    advanced: set[str] = field(default_factory=set)
    """Deferred task instances already decided in this pass."""
    actions: list[Action] = field(default_factory=list)
    wake_times: list[datetime] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    """What callbacks may fire on, in the order it happened (see `core.callbacks`)."""
    sealed_asks: int = field(default=0, init=False)
    """How many `ReadSealed` this pass has asked: a start whose templates asked waits."""
    state_changes: int = field(default=0, init=False)
    """How many times `set_state` ran: what the pass' XComs are kept up to date by."""
    _index: InstanceIndex = field(default_factory=InstanceIndex, init=False, repr=False)
    _mapped_xcoms: MappedXComs = field(default_factory=dict, init=False, repr=False)
    _items: dict[str, list[Any]] = field(default_factory=dict, init=False, repr=False)

    @property
    def graph(self) -> DagGraph:
        return self.dag.graph

    @property
    def tasks(self) -> Mapping[str, TaskSpec]:
        """Effective tasks (`task_settings.effective_task`), by name."""
        return self.dag.tasks

    @property
    def policies(self) -> Mapping[str, TaskPolicy]:
        return self.dag.policies

    @property
    def weights(self) -> Mapping[str, int]:
        return self.dag.weights

    @property
    def templated_tasks(self) -> frozenset[str]:
        return self.dag.templated

    def instances(self, name: str) -> Sequence[str]:
        """Keys of a task's instances: `name`, or `name[0]`, `name[1]`... when mapped."""
        return self._index.instances(self.status.task_instances, name)

    def task_of(self, key: str) -> str:
        return key.split("[", 1)[0]

    def set_state(self, key: str, state: TI, message: str | None = None) -> None:
        """Every move to a finished state goes through here (the XComs rely on it)."""
        self.state_changes += 1
        ti = self.status.task_instances[key]
        if state != ti.state and state in _NOTED:
            self.note(_NOTED[state], key, max(ti.try_number, 1), state.value, message)
        ti.state = state
        ti.message = message
        if state.finished:
            ti.next_try_at = None
            if ti.end_date is None or state in (TI.SKIPPED, TI.UPSTREAM_FAILED):
                ti.end_date = iso(self.now)
            started = parse_time(ti.start_date)
            ended = parse_time(ti.end_date)
            if started is not None and ended is not None and state in (TI.SUCCESS, TI.FAILED):
                ti.duration = format_duration(ended - started)

    def note(
        self,
        kind: CallbackKind,
        key: str | None,
        try_number: int,
        state: str,
        message: str | None = None,
        deadline: int | None = None,
    ) -> None:
        self.transitions.append(Transition(kind, key, try_number, state, message, deadline))

    def event(self, kind: Literal["Normal", "Warning"], reason: str, message: str) -> None:
        self.actions.append(RecordEvent(kind, reason, message))

    def create_pod(self, key: str, manifest: dict[str, Any]) -> None:
        self.actions.append(CreatePod(key, manifest))

    def delete_pod(self, name: str, reason: str) -> None:
        self.actions.append(DeletePod(name, reason))

    def wake(self, moment: datetime) -> None:
        self.wake_times.append(moment)

    def xcom_of(self, key: str) -> Any:
        """A task instance's XCom, followed to its ConfigMap when it is big; MISSING
        when that value is not among the `stored_xcoms` (the controller could not
        read it)."""
        ti = self.status.task_instances.get(key) or self.sealed_records[key]
        if ti.xcom_ref is None:
            return ti.xcom
        return self.stored_xcoms.get(ti.xcom_ref.config_map, MISSING)

    def mapped_items(self, name: str) -> list[Any] | None:
        """What mapped task `name` maps over (None while a source has not pushed).
        Kept once known: its sources are done, and a product of 10,000 combinations is
        not built again for each instance that starts."""
        if name not in self._items:
            found = map_items(self.tasks[name], self.xcoms(), self.settings.max_map_length)
            if found is None:
                return None
            self._items[name] = found
        return self._items[name]

    def xcoms(self) -> Mapping[str, Any]:
        """Task name -> its XCom; a mapped task's is the list of its instances' XComs.
        A live view: it follows the states this pass changes."""
        return PassXComs(self, self._mapped_xcoms)

    @cached_property
    def indirect_setups(self) -> Mapping[str, frozenset[str]]:
        """Task -> the setups it waits for besides its direct upstream tasks."""
        return setup_teardown.indirect_setups(self.graph)

    @cached_property
    def mapped_tasks(self) -> frozenset[str]:
        return frozenset(name for name, task in self.tasks.items() if task.expand is not None)

    @cached_property
    def previous_by_task(self) -> Mapping[str, list[tuple[str, TI]]]:
        """The previous run's task instance states grouped by task, in their order."""
        grouped: dict[str, list[tuple[str, TI]]] = {}
        if self.previous is not None:
            for key, state in self.previous.task_states.items():
                grouped.setdefault(self.task_of(key), []).append((key, state))
        return grouped

    def can_progress(self) -> bool:
        """False when unfinished task instances exist but none can ever move on.
        Like Airflow, a task waiting on dependsOnPast never counts as a deadlock."""
        for key, ti in self.status.task_instances.items():
            if ti.state in _WAITING:
                return True
            if ti.state == TI.NONE and self.policies[self.task_of(key)].depends_on_past:
                return True
        return False

    def result(self) -> Plan:
        future = [t for t in self.wake_times if t > self.now]
        return Plan(
            actions=tuple(self.actions), status=self.status, wake_at=min(future) if future else None
        )
