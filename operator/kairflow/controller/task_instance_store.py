"""Writing a run's status where it is kept: the run, and its TaskInstanceSlices.

The layout is the core's (`core.task_instance_slices`); this module writes it. The
slices a pass changed are written first (concurrently), the run's own status last:
the run is the record of what happened, so a crash between the two leaves task
instances recorded in their slices (read back as they are) and never a run that
names slices not written yet. A move to a bigger layout deletes the old slices only
after the run names the new ones.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from kairflow.api.task_instance_slice import TaskInstanceSlice
from kairflow.controller.cache import Body, Key, key_of
from kairflow.controller.runtime import Runtime
from kairflow.core import labels
from kairflow.core.naming import label_value
from kairflow.core.task_instance_slices import (
    FIELD,
    Layout,
    Wire,
    layout,
    layout_of,
    slice_name,
    stored_status,
)
from kairflow.k8s.writes import Conflict, owner_reference

log = logging.getLogger(__name__)
PLURAL = TaskInstanceSlice.PLURAL
OFF_LOOP = 500
"""Task instances past which the layout (JSON of each) is computed in a thread."""


async def write_run_status(rt: Runtime, body: Body, wire: Wire) -> Body:
    """Write `wire` (a run's whole status) for the run `body`; returns the run as
    written (as stored: a big run's task instances are in its slices, already
    cached). Raises `Conflict` when the run or one of its slices changed since it was
    read (the slice is read again), `NotFound` when the run is gone."""
    key = key_of(body)
    before = layout_of(body.get("status") or {})
    budget = rt.record_limits()[1]
    instances = wire.get(FIELD) or {}
    placed = (
        await asyncio.to_thread(layout, instances, before, budget)
        if len(instances) > OFF_LOOP
        else layout(instances, before, budget)
    )
    if placed.slices:
        await _write_slices(rt, body, placed)
    stored = stored_status(wire, placed.slices)
    written: Body = await rt.writer.replace_status(key[0], "dagruns", {**body, "status": stored})
    if before and before != placed.slices:
        await _delete_layout(rt, key, before)
    return written


async def _write_slices(rt: Runtime, run: Body, placed: Layout) -> None:
    namespace, name = key_of(run)
    writes = [
        _write_slice(rt, run, placed.slices, index, part)
        for index, part in enumerate(placed.parts)
        if rt.cache.slice_part((namespace, slice_name(name, placed.slices, index))) != part
    ]
    results = await asyncio.gather(*writes, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


async def _write_slice(rt: Runtime, run: Body, slices: int, index: int, part: Wire) -> None:
    namespace, name = key_of(run)
    key = (namespace, slice_name(name, slices, index))
    current = rt.cache.slices.get(key)
    if current is None:
        await rt.writer.create(namespace, PLURAL, _manifest(run, slices, index))
        current = await rt.writer.get(namespace, PLURAL, key[1])
        if current is None:
            raise Conflict(key[1])  # deleted as soon as made: the sync goes again
    try:
        written = await rt.writer.replace_status(
            namespace, PLURAL, {**current, "status": {FIELD: part}}
        )
    except Conflict:
        # Changed by someone else since cached: read it, so the run is planned again
        # from what it holds now.
        fresh = await rt.writer.get(namespace, PLURAL, key[1])
        if fresh is None:
            rt.cache.forget_slice(key)
        else:
            rt.cache.put_slice(fresh)
        raise
    # Not put back into the run yet: the run's cached body is the planned one until
    # its own write lands.
    rt.cache.put_slice(written, reassemble=False)


def _manifest(run: Body, slices: int, index: int) -> dict[str, Any]:
    name = slice_name(key_of(run)[1], slices, index)
    return slice_manifest(run, name, {"slices": slices, "index": index})


def slice_manifest(run: Body, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A TaskInstanceSlice `name` of `run` (a slice of its layout, or a sealed block:
    `spec` says which), owned by the run and labelled with it and its DAG."""
    namespace, run_name = key_of(run)
    dag = str((run.get("spec") or {}).get("dagName") or "")
    return {
        "apiVersion": run.get("apiVersion"),
        "kind": TaskInstanceSlice.KIND,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                labels.DAG_RUN: label_value(run_name),
                labels.DAG: label_value(dag),
                labels.MANAGED_BY: "kairflow",
            },
            "ownerReferences": [owner_reference(run)],
        },
        "spec": {"dagRun": run_name, **spec},
    }


async def _delete_layout(rt: Runtime, run: Key, slices: int) -> None:
    """The slices of a layout the run left (it names a bigger one now)."""
    names = [slice_name(run[1], slices, index) for index in range(slices)]
    await asyncio.gather(*(rt.writer.delete(run[0], PLURAL, name) for name in names))
    for name in names:
        rt.cache.forget_slice((run[0], name))


async def fetch_missing_slices(rt: Runtime, run: Key) -> list[str]:
    """Read the slices a run names that the cache lacks (a watch that lags behind
    another replica's writes); returns those that do not exist, made again empty (so
    they are reported once: the run's pass starts their task instances over)."""
    missing = rt.cache.missing_slices(run)
    if not missing:
        return []
    found = await asyncio.gather(*(rt.writer.get(run[0], PLURAL, name) for name in missing))
    for body in found:
        if body is not None:
            rt.cache.put_slice(body, reassemble=False)
    lost = [name for name, body in zip(missing, found, strict=True) if body is None]
    run_body = rt.cache.runs.get(run)
    if lost and run_body is not None:
        slices = layout_of(run_body.get("status") or {})
        names = [slice_name(run[1], slices, index) for index in range(slices)]
        for name in lost:
            await _write_slice(rt, run_body, slices, names.index(name), {})
    rt.cache.reassemble(run)
    return lost
