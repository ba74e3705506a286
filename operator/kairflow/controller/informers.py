"""Watch events into the cache, and the syncs they call for (nothing else).

kopf's handlers (`handlers.py`) and the startup LIST (`handlers._prefill`) feed
these; who else a run's change concerns is `core.wakeups`' call, via
`Runtime.run_changed`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from kairflow.controller.asset_sync import wake_consumers
from kairflow.controller.cache import key_of, pool_slots, run_owner
from kairflow.controller.runtime import Runtime
from kairflow.core.observations import ObservedDag
from kairflow.core.wakeups import after_dag_change
from kairflow.k8s.observe import observe_dag

DELETED = "DELETED"


async def observed_dag(runtime: Runtime, body: Mapping[str, Any]) -> ObservedDag | None:
    """The DAG read in a thread when storing it would read it anew: validating a DAG of
    thousands of tasks must not hold the event loop."""
    if not runtime.cache.needs_observing(body):
        return None
    return await asyncio.to_thread(observe_dag, body, runtime.cache.dag_defaults)


def dag_event(
    rt: Runtime, kind: str | None, body: Mapping[str, Any], observed: ObservedDag | None = None
) -> None:
    """`observed`: the DAG read off the event loop (`observe_dag(body)`), if it was."""
    key = key_of(body)
    if kind == DELETED:
        rt.cache.forget_dag(key)  # its runs go with it (owner references)
        return
    before = rt.cache.dags.get(key)
    if not rt.cache.put_dag(dict(body), observed):
        return
    rt.enqueue_dag(key)
    if before is None or before.get("spec") != body.get("spec"):
        # paused / maxActiveRuns may let queued runs start; a new DAG lets runs and
        # Backfills that were waiting for it start.
        for name in sorted(after_dag_change(rt.cache.runs_of(key))):
            rt.enqueue_run((key[0], name))
        for backfill in rt.cache.backfills_of(key):
            rt.enqueue_backfill(backfill)
        # A sensor waiting for this DAG to exist looks again.
        for name in sorted(rt.cache.watchers_of(key)):
            rt.enqueue_run((key[0], name))


def run_event(rt: Runtime, kind: str | None, body: Mapping[str, Any]) -> None:
    key = key_of(body)
    before = rt.cache.run(key)
    if kind == DELETED:
        rt.cache.forget_run(key)
        rt.run_changed(before, None)
        return
    if rt.cache.put_run(dict(body)):
        rt.enqueue_run(key)
        rt.run_changed(before, rt.cache.run(key))


def slice_event(rt: Runtime, kind: str | None, body: Mapping[str, Any]) -> None:
    """A TaskInstanceSlice changed by someone else (this operator's own writes are
    cached as they land): its run is put back together and synced."""
    key = key_of(body)
    owner = (key[0], str((body.get("spec") or {}).get("dagRun")))
    if kind == DELETED:
        rt.cache.forget_slice(key)
        if key[1] in rt.cache.missing_slices(owner):
            rt.enqueue_run(owner)  # its run lost records: it says so, and starts them over
        return
    before = rt.cache.run(owner)
    if rt.cache.put_slice(dict(body)) is not None:
        rt.enqueue_run(owner)
        rt.run_changed(before, rt.cache.run(owner))


def backfill_event(rt: Runtime, kind: str | None, body: Mapping[str, Any]) -> None:
    key = key_of(body)
    if kind == DELETED:
        rt.cache.backfills.pop(key, None)
        return
    if rt.cache.put_backfill(dict(body)):
        rt.enqueue_backfill(key)


def pod_event(rt: Runtime, kind: str | None, body: Mapping[str, Any]) -> None:
    run = run_owner(body)
    if run is None:
        return
    key = (str(body["metadata"]["namespace"]), run)
    if kind == DELETED:
        rt.cache.forget_pod(key, body["metadata"]["name"])
    else:
        rt.cache.put_pod(key, dict(body))
    rt.enqueue_run(key)


def pool_event(rt: Runtime, kind: str | None, body: Mapping[str, Any]) -> None:
    """A Pool's slots are read at every planning pass: a changed size wakes the runs
    waiting for slots (more may start; fewer only stops admitting)."""
    key = key_of(body)
    before = rt.cache.pools.get(key)
    if kind == DELETED:
        rt.cache.pools.pop(key, None)
    elif not rt.cache.put_pool(dict(body)):
        return
    else:
        rt.enqueue_pool(key)
    if kind == DELETED or before is None or pool_slots(before) != pool_slots(body):
        for waiting in sorted(rt.cache.waiting_for_slots):
            rt.enqueue_run(waiting)


def asset_event(rt: Runtime, kind: str | None, body: Mapping[str, Any]) -> None:
    """A new asset event (by the CLI, kubectl or another operator) wakes the DAGs
    scheduled on that asset; the operator's own events wake them when written."""
    key = key_of(body)
    if kind == DELETED:
        rt.cache.assets.pop(key, None)
        return
    if not rt.cache.put_asset(dict(body)):
        return
    uri = (body.get("spec") or {}).get("uri")
    if isinstance(uri, str):
        wake_consumers(rt, key[0], uri)
