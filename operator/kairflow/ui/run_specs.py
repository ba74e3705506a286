"""A run with the DAG spec it runs, for the pages that show its tasks.

The spec is in the run's DAG version (`requests.dag_versions`), read with the
user's own credentials on each request: who may read the run may still be refused
its ConfigMap, and then sees the run without its structure.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from kairflow.requests.dag_versions import VersionSpecs, config_map_body, version_of
from kairflow.ui.kube import ApiError


class RunReader(Protocol):
    async def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]: ...

    async def read_config_map(self, namespace: str, name: str) -> Any: ...


async def run_with_spec(api: RunReader, namespace: str, name: str) -> dict[str, Any]:
    """The DagRun with its DAG version's spec as `status.dagSpec`."""
    run = await api.get("dagruns", namespace, name)
    key = version_of(run)
    if key is None:
        return run
    try:
        found: dict[str, Any] | None = config_map_body(await api.read_config_map(*key))
    except ApiError as exc:
        if exc.status not in (403, 404):
            raise
        found = None
    specs = VersionSpecs(size=1)
    await asyncio.to_thread(specs.add, key, found)  # a big spec: gunzip and parse
    return specs.given(run)
