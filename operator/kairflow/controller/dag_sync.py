"""The DAG controller's sync: report the DAG's validity, create its due runs, keep
its history; every decision is the core's (`dag_scheduling`, `run_history`).

It returns when to look again: the next run_after, or when a kept run outlives
the TTL. No polling.
"""

from __future__ import annotations

import logging
from datetime import datetime

from kairflow.api.dag import DAGStatus, NextRun, RunSummary
from kairflow.api.dagrun import RunType
from kairflow.controller.asset_sync import apply_consumer, plan_consumer
from kairflow.controller.cache import Body, Key
from kairflow.controller.dag_versions import VersionOfDeletedDag, prune_versions, store_version
from kairflow.controller.runtime import Runtime
from kairflow.core.assets import schedule_description
from kairflow.core.conditions import condition, set_condition
from kairflow.core.dag_defaults import pause_at_creation
from kairflow.core.dag_scheduling import plan_schedule
from kairflow.core.naming import dagrun_name
from kairflow.core.observations import ObservedDag
from kairflow.core.run_history import HistoryLimits, expired_runs, newest_run, status_bookmark
from kairflow.core.run_info import DagRunInfo
from kairflow.core.times import iso
from kairflow.k8s.writes import Rejected

log = logging.getLogger(__name__)
PLURAL = "dags"


async def sync_dag(rt: Runtime, key: Key) -> datetime | None:
    body = rt.cache.dags.get(key)
    dag = rt.cache.dag(key)
    if body is None or dag is None:
        return None
    now = rt.clock()
    status = DAGStatus.model_validate(body.get("status") or {})
    if pause_at_creation(dag, status.observed_generation is not None, rt.cache.dag_defaults):
        await _pause_at_creation(rt, key, body, status)
        return None  # the patched DAG (cached now, paused) is synced again
    seen = status.observed_generation == dag.generation
    status.observed_generation = dag.generation
    if not dag.valid:
        message = "; ".join(dag.problems)
        if set_condition(
            status.conditions, "Ready", False, "InvalidDag", message, dag.generation, now
        ):
            rt.event(body, "Warning", "InvalidDag", message)
        status.next_run = None
        await rt.write_status(PLURAL, body, status.to_wire())
        return None
    if not seen:
        await _store_version(rt, key, dag)
    runs = rt.cache.runs_of(key)
    schedule = plan_schedule(dag, runs, status_bookmark(status), now)
    was = condition(status.conditions, "Ready")
    set_condition(
        status.conditions,
        "Ready",
        True,
        "Scheduled" if dag.spec and (dag.spec.schedule or dag.spec.assets) else "Manual",
        f"valid; schedule: {schedule_description(dag.spec, schedule.description)}",
        dag.generation,
        now,
    )
    if was is not None and was.status != "True":
        rt.event(body, "Normal", "DagReady", "the DAG is valid again")
    for info in schedule.create:
        await _create_run(rt, body, dag, info)
    assets = plan_consumer(rt, key, body, dag, status)
    if assets is not None:
        await apply_consumer(rt, body, assets, status)
    if schedule.last_automated is not None:
        status.last_automated_run = NextRun(
            data_interval_start=iso(schedule.last_automated.start),
            data_interval_end=iso(schedule.last_automated.end),
        )
    status.next_run = _next(schedule.next_run)
    status.schedule_description = schedule_description(dag.spec, schedule.description)
    status.active_runs = schedule.active_runs
    newest = newest_run(rt.cache.runs_of(key))
    status.last_run = (
        RunSummary(
            name=newest.name,
            logical_date=iso(newest.logical_date),
            state=newest.state.value if newest.state else None,
        )
        if newest is not None and newest.logical_date is not None
        else None
    )
    await rt.write_status(PLURAL, body, status.to_wire())
    settings = rt.settings
    limits = HistoryLimits(
        settings.successful_runs_history, settings.failed_runs_history, settings.run_ttl
    )
    expiry = expired_runs(rt.cache.runs_of(key), limits, now)
    for name in expiry.delete:
        await rt.writer.delete(key[0], "dagruns", name)
    await prune_versions(rt, key)
    wakes = [t for t in (schedule.wake_at, expiry.wake_at) if t is not None]
    return min(wakes) if wakes else None


async def _pause_at_creation(rt: Runtime, key: Key, body: Body, status: DAGStatus) -> None:
    """Pause a DAG never synced before: the spec first, then the status that marks it
    seen (were the status write lost, the next sync finds it paused already and
    leaves it be)."""
    patched = await rt.writer.patch_spec(key[0], PLURAL, key[1], {"spec": {"paused": True}})
    rt.cache.put_dag(patched)
    message = "paused at creation: unpause it to schedule runs (kairflow dags unpause)"
    rt.event(body, "Normal", "PausedAtCreation", message)
    status.paused_at_creation = True
    status.observed_generation = patched["metadata"].get("generation")
    await rt.write_status(PLURAL, patched, status.to_wire())
    rt.enqueue_dag(key)


async def _store_version(rt: Runtime, key: Key, dag: ObservedDag) -> None:
    """Store the version of a DAG spec seen for the first time before its status says
    it was seen: the first run started on it finds it stored (a run's start is where
    its first pods wait). A version the API refuses is reported by the run that needs
    it (DagVersionRejected), as is one of a DAG deleted and made again."""
    if dag.spec is None or dag.version is None:
        return
    try:
        await store_version(rt, key[0], key[1], dag.spec, dag.version)
        rt.cache.saw_version(key, dag.version)
    except (Rejected, VersionOfDeletedDag) as exc:
        log.info("DAG %s/%s: its version is stored when a run needs it: %s", *key, exc)


async def _create_run(rt: Runtime, body: Body, dag: ObservedDag, info: DagRunInfo) -> None:
    name = dagrun_name(dag.name, RunType.SCHEDULED.value, info.logical_date)
    dates = (iso(info.logical_date), iso(info.data_interval.start), iso(info.data_interval.end))
    if await rt.create_run(body, name, RunType.SCHEDULED, dates, {}):
        rt.event(body, "Normal", "RunCreated", f"created run {name} for {iso(info.logical_date)}")


def _next(info: DagRunInfo | None) -> NextRun | None:
    if info is None:
        return None
    return NextRun(
        logical_date=iso(info.logical_date),
        data_interval_start=iso(info.data_interval.start),
        data_interval_end=iso(info.data_interval.end),
        run_after=iso(info.run_after),
    )
