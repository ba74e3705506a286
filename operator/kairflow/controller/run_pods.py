"""A run's pods: creating and deleting what a plan asks for, and reading the ones
the cache has not seen yet."""

from __future__ import annotations

import asyncio

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import DagRunStatus
from kairflow.controller.cache import Key
from kairflow.controller.runtime import Runtime
from kairflow.core.run_model import CreatePod, DeletePod, Plan
from kairflow.core.times import parse_time
from kairflow.k8s.writes import Rejected


async def apply_plan(
    rt: Runtime, namespace: str, result: Plan, doomed: list[str]
) -> dict[str, str]:
    """Create and delete pods; returns the pods the API refused for good."""
    creates = [a for a in result.actions if isinstance(a, CreatePod)]
    deletes = [a.name for a in result.actions if isinstance(a, DeletePod)] + doomed
    outcomes = await asyncio.gather(
        *(rt.writer.create_pod(namespace, a.manifest) for a in creates), return_exceptions=True
    )
    rejected: dict[str, str] = {}
    for action, outcome in zip(creates, outcomes, strict=True):
        if isinstance(outcome, Rejected):
            rejected[str(action.manifest["metadata"]["name"])] = str(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome  # transient: the whole sync is retried with backoff
    await asyncio.gather(*(rt.writer.delete_pod(namespace, n) for n in deletes))
    now = rt.clock()
    for action in creates:
        ready = parse_time(result.status.task_instances[action.key].ready_at)
        if ready is not None:
            rt.metrics.scheduling_delay.observe(max(0.0, (now - ready).total_seconds()))
    return rejected


async def fill_pod_gaps(rt: Runtime, key: Key, status: DagRunStatus) -> None:
    """Read the pods the status names but the cache lacks. After a restart the pod
    watch may list later than the DagRun watch; a pod missing from the cache is not
    a pod deleted, so ask the API before the planner concludes anything."""
    cached = {p["metadata"]["name"] for p in rt.cache.pods_of(key)}
    wanted = [
        ti.pod
        for ti in status.task_instances.values()
        if ti.state in (TaskInstanceState.QUEUED, TaskInstanceState.RUNNING)
        and ti.pod
        and ti.pod not in cached
    ]
    found = await asyncio.gather(*(rt.writer.get_pod(key[0], name) for name in wanted))
    for pod in found:
        if pod is not None:
            rt.cache.put_pod(key, pod)
