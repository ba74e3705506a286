"""The DAG controller's sync: validate, create due DagRuns, report status, keep history.

Like the CronJob controller: it computes the runs that should exist from the
timetable, the runs it sees and `now`, creates them under deterministic names (an
existing name means the run was already created), and sleeps until the next
run_after: no polling.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from kairflow.api import DAG, DAGSpec
from kairflow.api.common import API_VERSION
from kairflow.api.dag import DAGStatus, NextRun, RunSummary
from kairflow.api.dagrun import RunType
from kairflow.controller.cache import Body, Key
from kairflow.controller.conditions import condition, set_condition
from kairflow.controller.runtime import Runtime
from kairflow.core.naming import dagrun_name, label_value
from kairflow.core.timetable import (
    DagRunInfo,
    DataInterval,
    due_runs,
    next_run,
    restriction_for,
    timetable_for,
)
from kairflow.core.validation import validate_dag
from kairflow.k8s.observe import instant, owner_reference

log = logging.getLogger(__name__)
FINISHED = ("success", "failed")
# Runs whose interval the scheduler's bookmark follows (Airflow counts backfills too).
AUTOMATED = (RunType.SCHEDULED.value, RunType.BACKFILL.value)

PLURAL = "dags"


async def sync_dag(rt: Runtime, key: Key) -> None:
    body = rt.cache.dags.get(key)
    if body is None:
        return
    now = rt.clock()
    status = DAGStatus.model_validate(body.get("status") or {})
    generation = body["metadata"].get("generation")
    spec, problems = _validate(body)
    runs = list(rt.cache.runs_of(key))
    if spec is None or problems:
        message = "; ".join(problems)
        if set_condition(status.conditions, "Ready", False, "InvalidDag", message, generation, now):
            rt.event(body, "Warning", "InvalidDag", message)
        status.next_run = None
        status.observed_generation = generation
        await rt.write_status(PLURAL, body, status.to_wire())
        return
    timetable = timetable_for(spec)
    restriction = restriction_for(spec)
    was = condition(status.conditions, "Ready")
    set_condition(
        status.conditions,
        "Ready",
        True,
        "Scheduled" if spec.schedule else "Manual",
        f"valid; schedule: {timetable.description}",
        generation,
        now,
    )
    if was is not None and was.status != "True":
        rt.event(body, "Normal", "DagReady", "the DAG is valid again")
    last = _last_automated(runs, status)
    active = sum(1 for r in runs if _state(r) not in FINISHED)
    if not spec.paused:
        budget = spec.max_active_runs - active
        due = due_runs(timetable, restriction, last=last, now=now, limit=max(0, budget))
        taken = {
            instant(r["spec"]["logicalDate"])
            for r in runs
            if (r.get("spec") or {}).get("logicalDate")
        }
        for info in due:
            last = info.data_interval
            if info.logical_date in taken:
                continue  # like Airflow: a date that already has a run (e.g. a backfill)
            await _create_run(rt, body, spec, info)
            active += 1
    if last is not None:
        status.last_automated_run = NextRun(
            data_interval_start=last.start.isoformat(), data_interval_end=last.end.isoformat()
        )
    upcoming = next_run(timetable, restriction, last=last, now=now)
    # Paused: show the run unpausing would create first (it may be overdue).
    overdue = due_runs(timetable, restriction, last=last, now=now, limit=1) if spec.paused else []
    status.next_run = _next(overdue[0] if overdue else upcoming)
    status.schedule_description = timetable.description
    status.active_runs = active
    status.last_run = _last_run(runs)
    status.observed_generation = generation
    await rt.write_status(PLURAL, body, status.to_wire())
    await _cleanup_history(rt, key, runs, now)
    if upcoming is not None and not spec.paused:
        rt.wake_at(rt.dag_queue, key, upcoming.run_after)


def _validate(body: Body) -> tuple[DAGSpec | None, list[str]]:
    try:
        dag = DAG.model_validate(body)
    except ValidationError as exc:
        return None, [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return dag.spec, validate_dag(dag.spec)


def _state(run: Body) -> str | None:
    state = (run.get("status") or {}).get("state")
    return str(state) if state else None


def _last_automated(runs: list[Body], status: DAGStatus) -> DataInterval | None:
    """The newest scheduled run's interval (or the bookmark, if its run was deleted)."""
    best: DataInterval | None = None
    for run in runs:
        spec = run.get("spec") or {}
        if spec.get("runType") not in AUTOMATED or not spec.get("dataIntervalEnd"):
            continue
        interval = DataInterval(
            instant(spec["dataIntervalStart"]), instant(spec["dataIntervalEnd"])
        )
        if best is None or interval.end > best.end:
            best = interval
    mark = status.last_automated_run
    if mark and mark.data_interval_start and mark.data_interval_end:
        bookmark = DataInterval(
            datetime.fromisoformat(mark.data_interval_start),
            datetime.fromisoformat(mark.data_interval_end),
        )
        if best is None or bookmark.end > best.end:
            best = bookmark
    return best


