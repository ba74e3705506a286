"""Big XComs, as observations for the core: stored from a pod's log into a ConfigMap
owned by the run, and read back for the run's templates, mappings and branches.

A task's wrapper leaves a value over 4 KiB at the end of its log with a pointer in
its termination message (`core.xcom_spill`). Before each pass of a run, for every
pod that ended so and whose task instance has not recorded it yet, this module
reads the log's last lines, checks them (`core.xcom_frame.unframe`), and creates
the ConfigMap `<pod>-xcom` (gzip of the JSON, immutable, owned by the DagRun so it
is deleted with it). The ConfigMap is named after the try, and created or, when it
exists, checked against the pointer's SHA-256: an operator restarted between this
write and the status write that records the reference finds it and goes on, with
no second copy. The pass then records the reference (`pod_outcomes`).

Values of recorded references are read back for every pass of a running run,
cached (`XComCache`: a stored value never changes), and decoded off the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus, XComRef
from kairflow.controller.runtime import Runtime
from kairflow.core import labels
from kairflow.core.naming import label_value
from kairflow.core.pod_builder import BASE_CONTAINER
from kairflow.core.run_model import ObservedPod, PodPhase
from kairflow.core.xcom import Spilled, XComError, config_map_name, parse_xcom, preview, size_text
from kairflow.core.xcom_frame import STORED_KEY, load_json, log_limit, stored_value, unframe
from kairflow.k8s.writes import Rejected, owner_reference

log = logging.getLogger(__name__)

SHA256 = labels.PREFIX + "xcom-sha256"
SIZE = labels.PREFIX + "xcom-size"
_ACTIVE = (TaskInstanceState.QUEUED, TaskInstanceState.RUNNING)


def _spilled(pod: ObservedPod) -> Spilled | None:
    if pod.phase != PodPhase.SUCCEEDED:
        return None
    try:
        value = parse_xcom(pod.termination_message)
    except XComError:
        return None  # the core fails the try with the message
    return value if isinstance(value, Spilled) else None


async def observe_spills(
    rt: Runtime, run: Mapping[str, Any], status: DagRunStatus, pods: Sequence[ObservedPod]
) -> list[ObservedPod]:
    """`pods` with `stored_xcom` filled in for each whose big XCom its task instance
    waits to record: the reference, or why it cannot be stored."""
    waiting = {
        ti.pod: key
        for key, ti in status.task_instances.items()
        if ti.state in _ACTIVE and ti.pod and ti.xcom_ref is None
    }
    namespace = str(run["metadata"]["namespace"])
    todo = {
        pod.name: spilled
        for pod in pods
        if pod.name in waiting and (spilled := _spilled(pod)) is not None
    }
    results = await asyncio.gather(
        *(_store(rt, run, namespace, name, waiting[name], s) for name, s in todo.items())
    )
    stored = dict(zip(todo, results, strict=True))
    return [replace(p, stored_xcom=stored[p.name]) if p.name in stored else p for p in pods]


async def _store(
    rt: Runtime, run: Mapping[str, Any], namespace: str, pod: str, key: str, spilled: Spilled
) -> XComRef | str:
    known = rt.xcoms.stored(namespace, pod)
    if known is not None and known.sha256 == spilled.sha256:
        return known
    name = config_map_name(pod)
    found = await rt.writer.get_config_map(namespace, name)
    if found is None:
        tail = await rt.writer.read_pod_log(
            namespace, pod, BASE_CONTAINER, spilled.lines, log_limit(spilled)
        )
        if tail is None:
            return f"the pod was deleted before its XCom ({size_text(spilled.size)}) was read"
        try:
            packed, value, raw = await asyncio.to_thread(_decode_log, tail, spilled)
        except XComError as exc:
            return str(exc)
        body = _config_map(run, namespace, name, key, spilled, packed)
        try:
            created = await rt.writer.create_config_map(namespace, body)
        except Rejected as exc:
            return f"cannot store the XCom ({size_text(spilled.size)}) in a ConfigMap: {exc}"
        if created:
            ref = _ref(name, spilled, raw)
            rt.xcoms.keep_value((namespace, name, spilled.sha256), spilled.size, value)
            rt.xcoms.keep_stored(namespace, pod, ref)
            return ref
        found = await rt.writer.get_config_map(namespace, name)
        if found is None:
            raise RuntimeError(f"ConfigMap {namespace}/{name} exists and is gone: try again")
    return await _check(rt, run, found, namespace, pod, spilled)


async def _check(
    rt: Runtime,
    run: Mapping[str, Any],
    found: Mapping[str, Any],
    namespace: str,
    pod: str,
    spilled: Spilled,
) -> XComRef | str:
    """A ConfigMap found under the try's name: ours if it holds the same value (a
    restart between its creation and the status write)."""
    name = str(found["metadata"]["name"])
    owners = {o.get("uid") for o in found["metadata"].get("ownerReferences") or []}
    if owners and run["metadata"].get("uid") not in owners:
        # A deleted run of the same name left it: the garbage collector takes it soon,
        # and the sync is retried (with backoff) until then.
        raise RuntimeError(f"ConfigMap {namespace}/{name} belongs to an earlier run of this name")
    if (found["metadata"].get("annotations") or {}).get(SHA256) != spilled.sha256:
        return f"ConfigMap {name} exists and holds another value than this try's XCom"
    try:
        value, ref = await asyncio.to_thread(_decode_found, found, spilled)
    except XComError as exc:
        return str(exc)
    rt.xcoms.keep_value((namespace, name, spilled.sha256), spilled.size, value)
    rt.xcoms.keep_stored(namespace, pod, ref)
    return ref


def _decode_log(tail: str, spilled: Spilled) -> tuple[str, Any, bytes]:
    """(base64 of the gzip, value, JSON): CPU work on up to 1 MiB, off the event loop."""
    packed, raw = unframe(tail, spilled)
    return base64.b64encode(packed).decode(), load_json(raw), raw


def _decode_stored(body: Mapping[str, Any], size: int, sha256: str) -> Any:
    try:
        return stored_value(body.get("binaryData"), size, sha256)
    except XComError as exc:
        raise XComError(f"ConfigMap {body['metadata']['name']}: {exc}") from None


def _decode_found(body: Mapping[str, Any], spilled: Spilled) -> tuple[Any, XComRef]:
    value = _decode_stored(body, spilled.size, spilled.sha256)
    return value, _ref(str(body["metadata"]["name"]), spilled, json.dumps(value).encode())


def _ref(name: str, spilled: Spilled, raw: bytes) -> XComRef:
    head = raw[:120].decode(errors="ignore")
    return XComRef(config_map=name, size=spilled.size, sha256=spilled.sha256, preview=preview(head))


def _config_map(
    run: Mapping[str, Any], namespace: str, name: str, key: str, spilled: Spilled, packed: str
) -> dict[str, Any]:
    meta = run["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "ownerReferences": [owner_reference(run)],
            "labels": {
                labels.MANAGED_BY: "kairflow",
                labels.DAG_RUN: label_value(str(meta["name"])),
            },
            "annotations": {
                labels.DAG_RUN: str(meta["name"]),
                labels.TASK: key,
                SHA256: spilled.sha256,
                SIZE: str(spilled.size),
            },
        },
        "immutable": True,
        "binaryData": {STORED_KEY: packed},
    }


async def stored_values(
    rt: Runtime,
    namespace: str,
    status: DagRunStatus,
    pods: Sequence[ObservedPod],
    sealed: Iterable[TaskInstanceStatus] = (),
) -> dict[str, Any]:
    """ConfigMap name -> value, for every big XCom the run has recorded or is about to
    (a value the API no longer has is left out: the core treats it as not pushed);
    `sealed`: records of sealed instances read back, whose big XComs count too."""
    refs = {
        ti.xcom_ref.config_map: ti.xcom_ref
        for ti in (*status.task_instances.values(), *sealed)
        if ti.xcom_ref is not None and ti.state == TaskInstanceState.SUCCESS
    }
    refs.update(
        {
            p.stored_xcom.config_map: p.stored_xcom
            for p in pods
            if isinstance(p.stored_xcom, XComRef)
        }
    )
    values: dict[str, Any] = {}
    missing: list[XComRef] = []
    for name, ref in refs.items():
        found, value = rt.xcoms.value((namespace, name, ref.sha256))
        if found:
            values[name] = value
        else:
            missing.append(ref)
    bodies = await asyncio.gather(
        *(rt.writer.get_config_map(namespace, r.config_map) for r in missing)
    )
    for ref, body in zip(missing, bodies, strict=True):
        if body is None:
            log.warning("XCom ConfigMap %s/%s is gone", namespace, ref.config_map)
            continue
        try:
            value = await asyncio.to_thread(_decode_stored, body, ref.size, ref.sha256)
        except XComError as exc:
            log.warning("XCom ConfigMap %s/%s: %s", namespace, ref.config_map, exc)
            continue
        rt.xcoms.keep_value((namespace, ref.config_map, ref.sha256), ref.size, value)
        values[ref.config_map] = value
    return values
