"""A run's pods: creating and deleting what a plan asks for, and reading the ones
the cache has not seen yet."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import DagRunStatus
from kairflow.controller.cache import Key
from kairflow.controller.runtime import Runtime
from kairflow.core.run_model import CreatePod, DeletePod, Plan
from kairflow.core.times import parse_time
from kairflow.k8s.writes import Rejected


async def create_pods(rt: Runtime, namespace: str, result: Plan) -> dict[str, str]:
    """Create the pods a plan asks for, before its status is written (a pod created
    and then not recorded is adopted by the next pass: its name is deterministic).
    Returns the pods the API refused for good, with the API's message."""
    creates = [a for a in result.actions if isinstance(a, CreatePod)]
    with rt.collections.held_for(len(creates)):  # no full collection's pause among them
        outcomes = await asyncio.gather(
            *(rt.writer.create_pod(namespace, a.manifest) for a in creates),
            return_exceptions=True,
        )
    rejected: dict[str, str] = {}
    for action, outcome in zip(creates, outcomes, strict=True):
        if isinstance(outcome, Rejected):
            rejected[str(action.manifest["metadata"]["name"])] = str(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome  # transient: the whole sync is retried with backoff
    now = rt.clock()
    for action in creates:
        ti = result.status.task_instances.get(action.key)  # None: a callback's pod
        ready = parse_time(ti.ready_at) if ti is not None else None
        if ready is not None:
            rt.metrics.scheduling_delay.observe(max(0.0, (now - ready).total_seconds()))
    return rejected


async def delete_pods(rt: Runtime, namespace: str, names: Iterable[str]) -> None:
    """Delete pods only once the status that explains it is written: a pod deleted
    before a write that then conflicts would take the try's outcome (an image error,
    say) with it, and the next pass would only see a pod gone. The planner asks again
    for deletes cut short (`pod_outcomes.delete_strays`)."""
    await asyncio.gather(*(rt.writer.delete_pod(namespace, name) for name in sorted(set(names))))


def deletes_of(result: Plan) -> list[str]:
    return [a.name for a in result.actions if isinstance(a, DeletePod)]


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
    wanted += [
        c.pod for c in status.callbacks if c.pod and not c.state.finished and c.pod not in cached
    ]
    found = await asyncio.gather(*(rt.writer.get_pod(key[0], name) for name in wanted))
    for pod in found:
        if pod is not None:
            rt.cache.put_pod(key, pod)
