"""The Backfill controller: plan once with the core, then create (or clear) runs
progressively, at most maxActiveRuns in flight (`core.backfill_progress`). The plan
lives in the Backfill's status in a bounded form with a cursor
(`core.backfill_plan`), so it survives operator restarts; deleting the Backfill
stops it."""

from __future__ import annotations

import asyncio
from datetime import datetime

from kairflow.api import Backfill
from kairflow.api.dagrun import RunType
from kairflow.controller.cache import Body, Key
from kairflow.controller.runtime import Runtime
from kairflow.core import labels
from kairflow.core.backfill import BackfillError
from kairflow.core.backfill_plan import PlanTooLarge, from_status, make_plan
from kairflow.core.backfill_progress import (
    BackfillStep,
    backfill_progress,
    begin,
    clear_request_id,
    existing_states,
    record,
    refuse,
)
from kairflow.core.conditions import set_condition
from kairflow.core.naming import label_value
from kairflow.core.schedule_validation import ScheduleError
from kairflow.core.times import instant, iso

PLURAL = "backfills"


async def sync_backfill(rt: Runtime, key: Key) -> datetime | None:
    body = rt.cache.backfills.get(key)
    if body is None:
        return None
    namespace, name = key
    backfill = Backfill.model_validate(body)
    status = backfill.status.fresh_copy()
    now = rt.clock()
    generation = body["metadata"].get("generation")
    dag_key = (namespace, backfill.spec.dag_name)
    dag = rt.cache.dag(dag_key)
    if dag is None or dag.spec is None:
        reason, status.message = (
            ("DagNotFound", f"DAG {backfill.spec.dag_name!r} not found")
            if dag is None
            else ("InvalidDag", f"DAG {dag.name!r} is invalid: {'; '.join(dag.problems)}")
        )
        set_condition(status.conditions, "Ready", False, reason, status.message, generation, now)
        await rt.write_status(PLURAL, body, status.to_wire())
        return None  # the DAG's first event enqueues its Backfills (handlers.on_dag)
    if status.state != "failed":
        status.message = None  # no longer "DAG ... not found" (the only other one fails)
    runs = rt.cache.runs_of(dag_key)
    # Planned by an operator that kept the dates as a list in the status: the schema
    # has no such list any more (the API server drops it at the next write, the
    # model ignores it), so plan again what is left.
    legacy = status.plan is None and status.state == "running"
    if status.total is None or legacy:
        try:
            # Once per Backfill, and it walks every date of the range (seconds for
            # 20,000 cron dates): off the event loop.
            plan, counts = await asyncio.to_thread(
                make_plan,
                dag.spec,
                backfill.spec.from_date,
                backfill.spec.to_date,
                existing_states(runs, name if legacy else None),
                backfill.spec.reprocess,
                backfill.spec.run_backwards,
            )
        except (BackfillError, ScheduleError) as exc:
            reason = "PlanTooLarge" if isinstance(exc, PlanTooLarge) else "InvalidBackfill"
            refuse(status, str(exc), generation, now, reason)
            rt.event(body, "Warning", reason, str(exc))
            await rt.write_status(PLURAL, body, status.to_wire())
            return None
        begin(status, plan, counts, generation, now, status.created if legacy else 0)
    cursor = status.next_logical_date
    pending = (
        from_status(status.plan).items(instant(cursor))
        if status.plan is not None and cursor is not None
        else iter(())
    )
    progress = backfill_progress(
        backfill.spec.dag_name,
        name,
        str(body["metadata"].get("uid", "")),
        pending,
        runs,
        backfill.spec.max_active_runs or dag.spec.max_active_runs,
        status.succeeded or 0,
        status.failed or 0,
    )
    for step in progress.steps:
        if not step.already_done:
            await _start(rt, body, backfill, step)
    if record(status, progress):
        message = f"{status.succeeded} runs succeeded, {status.failed} failed"
        rt.event(body, "Normal", "BackfillCompleted", message)
    await rt.write_status(PLURAL, body, status.to_wire())
    return None


async def _start(rt: Runtime, body: Body, backfill: Backfill, step: BackfillStep) -> None:
    """Create the run of `step`, or put the clear request on its existing run."""
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    dag = backfill.spec.dag_name
    metadata = {
        "labels": {
            labels.DAG: label_value(dag),
            labels.BACKFILL: label_value(name),
            labels.RUN_TYPE: RunType.BACKFILL.value,
        },
        # The label may be hashed (63 characters); the annotation has the full name.
        "annotations": {labels.BACKFILL: name},
    }
    if step.clear:
        request = {"id": clear_request_id(name, str(body["metadata"].get("uid", ""))), "tasks": []}
        patched = await rt.writer.patch_spec(
            namespace, "dagruns", step.run_name, {"metadata": metadata, "spec": {"clear": request}}
        )
        # In flight from now on, for the next sync's count. The watch event of the
        # patch is an echo now: ask for the run's sync here.
        rt.cache.put_run(patched)
        rt.enqueue_run((namespace, step.run_name))
        return
    item = step.item
    dates = (iso(item.logical_date), iso(item.data_interval.start), iso(item.data_interval.end))
    dag_body = rt.cache.dags[(namespace, dag)]
    # Also when it was there already (409) unbeknown to the cache: its watch event
    # will sync us again.
    await rt.create_run(
        dag_body, step.run_name, RunType.BACKFILL, dates, metadata, backfill.spec.conf
    )