async def _create_run(rt: Runtime, dag: Body, spec: DAGSpec, info: DagRunInfo) -> None:
    namespace, dag_name = dag["metadata"]["namespace"], dag["metadata"]["name"]
    name = dagrun_name(dag_name, RunType.SCHEDULED.value, info.logical_date)
    body: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "DagRun",
        "metadata": {
            "name": name,
            "labels": {
                "kairflow.io/dag": label_value(dag_name),
                "kairflow.io/run-type": RunType.SCHEDULED.value,
            },
            "ownerReferences": [owner_reference(dag)],
        },
        "spec": {
            "dagName": dag_name,
            "runType": RunType.SCHEDULED.value,
            "logicalDate": info.logical_date.isoformat(),
            "dataIntervalStart": info.data_interval.start.isoformat(),
            "dataIntervalEnd": info.data_interval.end.isoformat(),
        },
    }
    if await rt.writer.create(namespace, "dagruns", body):
        rt.event(dag, "Normal", "RunCreated", f"created run {name} for {info.logical_date}")
    # The run's own sync snapshots the DAG; cache it now so counts stay right.
    rt.cache.put_run(
        {**body, "metadata": {**body["metadata"], "namespace": namespace, "resourceVersion": "0"}}
    )
    rt.enqueue_run((namespace, name))


def _next(info: DagRunInfo | None) -> NextRun | None:
    if info is None:
        return None
    return NextRun(
        logical_date=info.logical_date.isoformat(),
        data_interval_start=info.data_interval.start.isoformat(),
        data_interval_end=info.data_interval.end.isoformat(),
        run_after=info.run_after.isoformat(),
    )


def _last_run(runs: list[Body]) -> RunSummary | None:
    dated = [r for r in runs if (r.get("status") or {}).get("logicalDate")]
    if not dated:
        return None
    newest = max(dated, key=lambda r: datetime.fromisoformat(r["status"]["logicalDate"]))
    return RunSummary(
        name=newest["metadata"]["name"],
        logical_date=newest["status"]["logicalDate"],
        state=_state(newest),
    )


async def _cleanup_history(rt: Runtime, key: Key, runs: list[Body], now: datetime) -> None:
    """Keep the newest N successful and N failed runs (and none older than the TTL)."""
    settings = rt.settings
    finished = sorted(
        (r for r in runs if _state(r) in FINISHED and (r.get("status") or {}).get("endDate")),
        # Newest first; runs finished in the same instant: the later interval first.
        key=lambda r: (r["status"]["endDate"], r["status"].get("logicalDate") or ""),
        reverse=True,
    )
    keep = {"success": settings.successful_runs_history, "failed": settings.failed_runs_history}
    seen = {"success": 0, "failed": 0}
    oldest_kept: datetime | None = None
    for run in finished:
        state = _state(run) or "failed"
        seen[state] += 1
        ended = datetime.fromisoformat(run["status"]["endDate"])
        expired = settings.run_ttl is not None and now - ended > settings.run_ttl
        if seen[state] > keep[state] or expired:
            await rt.writer.delete(key[0], "dagruns", run["metadata"]["name"])
        elif oldest_kept is None or ended < oldest_kept:
            oldest_kept = ended
    if settings.run_ttl is not None and oldest_kept is not None:
        rt.wake_at(rt.dag_queue, key, oldest_kept + settings.run_ttl + timedelta(seconds=1))
