"""The DagRun controller's sync: gather inputs, call the core, apply, write status.

Every decision is the core's: the run's identity on its first sync
(`run_start`), admission (`run_admission`), free slots (`capacity`), its previous
runs (`run_history`), the pass itself (`planner`, off the event loop: templates
are rendered there, see `planning`), the pods to clean up (`pod_cleanup`) and whom
its change wakes (`wakeups`). This module reads the cache and writes back.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from pydantic import ValidationError

from kairflow.api import DagRun, DAGSpec
from kairflow.api.asset import AssetEvent
from kairflow.api.common import DagRunState
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.api.problems import validation_problems
from kairflow.controller.asset_sync import record_events
from kairflow.controller.cache import Body, Key, key_of
from kairflow.controller.dag_versions import run_spec, store_version
from kairflow.controller.deferred_runs import create_triggered_runs, surroundings
from kairflow.controller.planning import PlanInputs, claimed_plan, off_loop
from kairflow.controller.run_pods import create_pods, delete_pods, deletes_of, fill_pod_gaps
from kairflow.controller.runtime import Runtime
from kairflow.controller.sealed_store import (
    asked_of,
    read_asked,
    seals_of,
    unseal_for_requests,
    write_blocks,
)
from kairflow.controller.task_instance_store import fetch_missing_slices, write_run_status
from kairflow.controller.xcom_store import observe_spills, stored_values
from kairflow.core import labels
from kairflow.core.assets import outlet_events
from kairflow.core.conditions import set_run_condition
from kairflow.core.interventions import apply_requests
from kairflow.core.naming import label_value
from kairflow.core.observations import ObservedRun, snapshot_facts
from kairflow.core.pacing import next_pass_from
from kairflow.core.pod_cleanup import CleanupPolicy, pods_to_clean_up, sealed_pods
from kairflow.core.run_history import previous_run, previous_success
from kairflow.core.run_model import ObservedPod, Plan, PlannerSettings, RecordEvent, RunContext
from kairflow.core.run_start import RunRefused, RunStart, identity_refusal, start_run
from kairflow.core.schedule_validation import load_timezone
from kairflow.core.status_size import NOTHING
from kairflow.core.task_instance_slices import layout_of
from kairflow.core.times import instant
from kairflow.k8s.observe import observe_pod
from kairflow.k8s.writes import Conflict, NotFound, Rejected, owner_reference

log = logging.getLogger(__name__)


async def sync_dagrun(rt: Runtime, key: Key) -> datetime | None:
    """Returns when the run must be synced again without an event (None: never)."""
    began = rt.clock()
    lost = await fetch_missing_slices(rt, key)
    body = rt.cache.runs.get(key)
    view = rt.cache.run(key)
    if body is None or view is None:
        return None  # deleted: its watch event has told everyone concerned
    if not body["metadata"].get("uid"):
        return None  # made by us a moment ago: its watch event brings it, and a sync
    unstarted = _unstarted(body)
    if not body["metadata"].get("ownerReferences") and not unstarted:
        body = await _own_by_dag(rt, body, view.dag_name)
    try:
        run = DagRun.model_validate(body)
    except ValidationError as exc:
        if unstarted and not body["metadata"].get("ownerReferences"):
            body = await _own_by_dag(rt, body, view.dag_name)
        message = "cannot run: " + "; ".join(validation_problems(exc))
        await _refuse(rt, body, view, _status_of(body), "InvalidRun", message, final=True)
        return None
    if lost:
        names = ", ".join(lost)
        message = f"task instance slices {names} are gone: what they recorded is lost"
        rt.event(body, "Warning", "TaskInstancesLost", message)
    if unstarted:
        if run.status.state != DagRunState.FAILED:  # a run refused for good stays so
            await _start(rt, body, run, view)
        return None
    refused = identity_refusal(run.status)
    if refused is not None:
        if run.status.state != DagRunState.FAILED:
            status = run.status.fresh_copy()
            await _refuse(rt, body, view, status, refused.reason, refused.message, refused.final)
        return None
    spec = await run_spec(rt, key, run.status)
    if isinstance(spec, str):
        if not (run.status.state and run.status.state.finished):
            await _refuse(
                rt,
                body,
                view,
                run.status.fresh_copy(),
                "DagVersionLost",
                f"cannot go on: {spec}",
                final=True,
            )
        return None
    result = await _plan_and_apply(rt, key, body, run, view, spec)
    if result is None:
        return None
    written = (rt.cache.runs.get(key) or {}).get("status") or {}
    next_pass = next_pass_from(began, rt.clock(), layout_of(written))
    if next_pass is not None:
        rt.pace_run(key, next_pass)
    return result.wake_at


def _unstarted(body: Body) -> bool:
    """Whether the run has no DAG snapshot yet (its first sync, or refused before)."""
    status = body.get("status") or {}
    return status.get("dagSpec") is None and status.get("dagVersion") is None


def _status_of(body: Body) -> DagRunStatus:
    """The status of a run whose spec does not validate (a fresh one if it neither)."""
    try:
        return DagRunStatus.model_validate(body.get("status") or {})
    except ValidationError:
        return DagRunStatus()


async def _start(rt: Runtime, body: Body, run: DagRun, view: ObservedRun) -> None:
    """First sync: snapshot the DAG and fix the run's identity, or say why not. A run
    made by hand gets its owner meanwhile: the two are independent, and a run's start
    is where a fan-out's first pods wait."""
    if body["metadata"].get("ownerReferences"):
        snapshot = await _snapshot(rt, run, view)
    else:
        body, snapshot = await asyncio.gather(
            _own_by_dag(rt, body, view.dag_name), _snapshot(rt, run, view)
        )
    status = run.status.fresh_copy()
    if isinstance(snapshot, RunRefused):
        await _refuse(rt, body, view, status, snapshot.reason, snapshot.message, snapshot.final)
        return
    snapshot.record(status)
    if await _write_status(rt, body, status, view) is not None:
        rt.enqueue_run(key_of(body))  # the first pass proper


