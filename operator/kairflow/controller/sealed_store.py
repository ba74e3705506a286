"""Writing and reading back a big mapped task's sealed blocks (`core.sealed_blocks`).

A block is written before the run's status that drops its task instances (as a pod
is created before the status that records it): a crash in between leaves them in
the run, and the next pass seals them again over the same object. The operator's
cache keeps a block by name only; its records are read from the API when a pass asks
(`ReadSealed`: a task downstream pulls their XComs) or when a clear or mark of the
run is about to change them (`unseal_for_requests`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from kubernetes_asyncio.client import ApiException

from kairflow.api.dagrun import DagRunSpec, DagRunStatus, TaskInstanceStatus
from kairflow.api.task_instance_slice import TaskInstanceSlice
from kairflow.controller.cache import Body, key_of
from kairflow.controller.runtime import Runtime
from kairflow.controller.task_instance_store import slice_manifest
from kairflow.core.interventions import requests_pending
from kairflow.core.run_model import Plan, ReadSealed, SealBlock
from kairflow.core.sealed_blocks import forget_blocks, sealed_block_names, unseal
from kairflow.core.task_instance_slices import FIELD
from kairflow.k8s.writes import Conflict

log = logging.getLogger(__name__)
PLURAL = TaskInstanceSlice.PLURAL


def seals_of(result: Plan) -> list[SealBlock]:
    return [a for a in result.actions if isinstance(a, SealBlock)]


def asked_of(result: Plan) -> list[ReadSealed]:
    return [a for a in result.actions if isinstance(a, ReadSealed)]


async def write_blocks(rt: Runtime, run: Body, seals: Sequence[SealBlock]) -> None:
    """Each sealed block's objects, concurrently."""
    writes = [
        _write_part(rt, run, seal, name, records)
        for seal in seals
        for name, records in seal.parts.items()
    ]
    results = await asyncio.gather(*writes, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


async def _write_part(
    rt: Runtime, run: Body, seal: SealBlock, name: str, records: dict[str, Any]
) -> None:
    namespace = key_of(run)[0]
    current = rt.cache.slices.get((namespace, name))
    if current is None:
        try:
            await rt.writer.create(namespace, PLURAL, _manifest(run, seal, name))
        except ApiException as exc:
            if exc.status != 422:
                raise
            # The CRD predates sealed blocks: the run keeps its records (this pass is
            # dropped before its status is written, the next one seals nothing).
            rt.blocks_accepted = False
            log.warning(
                "sealed blocks refused (%s): nothing is sealed until the CRDs are "
                "updated (kubectl apply -f crds/)",
                exc.reason,
            )
            raise
        current = await rt.writer.get(namespace, PLURAL, name)
        if current is None:
            raise Conflict(name)  # deleted as soon as made: the sync goes again
    status = {FIELD: records}
    try:
        written = await rt.writer.replace_status(namespace, PLURAL, {**current, "status": status})
    except Conflict:
        # A block sealed again (after a clear) over a copy older than the cache's.
        fresh = await rt.writer.get(namespace, PLURAL, name)
        if fresh is None:
            raise
        written = await rt.writer.replace_status(namespace, PLURAL, {**fresh, "status": status})
    rt.cache.put_slice(written)


def _manifest(run: Body, seal: SealBlock, name: str) -> dict[str, Any]:
    return slice_manifest(run, name, {"task": seal.task, "block": seal.block})


async def read_blocks(
    rt: Runtime, namespace: str, names: Iterable[str]
) -> tuple[dict[str, TaskInstanceStatus], list[str]]:
    """The records the blocks `names` hold (read from the API: the cache keeps their
    names only), and the blocks not found."""
    wanted = sorted(set(names))
    bodies = await asyncio.gather(*(rt.writer.get(namespace, PLURAL, n) for n in wanted))
    lost = [name for name, body in zip(wanted, bodies, strict=True) if body is None]
    found = [body for body in bodies if body is not None]
    records = await asyncio.to_thread(_records, found)  # 100,000 records: off the loop
    return records, lost


def _records(bodies: Sequence[Body]) -> dict[str, TaskInstanceStatus]:
    return {
        key: TaskInstanceStatus.model_validate(record)
        for body in bodies
        for key, record in ((body.get("status") or {}).get(FIELD) or {}).items()
    }


async def read_asked(
    rt: Runtime, run: tuple[str, str], status: DagRunStatus, asked: Sequence[ReadSealed]
) -> dict[str, TaskInstanceStatus]:
    """The records a pass asked for; blocks not found (deleted by hand) are forgotten
    by the run, whose pass then runs their instances again, like a lost slice's."""
    records, lost = await read_blocks(rt, run[0], (n for a in asked for n in a.names))
    if lost:
        log.warning("sealed blocks %s of %s/%s are gone: their instances run again", lost, *run)
        for ask in asked:
            forget_blocks(status, run[1], ask.task, lost)
    return records


async def unseal_for_requests(
    rt: Runtime, run: tuple[str, str], spec: DagRunSpec, status: DagRunStatus
) -> None:
    """Before a clear or mark is applied: every sealed instance back in the run (either
    may change any of them; they are sealed again once finished). A block not found
    is forgotten: its instances run again."""
    if not requests_pending(status, spec.clear, spec.mark):
        return
    sealed = {
        task: tuple(sealed_block_names(run[1], task, ti))
        for task, ti in status.task_instances.items()
        if ti.map_sealed
    }
    if not sealed:
        return
    records, lost = await read_blocks(rt, run[0], (n for names in sealed.values() for n in names))
    for task in sealed:
        forget_blocks(status, run[1], task, lost)
        unseal(status, task, records)
