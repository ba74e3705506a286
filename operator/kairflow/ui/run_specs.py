"""A run as its pages show it: whole (a big run's task instances read back from its
TaskInstanceSlices, a big mapped task's sealed instances from their blocks), with the
DAG spec it runs.

The spec is in the run's DAG version (`requests.dag_versions`) and a big run's task
instances in its slices (`requests.sliced_runs`), both read with the user's own
credentials on each request: who may read the run may still be refused its ConfigMap
(they then see the run without its structure) or its slices (without those task
instances, and `NOTE` in its status says so).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from kairflow.core import sealed_blocks
from kairflow.core.task_instance_slices import FIELD, layout_of, slice_index, slice_name
from kairflow.requests import sliced_runs
from kairflow.requests.dag_versions import VersionSpecs, config_map_body, version_of
from kairflow.ui.kube import ApiError

NOTE = "taskInstanceSlicesNote"
"""In the status of a run shown without some of its task instances: why, in words."""
_NOT_READ = (403, 404)  # refused, or gone (a slice deleted, CRDs that predate slices)


class RunReader(Protocol):
    async def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]: ...

    async def list_objects(
        self,
        kind: str,
        namespace: str,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> dict[str, Any]: ...

    async def read_config_map(self, namespace: str, name: str) -> Any: ...


async def run_with_spec(api: RunReader, namespace: str, name: str) -> dict[str, Any]:
    """The DagRun whole, with its DAG version's spec as `status.dagSpec`."""
    run = await whole_run(api, namespace, name)
    key = version_of(run)
    if key is None:
        return run
    try:
        found: dict[str, Any] | None = config_map_body(await api.read_config_map(*key))
    except ApiError as exc:
        if exc.status not in _NOT_READ:
            raise
        found = None
    specs = VersionSpecs(size=1)
    await asyncio.to_thread(specs.add, key, found)  # a big spec: gunzip and parse
    return specs.given(run)


async def whole_run(api: RunReader, namespace: str, name: str) -> dict[str, Any]:
    """The DagRun, a big one with its task instances put back from its slices (one
    LIST by its label)."""
    run = await api.get("dagruns", namespace, name)
    selector = sliced_runs.selector([run])
    if selector is None:
        return run
    reason: str | None = None
    try:
        listed = (await api.list_objects(sliced_runs.PLURAL, namespace, selector)).get("items")
    except ApiError as exc:
        if exc.status not in _NOT_READ:
            raise
        listed, reason = [], exc.message
    # Ten thousand task instances, each placed by its key's checksum: off the loop.
    found = await asyncio.to_thread(sliced_runs.whole, run, listed or [])
    note = sliced_runs.missing_note(found, reason)
    if note is not None:
        found.run["status"][NOTE] = note
    return found.run


async def task_instance(api: RunReader, run: dict[str, Any], key: str) -> dict[str, Any] | None:
    """One task instance of a run as read (None: it has none of that key, or its
    slice cannot be read): from a big run, the one slice its key is placed in; a
    sealed one (`core.sealed_blocks`), from its block, which its task's record names."""
    found = await _held(api, run, key)
    task, _, rest = key.partition("[")
    if found is not None or not (rest.endswith("]") and rest[:-1].isdigit()):
        return found
    index = int(rest[:-1])
    record = await _held(api, run, task)
    name = sealed_blocks.holder(_name(run), task, record, key, index) if record else None
    return None if name is None else await _in_slice(api, run, name, key)


async def _held(api: RunReader, run: dict[str, Any], key: str) -> dict[str, Any] | None:
    """Task instance `key` where the run's layout places it: its status or a slice."""
    status = run.get("status") or {}
    layout = layout_of(status)
    if not layout:
        found: dict[str, Any] | None = (status.get(FIELD) or {}).get(key)
        return found
    return await _in_slice(api, run, slice_name(_name(run), layout, slice_index(key, layout)), key)


async def _in_slice(
    api: RunReader, run: dict[str, Any], name: str, key: str
) -> dict[str, Any] | None:
    namespace = str((run.get("metadata") or {}).get("namespace"))
    try:
        part = await api.get(sliced_runs.PLURAL, namespace, name)
    except ApiError as exc:
        if exc.status not in _NOT_READ:
            raise
        return None
    held: dict[str, Any] | None = ((part.get("status") or {}).get(FIELD) or {}).get(key)
    return held


def _name(run: dict[str, Any]) -> str:
    return str((run.get("metadata") or {}).get("name"))