async def _snapshot(rt: Runtime, run: DagRun, view: ObservedRun) -> RunStart | RunRefused:
    """The run's identity and DAG snapshot, its version stored (`start_run`)."""
    # Off the event loop: the conf is checked against the params' JSON schemas, whose
    # patterns are the DAG author's regular expressions (unbounded CPU in the worst case).
    started = await asyncio.to_thread(
        start_run,
        rt.cache.dag((view.namespace, view.dag_name)),
        view.dag_name,
        view.namespace,
        run.spec.run_type,
        view.requested,
        run.spec.conf,
        view.created_at,
        rt.clock(),
        run.spec.run_id,
    )
    if isinstance(started, RunRefused):
        return started
    try:
        await store_version(rt, view.namespace, view.dag_name, started.spec, started.dag_version)
    except Rejected as exc:
        return RunRefused("DagVersionRejected", f"cannot store its DAG version: {exc}", False)
    return started


async def _refuse(
    rt: Runtime,
    body: Body,
    view: ObservedRun,
    status: DagRunStatus,
    reason: str,
    message: str,
    final: bool,
) -> None:
    if status.message != message:
        rt.event(body, "Warning", reason, message)
    RunRefused(reason, message, final).record(status, rt.clock())
    await _write_status(rt, body, status, view)


