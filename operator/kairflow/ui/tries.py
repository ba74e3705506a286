"""Every try of a run's task instances that its pods still show, for the Gantt chart.

A DagRun's status keeps the times of each instance's current try only; an earlier
try's times live on in its pod (created = queued, the main container's start and
finish) until the pod cleanup deletes it. A sensor in reschedule mode runs one pod
per poke: a try's pokes are read as one bar from the first poke to the last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from kubernetes_asyncio.client import ApiException

from kairflow.core import labels
from kairflow.core.naming import label_value
from kairflow.core.times import iso
from kairflow.k8s.observe import observe_pod
from kairflow.ui.kube import UserApi, api_error


def _key(annotations: Mapping[str, str]) -> str | None:
    task = annotations.get(labels.TASK)
    if not task:
        return None
    index = annotations.get(labels.MAP_INDEX)
    return f"{task}[{index}]" if index is not None else task


def _when(moments: Iterable[datetime | None], pick: Any) -> str | None:
    found = [m for m in moments if m is not None]
    return iso(pick(found)) if found else None


def tries_of(pods: Iterable[Mapping[str, Any]], run: str) -> list[dict[str, Any]]:
    """[{key, try, pods, queuedAt, startDate, endDate, exitCode, phase}] of run `run`'s
    pods, by key then try. A try still running (or still waiting for a pod to start)
    has no endDate."""
    by_try: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for pod in pods:
        annotations = (pod.get("metadata") or {}).get("annotations") or {}
        key = _key(annotations)
        if annotations.get(labels.DAG_RUN) != run or key is None:
            continue
        try:
            number = int(annotations.get(labels.TRY_NUMBER) or "")
        except ValueError:
            continue
        by_try.setdefault((key, number), []).append(pod)
    tries = []
    for (key, number), group in sorted(by_try.items()):
        observed = sorted(
            (observe_pod(p) for p in group),
            key=lambda o: o.created_at.timestamp() if o.created_at else 0.0,
        )
        last = observed[-1]
        unfinished = any(o.finished_at is None for o in observed)
        tries.append(
            {
                "key": key,
                "try": number,
                "pods": len(observed),
                "queuedAt": _when((o.created_at for o in observed), min),
                "startDate": _when((o.started_at for o in observed), min),
                "endDate": None if unfinished else _when((o.finished_at for o in observed), max),
                "exitCode": last.exit_code,
                "phase": last.phase.value,
            }
        )
    return tries


async def read_tries(api: UserApi, namespace: str, run: str) -> dict[str, Any]:
    """{tries} of run `run`; one who may not list pods gets none, and the reason, in
    `note` (the Gantt chart then shows current tries only)."""
    try:
        found = await api.core.list_namespaced_pod(
            namespace, label_selector=f"{labels.DAG_RUN}={label_value(run)}"
        )
    except ApiException as exc:
        error = api_error(exc)
        if error.status != 403:
            raise error from None
        return {"tries": [], "note": error.message}
    return {"tries": tries_of(api.api.sanitize_for_serialization(found.items), run)}
