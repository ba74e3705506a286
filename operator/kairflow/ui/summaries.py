"""What the pages need of each object, small enough to push on every change.

A DagRun carries its DAG snapshot and every task instance's details; the grid needs
only a state, a try number and two times per instance, and the DAG list only a run's
state and dates. Details (message, exit code, XCom) are read on demand when a task
instance panel opens. Plain dicts with camelCase keys: this is the page's wire format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kairflow.core import labels
from kairflow.core.cron_description import describe_cron
from kairflow.core.params import read_params

_READY = "Ready"


def _meta(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata") or {}
    return {
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "resourceVersion": meta.get("resourceVersion"),
        "created": meta.get("creationTimestamp"),
    }


def ready_condition(status: Mapping[str, Any]) -> dict[str, Any] | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == _READY:
            return {
                "status": condition.get("status"),
                "reason": condition.get("reason"),
                "message": condition.get("message"),
            }
    return None


def schedule_words(spec: Mapping[str, Any], status: Mapping[str, Any]) -> str:
    """The operator's description when it has written one, else our own reading."""
    if status.get("scheduleDescription"):
        return str(status["scheduleDescription"])
    schedule = spec.get("schedule")
    if not schedule:
        return "None (manual runs only)"
    try:
        return describe_cron(str(schedule))
    except ValueError:
        return str(schedule)


def owners(spec: Mapping[str, Any]) -> list[str]:
    """Airflow's Owner column: the defaults' owner, the task groups' and every task's
    own, once each."""
    found: list[str] = []
    groups = [g.get("defaults") or {} for g in spec.get("groups") or []]
    for settings in [spec.get("defaults") or {}, *groups, *(spec.get("tasks") or [])]:
        owner = settings.get("owner")
        if owner and owner not in found:
            found.append(str(owner))
    return found


def param_specs(params: Mapping[str, Any]) -> dict[str, Any]:
    """Each param as the server reads it (its default and JSON schema), for the trigger
    form: the page need not know which mapping is a Param (core/params.py)."""
    return {
        name: {"default": p.default, "schema": dict(p.schema), "plain": p.plain}
        for name, p in read_params(params).items()
    }


def dag_summary(body: Mapping[str, Any]) -> dict[str, Any]:
    spec, status = body.get("spec") or {}, body.get("status") or {}
    return {
        **_meta(body),
        "kind": "DAG",
        "description": spec.get("description"),
        "schedule": spec.get("schedule"),
        "scheduleWords": schedule_words(spec, status),
        "timezone": spec.get("timezone") or "UTC",
        "paused": bool(spec.get("paused")),
        "tags": list(spec.get("tags") or []),
        "owners": owners(spec),
        "params": spec.get("params") or {},
        "paramSpecs": param_specs(spec.get("params") or {}),
        "tasks": len(spec.get("tasks") or []),
        "ready": ready_condition(status),
        "nextRun": status.get("nextRun"),
        "lastRun": status.get("lastRun"),
        "activeRuns": status.get("activeRuns"),
        # A DAG on assets: per URI, events not consumed yet (0: it waits on that asset).
        "queuedAssetEvents": status.get("queuedAssetEvents") or {},
    }


def instance_cell(ti: Mapping[str, Any]) -> list[Any]:
    """One grid cell: [state, tryNumber, startDate, endDate, queuedAt], and for a
    mapped task's record of its instances not created yet (`core.map_window`) how
    many those are."""
    cell = [
        ti.get("state") or "none",
        ti.get("tryNumber") or 0,
        ti.get("startDate"),
        ti.get("endDate"),
        ti.get("queuedAt"),
    ]
    length, next_index = ti.get("mapLength"), ti.get("mapNext")
    if isinstance(length, int) and isinstance(next_index, int):
        cell.append(max(length - next_index, 0))
    return cell


def run_summary(body: Mapping[str, Any], *, instances: bool) -> dict[str, Any]:
    """A run for the pages; `instances` adds the grid cells (the DAG page needs them,
    the DAG list does not)."""
    spec, status = body.get("spec") or {}, body.get("status") or {}
    meta_labels = (body.get("metadata") or {}).get("labels") or {}
    summary = {
        **_meta(body),
        "kind": "DagRun",
        "dag": spec.get("dagName"),
        "runType": spec.get("runType") or "manual",
        "runId": status.get("runId"),
        "state": status.get("state") or "queued",
        "logicalDate": status.get("logicalDate") or spec.get("logicalDate"),
        "dataIntervalStart": status.get("dataIntervalStart"),
        "dataIntervalEnd": status.get("dataIntervalEnd"),
        "queuedAt": status.get("queuedAt"),
        "startDate": status.get("startDate"),
        "endDate": status.get("endDate"),
        "progress": status.get("progress"),
        "message": status.get("message"),
        "dagGeneration": status.get("dagGeneration"),
        "backfill": meta_labels.get(labels.BACKFILL),
        "conf": spec.get("conf") or {},
    }
    if instances:
        summary["tis"] = {
            key: instance_cell(ti) for key, ti in (status.get("taskInstances") or {}).items()
        }
    return summary


def backfill_summary(body: Mapping[str, Any]) -> dict[str, Any]:
    spec, status = body.get("spec") or {}, body.get("status") or {}
    return {**_meta(body), "kind": "Backfill", "spec": dict(spec), "status": dict(status)}


def summarize(kind: str, body: Mapping[str, Any], *, instances: bool = True) -> dict[str, Any]:
    if kind == "dags":
        return dag_summary(body)
    if kind == "dagruns":
        return run_summary(body, instances=instances)
    return backfill_summary(body)
