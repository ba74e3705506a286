"""The Backfill controller: plan once with the core, then create (or clear) runs
progressively, at most maxActiveRuns in flight. The plan lives in the Backfill's
status, so it survives operator restarts; deleting the Backfill stops it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kairflow.api import DAG, Backfill
from kairflow.api.backfill import BackfillEntry
from kairflow.api.common import API_VERSION, DagRunState
from kairflow.api.dagrun import RunType
from kairflow.controller.cache import BACKFILL, Body, Key
from kairflow.controller.conditions import set_condition
from kairflow.controller.runtime import Runtime
from kairflow.core.backfill import BackfillAction, BackfillError, plan_backfill
from kairflow.core.naming import dagrun_name, label_value
from kairflow.core.schedule_validation import ScheduleError
from kairflow.k8s.observe import owner_reference, parse_time


def _logical(run: Body) -> datetime | None:
    text = (run.get("status") or {}).get("logicalDate") or (run.get("spec") or {}).get(
        "logicalDate"
    )
    return parse_time(text)  # aware: the core wants aware dates


def _clear_pending(run: Body) -> bool:
    request = (run.get("spec") or {}).get("clear") or {}
    return bool(request) and request.get("id") != (run.get("status") or {}).get("handledClear")


PLURAL = "backfills"


async def sync_backfill(rt: Runtime, key: Key) -> None:
    body = rt.cache.backfills.get(key)
    if body is None:
        return
    namespace, name = key
    backfill = Backfill.model_validate(body)
    status = backfill.status.model_copy(deep=True)
    now = rt.clock()
    generation = body["metadata"].get("generation")
    dag_body = rt.cache.dags.get((namespace, backfill.spec.dag_name))
    if dag_body is None:
        status.message = f"DAG {backfill.spec.dag_name!r} not found"
        set_condition(
            status.conditions, "Ready", False, "DagNotFound", status.message, generation, now
        )
        await rt.write_status(PLURAL, body, status.to_wire())
        return  # the DAG's first event enqueues its Backfills (handlers.on_dag)
    spec = DAG.model_validate(dag_body).spec
    if status.state != "failed":
        status.message = None  # no longer "DAG ... not found" (the only other one fails)
    runs = list(rt.cache.runs_of((namespace, backfill.spec.dag_name)))
    if status.total is None:
        existing = {
            d: DagRunState(r["status"]["state"])
            for r in runs
            if (d := _logical(r)) and (r.get("status") or {}).get("state")
        }
        try:
            plan = plan_backfill(
                spec,
                backfill.spec.from_date,
                backfill.spec.to_date,
                existing,
                backfill.spec.reprocess,
                backfill.spec.run_backwards,
            )
        except (BackfillError, ScheduleError) as exc:
            status.state, status.message, status.total = "failed", str(exc), 0
            set_condition(
                status.conditions, "Ready", False, "InvalidBackfill", str(exc), generation, now
            )
            rt.event(body, "Warning", "InvalidBackfill", str(exc))
            await rt.write_status(PLURAL, body, status.to_wire())
            return
        status.total, status.created, status.state = len(plan), 0, "running"
        status.pending = [
            BackfillEntry(
                logical_date=i.logical_date.isoformat(),
                data_interval_start=i.data_interval.start.isoformat(),
                data_interval_end=i.data_interval.end.isoformat(),
                action=i.action.value,
            )
            for i in plan
        ]
        set_condition(
            status.conditions,
            "Ready",
            True,
            "Planned",
            f"{len(plan)} runs to create or clear",
            generation,
            now,
        )
    label = label_value(name)
    mine = [r for r in runs if (r["metadata"].get("labels") or {}).get(BACKFILL) == label]
    states = [(r.get("status") or {}).get("state") for r in mine]
    # A cleared run is in flight from the request on, before its status says so.
    in_flight = sum(
        1
        for r, s in zip(mine, states, strict=True)
        if s not in ("success", "failed") or _clear_pending(r)
    )
    limit = backfill.spec.max_active_runs or spec.max_active_runs
    while status.pending and in_flight < limit:
        entry = status.pending.pop(0)
        started = await _start(rt, body, backfill, entry, runs)
        status.created = (status.created or 0) + 1
        if started:
            in_flight += 1
    # Never backwards: history cleanup may delete finished backfill runs.
    status.succeeded = max(status.succeeded or 0, states.count("success"))
    status.failed = max(status.failed or 0, states.count("failed"))
    done = (status.succeeded or 0) + (status.failed or 0)
    status.progress = f"{min(done, status.total or 0)}/{status.total}"
    if not status.pending and in_flight == 0 and status.state == "running":
        status.state = "completed"
        rt.event(
            body,
            "Normal",
            "BackfillCompleted",
            f"{status.succeeded} runs succeeded, {status.failed} failed",
        )
    await rt.write_status(PLURAL, body, status.to_wire())


async def _start(
    rt: Runtime, body: Body, backfill: Backfill, entry: BackfillEntry, runs: list[Body]
) -> bool:
    """Create or clear the run of `entry`. False when that was done already: by an
    operator that died before its status write took `entry` off `pending`. That run
    is no new one in flight (it is counted among the Backfill's runs if it still is),
    and when it has finished, nothing else would ever sync this Backfill again."""
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    dag = backfill.spec.dag_name
    logical = datetime.fromisoformat(entry.logical_date)
    labels = {
        "kairflow.io/dag": label_value(dag),
        BACKFILL: label_value(name),
        "kairflow.io/run-type": RunType.BACKFILL.value,
    }
    metadata = {"labels": labels, "annotations": {BACKFILL: name}}
    if entry.action == BackfillAction.CLEAR.value:
        target = next((r for r in runs if _logical(r) == logical), None)
        if target is not None:
            request = {"id": f"backfill-{name}-{body['metadata'].get('uid', '')[:8]}", "tasks": []}
            if ((target.get("spec") or {}).get("clear") or {}).get("id") == request["id"]:
                return False
            await rt.writer.patch_spec(
                namespace,
                "dagruns",
                target["metadata"]["name"],
                {"metadata": metadata, "spec": {"clear": request}},
            )
            return True
    run_name = dagrun_name(dag, RunType.BACKFILL.value, logical)
    if any(r["metadata"]["name"] == run_name for r in runs):
        return False
    dag_body = rt.cache.dags[(namespace, dag)]
    run: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "DagRun",
        "metadata": {
            "name": run_name,
            **metadata,
            "ownerReferences": [owner_reference(dag_body)],
        },
        "spec": {
            "dagName": dag,
            "runType": RunType.BACKFILL.value,
            "logicalDate": entry.logical_date,
            "dataIntervalStart": entry.data_interval_start,
            "dataIntervalEnd": entry.data_interval_end,
            "conf": backfill.spec.conf,
        },
    }
    await rt.writer.create(namespace, "dagruns", run)
    # Counted in flight at once (the watch event for it comes later). Also when it was
    # there already (409) unbeknown to the cache: its watch event will sync us again.
    rt.cache.put_run(
        {**run, "metadata": {**run["metadata"], "namespace": namespace, "resourceVersion": "0"}}
    )
    return True
