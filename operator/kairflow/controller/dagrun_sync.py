"""The DagRun controller's sync: gather inputs, call the core, apply, write status.

Every decision is the core's: the run's identity on its first sync
(`run_start`), admission (`run_admission`), free slots (`capacity`), its previous
runs (`run_history`), the pass itself (`planner`, off the event loop: templates
are rendered there), the pods to clean up (`pod_cleanup`) and whom its change
wakes (`wakeups`). This module only reads the cache and the API and writes back.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import cast

from pydantic import ValidationError

from kairflow.api import DagRun, DAGSpec
from kairflow.api.common import DagRunState
from kairflow.api.dagrun import DagRunStatus
from kairflow.api.problems import validation_problems
from kairflow.controller.cache import Body, Key, key_of
from kairflow.controller.planning import Planner, capacity_for, claimed_plan, off_loop
from kairflow.controller.run_pods import create_pods, delete_pods, deletes_of, fill_pod_gaps
from kairflow.controller.runtime import Runtime
from kairflow.core import labels
from kairflow.core.conditions import set_run_condition
from kairflow.core.interventions import apply_requests
from kairflow.core.naming import label_value
from kairflow.core.observations import ObservedRun
from kairflow.core.planner import plan
from kairflow.core.pod_cleanup import CleanupPolicy, pods_to_clean_up
from kairflow.core.run_admission import may_start
from kairflow.core.run_history import previous_run, previous_success
from kairflow.core.run_model import (
    Capacity,
    Plan,
    PlannerSettings,
    RecordEvent,
    RunContext,
)
from kairflow.core.run_start import RunRefused, start_run
from kairflow.core.schedule_validation import load_timezone
from kairflow.core.times import instant, iso
from kairflow.k8s.observe import observe_pod
from kairflow.k8s.writes import Conflict, owner_reference

log = logging.getLogger(__name__)
# Rejected pods are retried at once when their task's retry delay is zero: bound the
# passes one sync makes (the rest is the next sync's).
MAX_PASSES = 5


async def sync_dagrun(rt: Runtime, key: Key) -> datetime | None:
    """Returns when the run must be synced again without an event (None: never)."""
    body = rt.cache.runs.get(key)
    view = rt.cache.run(key)
    if body is None or view is None:
        return None  # deleted: its watch event has told everyone concerned
    if not body["metadata"].get("ownerReferences"):
        body = await _own_by_dag(rt, body, view.dag_name)
    try:
        run = DagRun.model_validate(body)
    except ValidationError as exc:
        await _refuse(rt, body, _status_of(body), "InvalidRun", _invalid(exc), final=True)
        return None
    if run.status.dag_spec is None:
        await _start(rt, body, run, view)
        return None
    plan_result = await _plan_and_apply(rt, key, body, run, view)
    return plan_result.wake_at if plan_result is not None else None


def _status_of(body: Body) -> DagRunStatus:
    """The status of a run whose spec does not validate (a fresh one if it neither)."""
    try:
        return DagRunStatus.model_validate(body.get("status") or {})
    except ValidationError:
        return DagRunStatus()


def _invalid(exc: ValidationError) -> str:
    return "cannot run: " + "; ".join(validation_problems(exc))


async def _start(rt: Runtime, body: Body, run: DagRun, view: ObservedRun) -> None:
    """First sync: snapshot the DAG and fix the run's identity, or say why not."""
    namespace = view.namespace
    now = rt.clock()
    started = start_run(
        rt.cache.dag((namespace, run.spec.dag_name)),
        run.spec.dag_name,
        namespace,
        run.spec.run_type,
        view.requested,
        run.spec.conf,
        view.created_at,
        now,
    )
    status = run.status.model_copy(deep=True)
    if isinstance(started, RunRefused):
        await _refuse(rt, body, status, started.reason, started.message, started.final)
        return
    status.message = None  # no longer "DAG ... not found"
    status.dag_spec = started.spec.to_wire()
    status.dag_generation = started.dag_generation
    status.run_id = started.run_id
    status.logical_date = iso(started.logical_date)
    status.data_interval_start = iso(started.data_interval.start)
    status.data_interval_end = iso(started.data_interval.end)
    if await _write_status(rt, body, status, view) is not None:
        rt.enqueue_run((namespace, view.name))  # the first pass proper


async def _refuse(
    rt: Runtime, body: Body, status: DagRunStatus, reason: str, message: str, final: bool
) -> None:
    if status.message != message:
        rt.event(body, "Warning", reason, message)
    status.message = message
    if final:
        status.state = DagRunState.FAILED
        status.end_date = iso(rt.clock())
    await _write_status(rt, body, status, rt.cache.run(key_of(body)))


