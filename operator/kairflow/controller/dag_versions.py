"""Storing a run's DAG version when it starts, and loading it when a run needs it.

The decisions (the name, the ConfigMap, its checks) are `core.dag_versions`'; this
module does the I/O: one create per new version (the name is the lock: "already
there" is success when the DAG owns it), and one read per old version after a
restart (a run of its DAG's current version reads its DAG's own spec from the cache).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from kairflow.api import DAGSpec
from kairflow.api.dagrun import DagRunStatus
from kairflow.api.problems import validation_problems
from kairflow.controller.cache import Key
from kairflow.controller.runtime import Runtime
from kairflow.core.dag_versions import VersionError, config_map, dag_version, read_config_map
from kairflow.k8s.writes import owner_reference


class VersionOfDeletedDag(RuntimeError):
    """The version's ConfigMap is still owned by a DAG of the same name deleted before:
    the garbage collector is taking it (a run's start is retried until it is gone)."""


def _owned_by(body: Mapping[str, Any], uid: str | None) -> bool:
    owners = {o.get("uid") for o in (body.get("metadata") or {}).get("ownerReferences") or []}
    return not owners or uid in owners


async def store_version(
    rt: Runtime, namespace: str, dag_name: str, spec: DAGSpec, name: str
) -> None:
    """Make sure `spec`'s version (named `name`) is stored: its ConfigMap is created
    unless this process has seen it exist for this DAG; the spec is serialized only
    then. Raises `Rejected` when the API refuses it for good."""
    key = (namespace, name)
    memo = rt.cache.snapshots
    dag = rt.cache.dags.get((namespace, dag_name))
    uid = dag["metadata"].get("uid") if dag is not None else None
    if not memo.stored(key, uid):
        version = await asyncio.to_thread(dag_version, dag_name, spec)
        assert version.name == name, f"{name} names another spec than {version.name}"
        owner = owner_reference(dag) if dag is not None and uid else None
        manifest = await asyncio.to_thread(config_map, version, namespace, dag_name, owner)
        if not await rt.writer.create_config_map(namespace, manifest):
            found = await rt.writer.get_config_map(namespace, version.name)
            if found is None or not _owned_by(found, uid):
                # A DAG of this name deleted and made again: the garbage collector is
                # taking its versions. The sync is retried (with backoff) until then.
                raise VersionOfDeletedDag(
                    f"ConfigMap {namespace}/{version.name} belongs to a deleted DAG {dag_name}"
                )
    memo.mark_stored(key, uid, rt.clock())  # each run starting on it: see prune_versions
    memo.remember(key, spec)


RECENT = timedelta(minutes=10)
"""A version a run started on this recently is kept: its run may not have written the
status naming it yet."""


async def prune_versions(rt: Runtime, dag: Key) -> None:
    """Delete the DAG's versions no run names any more (their runs were deleted: the
    history limits, a user) and that are not its current spec. Versions whose last
    run went while no operator ran stay until the DAG is deleted."""
    memo = rt.cache.snapshots
    since = rt.clock() - RECENT
    for name in rt.cache.unused_versions(dag):
        if memo.stored_since((dag[0], name), since):
            continue
        await rt.writer.delete_config_map(dag[0], name)
        rt.cache.forget_version(dag, name)


async def run_spec(rt: Runtime, key: Key, status: DagRunStatus) -> DAGSpec | str:
    """The DAG spec a started run runs, or why it cannot be had (a one-line problem:
    its version's ConfigMap was deleted or damaged)."""
    if status.dag_version is None:
        # Inline: a run started before DAG versions. Validated here each sync, as then.
        return DAGSpec.model_validate(status.dag_spec)
    memo = rt.cache.snapshots
    version = (key[0], status.dag_version)
    found = memo.spec(version)
    if found is not None:
        return found
    body = await rt.writer.get_config_map(*version)
    if body is None:
        return f"its DAG version {status.dag_version} (a ConfigMap) is gone"
    try:
        wire = await asyncio.to_thread(read_config_map, body)
        spec = await asyncio.to_thread(DAGSpec.model_validate, wire)
    except VersionError as exc:
        return str(exc)
    except ValidationError as exc:
        problems = "; ".join(validation_problems(exc))
        return f"its DAG version {status.dag_version} does not validate: {problems}"
    memo.remember(version, spec)
    rt.cache.observe_again(key)  # its slots and watches are known now
    return spec
