"""Planning a run off the event loop, and claiming what its plan takes.

`plan()` renders DAG authors' templates, so it runs in a worker thread (each
render has a CPU budget). Runs are planned concurrently, so free slots and a place
among maxActiveRuns are claimed optimistically: a plan's status enters the cache
(no await in between) if what it takes still fits (`core.capacity.claim_still_valid`);
otherwise it is planned again. After a few tries a plan that starts nothing is
taken, and the run is synced again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kairflow.api import DAGSpec
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.controller.cache import Body
from kairflow.controller.runtime import Runtime
from kairflow.core.capacity import claim_still_valid, free_capacity
from kairflow.core.deferred import Surroundings
from kairflow.core.observations import ObservedRun, SnapshotFacts
from kairflow.core.planner import plan
from kairflow.core.resolved_dag import Resolution
from kairflow.core.run_admission import may_start
from kairflow.core.run_model import (
    Capacity,
    ObservedPod,
    Plan,
    PlannerSettings,
    PreviousRun,
    PreviousSuccess,
    RunContext,
)
from kairflow.core.status_size import NOTHING, bounded

ATTEMPTS = 4


@dataclass(frozen=True)
class PlanInputs:
    """Everything a pass over one run needs, but its status, capacity and admission."""

    context: RunContext
    spec: DAGSpec
    facts: SnapshotFacts
    pods: Sequence[ObservedPod]
    now: datetime
    previous: PreviousRun | None
    previous_success: PreviousSuccess | None
    settings: PlannerSettings
    stored_xcoms: Mapping[str, Any]
    """The run's big XComs (ConfigMap name -> value), see `xcom_store`."""
    surroundings: Surroundings
    sealed_records: Mapping[str, TaskInstanceStatus] = field(default_factory=dict)
    """Records of sealed instances a pass asked for (`sealed_store.read_asked`)."""
    resolution: Resolution | None = None
    """The spec's graph, effective tasks, ... resolved once per DAG version (None: each
    pass resolves them, e.g. a run with an inline snapshot)."""

    def plan(
        self,
        status: DagRunStatus,
        capacity: Capacity,
        admitted: bool,
        rejected: dict[str, str] | None = None,
    ) -> Plan:
        def make(capacity: Capacity) -> Plan:
            return plan(
                replace(self.context, may_start=admitted),
                status,
                self.pods,
                self.now,
                previous=self.previous,
                capacity=capacity,
                settings=self.settings,
                previous_success=self.previous_success,
                rejected=rejected,
                stored_xcoms=self.stored_xcoms,
                surroundings=self.surroundings,
                sealed_records=self.sealed_records,
                resolved=self.resolution.get() if self.resolution is not None else None,
            )

        return bounded(make, capacity, self.settings.max_status_bytes, self.now, status)


def extent(spec: DAGSpec, status: DagRunStatus) -> int:
    """A run's size as a pass over it sees it before planning: its tasks or its task
    instances, the more numerous (a mapped task's count comes in the pass).

    The plan of a big run holds full collections, as bulk creates do
    (`controller.collector`): it builds the pods it starts in a burst, and a
    5,000-task fan-out's first pass spent a third of its 0.8 s in the collector."""
    return max(len(spec.tasks), len(status.task_instances))


def capacity_for(rt: Runtime, view: ObservedRun, spec: DAGSpec) -> Capacity:
    return free_capacity(
        view,
        spec.max_active_tasks,
        rt.cache.all_runs(),
        rt.settings.parallelism,
        rt.cache.pool_table(rt.settings.pool_slots()),
    )


def admitted(rt: Runtime, view: ObservedRun) -> bool:
    dag_key = (view.namespace, view.dag_name)
    return may_start(view, rt.cache.dag(dag_key), rt.cache.runs_of(dag_key))


async def off_loop(
    inputs: PlanInputs,
    status: DagRunStatus,
    capacity: Capacity,
    admit: bool,
    rejected: dict[str, str] | None = None,
) -> Plan:
    """Plans render DAG authors' templates: never on the event loop."""
    return await asyncio.to_thread(inputs.plan, status, capacity, admit, rejected)


async def claimed_plan(
    rt: Runtime, body: Body, view: ObservedRun, inputs: PlanInputs, status: DagRunStatus
) -> tuple[Plan, Body] | None:
    """A plan whose claim holds, and the claimed body; None when the run was deleted
    while it was planned."""
    key = (view.namespace, view.name)
    for attempt in range(ATTEMPTS):
        last = attempt == ATTEMPTS - 1
        capacity = NOTHING if last else capacity_for(rt, view, inputs.spec)
        admit = not last and admitted(rt, view)
        with rt.collections.held_for(extent(inputs.spec, status)):
            result = await off_loop(inputs, status, capacity, admit)
        # No await from here to the claim: what is checked is what is claimed.
        now = capacity_for(rt, view, inputs.spec)
        valid = claim_still_valid(
            status,
            result.status,
            now,
            inputs.spec.max_active_tasks,
            inputs.facts.slots,
            admitted(rt, view),
        )
        if last or valid:
            claimed = rt.cache.claim(key, {**body, "status": result.status.to_wire()})
            if claimed is None:
                return None
            if last:
                rt.enqueue_run(key)  # contended: try again with fresh numbers
            return result, claimed
    raise AssertionError("unreachable: the last attempt always claims")