def _inputs(
    rt: Runtime,
    body: Body,
    view: ObservedRun,
    run: DagRun,
    status: DagRunStatus,
    spec: DAGSpec,
    observed: tuple[list[ObservedPod], dict[str, Any]],
) -> PlanInputs:
    """`spec`: the DAG spec the run runs (its version's, `dag_versions.run_spec`);
    `observed`: its pods and big XComs (`xcom_store`)."""
    assert status.run_id and status.logical_date
    assert status.data_interval_start and status.data_interval_end
    siblings = rt.cache.runs_of((view.namespace, view.dag_name))
    context = RunContext(
        namespace=view.namespace,
        dag_name=view.dag_name,
        name=view.name,
        uid=body["metadata"].get("uid"),
        run_type=run.spec.run_type.value,
        run_id=status.run_id,
        logical_date=instant(status.logical_date),
        data_interval_start=instant(status.data_interval_start),
        data_interval_end=instant(status.data_interval_end),
        spec=spec,
        conf=run.spec.conf,
        triggering_asset_events={
            uri: [event.to_wire() for event in events]
            for uri, events in (run.spec.triggering_asset_events or {}).items()
        },
    )
    # Its own snapshot's zone: a run reads its siblings' dates as it read its own.
    zone = load_timezone(spec.timezone)
    catchup = spec.catchup if spec.catchup is not None else rt.settings.catchup_by_default
    return PlanInputs(
        context=context,
        spec=spec,
        facts=rt.cache.snapshots.facts(view.namespace, context.uid, body.get("status") or {})
        or snapshot_facts(spec),
        pods=observed[0],
        stored_xcoms=observed[1],
        now=rt.clock(),
        previous=previous_run(view, context.logical_date, siblings, zone, catchup=catchup),
        previous_success=previous_success(view, context.logical_date, siblings, zone),
        settings=PlannerSettings(
            rt.settings.default_image,
            rt.settings.startup_timeout,
            rt.settings.render_budget,
            rt.record_limits()[0],
            rt.settings.max_map_length,
            rt.settings.map_window,
            # Sealed blocks are TaskInstanceSlices: none without their CRD.
            rt.record_limits()[1] if rt.slices_installed and rt.blocks_accepted else None,
        ),
        surroundings=surroundings(rt, view.namespace, run, spec),
        resolution=rt.cache.snapshots.resolution((view.namespace, status.dag_version))
        if status.dag_version
        else None,
    )


async def _plan_and_apply(
    rt: Runtime, key: Key, body: Body, run: DagRun, view: ObservedRun, spec: DAGSpec
) -> Plan | None:
    # `run` was read from the cached body for this sync alone: its status is ours to
    # change (another copy is 50 ms and tens of MiB for a 10,000-task run, each pass).
    status = run.status
    await unseal_for_requests(rt, key, run.spec, status)
    doomed = apply_requests(status, spec, run.spec.clear, run.spec.mark, rt.clock())
    await fill_pod_gaps(rt, key, status)
    pods = [observe_pod(p) for p in rt.cache.pods_of(view.key)]
    pods = await observe_spills(rt, body, status, pods)
    stored = await stored_values(rt, view.namespace, status, pods)
    inputs = _inputs(rt, body, view, run, status, spec, (pods, stored))
    planned = await _planned(rt, body, view, inputs, status)
    if planned is None:
        return None  # deleted while it was planned
    inputs, (result, claimed) = planned
    events = [a for a in result.actions if isinstance(a, RecordEvent)]
    seals = seals_of(result)  # the records they hold leave this pass' status
    deletes = deletes_of(result) + doomed
    run_id = inputs.context.run_id
    try:
        outlets = _outlets(view, run_id, spec, status, result, inputs.now)
        await create_triggered_runs(rt, key, result)
        rejected = await create_pods(rt, key[0], result)
        if rejected:
            # The API refused pods for good: the core fails (or retries) those tries
            # now, in a pass that starts nothing; retries start in the next sync,
            # through a claim, once the refusal is written.
            first = result.status
            result = await off_loop(inputs, first, NOTHING, True, rejected)
            outlets += _outlets(view, run_id, spec, first, result, inputs.now)
            folded = rt.cache.claim(key, {**body, "status": result.status.to_wire()})
            if folded is None:
                return None  # deleted meanwhile
            claimed = folded
            events += [a for a in result.actions if isinstance(a, RecordEvent)]
            seals += seals_of(result)
            deletes += deletes_of(result)
            rt.enqueue_run(key)
        # Before the success that causes them is written: never lost (see asset_sync).
        await record_events(rt, key[0], outlets)
        await write_blocks(rt, body, seals)
        written = await _write_status(rt, body, result.status, view, claimed)
    except BaseException:
        rt.rollback(key, claimed, body)
        raise
    if written is None:
        return None
    for event in events:
        rt.event(body, event.type, event.reason, event.message)
    if result.status.state is not None and result.status.state.finished and not view.finished:
        rt.metrics.run_finished(view.dag_name, result.status)
    policy = cast(CleanupPolicy, rt.settings.pod_cleanup)
    deletes += pods_to_clean_up(policy, result.status, inputs.pods)
    sealed = sealed_pods(policy, key[1], seals)
    for name in sealed.forget:
        rt.cache.forget_pod(key, name)
    await delete_pods(rt, key[0], [*deletes, *sealed.delete])
    return result