def _inputs(
    rt: Runtime, view: ObservedRun, run: DagRun, status: DagRunStatus, spec: DAGSpec
) -> Planner:
    """The planner, with every input but the status and capacity bound."""
    assert status.run_id and status.logical_date
    assert status.data_interval_start and status.data_interval_end
    dag_key = (view.namespace, view.dag_name)
    siblings = rt.cache.runs_of(dag_key)
    context = RunContext(
        namespace=view.namespace,
        dag_name=view.dag_name,
        name=view.name,
        uid=rt.cache.runs[(view.namespace, view.name)]["metadata"].get("uid"),
        run_type=run.spec.run_type.value,
        run_id=status.run_id,
        logical_date=instant(status.logical_date),
        data_interval_start=instant(status.data_interval_start),
        data_interval_end=instant(status.data_interval_end),
        spec=spec,
        conf=run.spec.conf,
        may_start=may_start(view, rt.cache.dag(dag_key), siblings),
    )
    # Its own snapshot's zone: a run reads its siblings' dates as it read its own.
    zone = load_timezone(spec.timezone)
    return functools.partial(
        plan,
        context,
        pods=[observe_pod(p) for p in rt.cache.pods_of((view.namespace, view.name))],
        now=rt.clock(),
        previous=previous_run(view, context.logical_date, siblings, zone),
        previous_success=previous_success(view, context.logical_date, siblings, zone),
        settings=PlannerSettings(rt.settings.default_image, rt.settings.startup_timeout),
    )


async def _plan_and_apply(
    rt: Runtime, key: Key, body: Body, run: DagRun, view: ObservedRun
) -> Plan | None:
    status = run.status.model_copy(deep=True)
    spec = DAGSpec.model_validate(status.dag_spec)
    doomed = apply_requests(status, spec, run.spec.clear, run.spec.mark, rt.clock())
    await fill_pod_gaps(rt, key, status)
    planner = _inputs(rt, view, run, status, spec)
    result, claimed = await claimed_plan(rt, body, view, spec, status, planner)
    events = [a for a in result.actions if isinstance(a, RecordEvent)]
    deletes = deletes_of(result) + doomed
    try:
        rejected = await create_pods(rt, key[0], result)
        for passes in range(1, MAX_PASSES + 1):
            if not rejected:
                break
            # Fold the refusals into the run now: the core fails (or retries) those
            # tries. The last pass starts nothing more: the next sync goes on.
            last = passes == MAX_PASSES
            capacity = Capacity(slots=0) if last else capacity_for(rt, view, spec)
            result = await off_loop(planner, result.status, capacity, rejected)
            claimed = rt.cache.claim(key, {**body, "status": result.status.to_wire()})
            events += [a for a in result.actions if isinstance(a, RecordEvent)]
            deletes += deletes_of(result)
            rejected = await create_pods(rt, key[0], result)
            if last:
                rt.enqueue_run(key)
        written = await _write_status(rt, body, result.status, view)
    except BaseException:
        rt.cache.unclaim(key, claimed, body)
        raise
    if written is None:
        return None
    for event in events:
        rt.event(body, event.type, event.reason, event.message)
    if result.status.state is not None and result.status.state.finished and not view.finished:
        rt.metrics.run_finished(view.dag_name, result.status)
    policy = cast(CleanupPolicy, rt.settings.pod_cleanup)
    deletes += pods_to_clean_up(policy, result.status, planner.keywords["pods"])
    await delete_pods(rt, key[0], deletes)
    return result


async def _write_status(
    rt: Runtime, body: Body, status: DagRunStatus, before: ObservedRun | None
) -> Body | None:
    """PUT the status unless unchanged; None on a conflict (the run is synced again
    from the newer version). Wakes whoever the change matters to."""
    set_run_condition(status, rt.clock())
    wire = status.to_wire()
    if wire == (body.get("status") or {}):
        return body
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    try:
        written = await rt.writer.replace_status(namespace, "dagruns", {**body, "status": wire})
    except Conflict:
        # Someone changed the run since we read it: plan again from the new version
        # (read now: the watch may bring it later than the retry).
        rt.cache.unclaim((namespace, name), rt.cache.runs.get((namespace, name)), body)
        fresh = await rt.writer.get(namespace, "dagruns", name)
        if fresh is not None:
            rt.cache.put_run(fresh)
        rt.enqueue_run((namespace, name))
        return None
    # The watch event of our own write is an echo the cache drops: wake others here.
    rt.cache.put_run(written)
    rt.run_changed(before, rt.cache.run((namespace, name)))
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
