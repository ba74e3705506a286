"""Planning a run off the event loop, and claiming the slots its plan takes.

`plan()` renders DAG authors' templates, so it runs in a worker thread (each
render has a CPU budget). Runs are planned concurrently, so free capacity is
claimed optimistically: a plan's status enters the cache (no await in between),
unless other runs claimed what it counted on meanwhile; then it is planned again
(`core.capacity.claim_still_valid`).
"""

from __future__ import annotations

import asyncio
import functools

from kairflow.api import DAGSpec
from kairflow.api.dagrun import DagRunStatus
from kairflow.controller.cache import Body
from kairflow.controller.runtime import Runtime
from kairflow.core.capacity import claim_still_valid, free_capacity
from kairflow.core.observations import ObservedRun
from kairflow.core.run_model import Capacity, Plan

Planner = functools.partial[Plan]
"""`core.planner.plan` with every input bound but status, capacity and rejections."""


def capacity_for(rt: Runtime, view: ObservedRun, spec: DAGSpec) -> Capacity:
    return free_capacity(
        view,
        spec.max_active_tasks,
        rt.cache.all_runs(),
        rt.settings.parallelism,
        rt.settings.pool_slots(),
    )


async def claimed_plan(
    rt: Runtime,
    body: Body,
    view: ObservedRun,
    spec: DAGSpec,
    status: DagRunStatus,
    planner: Planner,
) -> tuple[Plan, Body]:
    """Plan off the event loop, then claim the slots it takes by putting its status
    in the cache (no await in between: other syncs then see them). Plans of other
    runs may have claimed slots meanwhile: plan again if what this one counted on is
    gone."""
    key = (view.namespace, view.name)
    while True:
        capacity = capacity_for(rt, view, spec)
        result = await off_loop(planner, status, capacity)
        if claim_still_valid(status, result.status, capacity, capacity_for(rt, view, spec)):
            return result, rt.cache.claim(key, {**body, "status": result.status.to_wire()})


async def off_loop(
    planner: Planner,
    status: DagRunStatus,
    capacity: Capacity,
    rejected: dict[str, str] | None = None,
) -> Plan:
    """Plans render DAG authors' templates: never on the event loop."""
    call = functools.partial(planner, status=status, capacity=capacity, rejected=rejected)
    return await asyncio.to_thread(call)