def _outlets(
    view: ObservedRun,
    run_id: str,
    spec: DAGSpec,
    before: DagRunStatus,
    result: Plan,
    now: datetime,
) -> list[tuple[str, AssetEvent]]:
    """The asset events of a pass' successes, those it sealed included."""
    sealed = {
        key: TaskInstanceStatus.model_validate(record)
        for seal in seals_of(result)
        for key, record in seal.records.items()
        if record.get("state") == "success"
    }
    return outlet_events(view.dag_name, run_id, spec, before, result.status, now, sealed)


async def _planned(
    rt: Runtime, body: Body, view: ObservedRun, inputs: PlanInputs, status: DagRunStatus
) -> tuple[PlanInputs, tuple[Plan, Body]] | None:
    """A claimed plan, and its inputs: with the records of sealed instances a plan
    asked for (a task downstream pulls their XComs), planned again until none is
    asked that was not read (a task the core held back for them then starts)."""
    read: set[str] = set()
    while True:
        claim = await claimed_plan(rt, body, view, inputs, status)
        if claim is None:
            return None
        asked = [a for a in asked_of(claim[0]) if not read.issuperset(a.names)]
        if not asked:
            return inputs, claim
        rt.rollback(view.key, claim[1], body)
        read.update(name for ask in asked for name in ask.names)
        records = await read_asked(rt, view.key, status, asked)
        more = await stored_values(rt, view.namespace, status, inputs.pods, records.values())
        inputs = replace(
            inputs,
            sealed_records={**inputs.sealed_records, **records},
            stored_xcoms={**inputs.stored_xcoms, **more},
        )


async def _write_status(
    rt: Runtime,
    body: Body,
    status: DagRunStatus,
    before: ObservedRun,
    claimed: Body | None = None,
) -> Body | None:
    """PUT the status unless unchanged, and wake whoever the change matters to.
    None when it was not written: the run changed since we read it (it is read again
    and synced again), or it is gone."""
    set_run_condition(status, rt.clock())
    wire = status.to_wire()
    key = key_of(body)
    if wire == (body.get("status") or {}):
        rt.cache.end_claim(key)
        return body
    try:
        written = await write_run_status(rt, body, wire)
    except Conflict:
        rt.rollback(key, claimed, body)
        await rt.reread_run(key)
        return None
    except NotFound:
        rt.cache.forget_run(key)
        rt.run_changed(before, None)
        return None
    # The watch event of our own write is an echo the cache drops: wake others here.
    rt.cache.put_run(written)
    rt.run_changed(before, rt.cache.run(key))
    return written


async def _own_by_dag(rt: Runtime, body: Body, dag_name: str) -> Body:
    """Runs created by hand get the DAG as owner too, so deleting a DAG deletes them.
    Done first, and the patched run is what the sync goes on with: its status write
    must not conflict with our own patch."""
    namespace = body["metadata"]["namespace"]
    dag = rt.cache.dags.get((namespace, dag_name))
    if dag is None:
        return body
    patched = await rt.writer.patch_spec(
        namespace,
        "dagruns",
        body["metadata"]["name"],
        {
            "metadata": {
                "ownerReferences": [owner_reference(dag)],
                "labels": {labels.DAG: label_value(dag_name)},
            }
        },
    )
    rt.cache.put_run(patched)
    return patched
