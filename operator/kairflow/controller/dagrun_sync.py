"""The DagRun controller's sync: gather inputs, call the planner, apply, write status."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from kubernetes_asyncio.client import ApiException
from pydantic import ValidationError

from kairflow.api import DAG, DagRun, DAGSpec
from kairflow.api.common import DagRunState, TaskInstanceState
from kairflow.api.dagrun import DagRunStatus, RunType
from kairflow.controller.cache import BACKFILL, Body, Key, backfill_of
from kairflow.controller.conditions import set_run_condition
from kairflow.controller.runtime import Runtime
from kairflow.core.cron import to_utc
from kairflow.core.graph import build_graph
from kairflow.core.interventions import apply_clear, apply_mark
from kairflow.core.naming import label_value, run_id
from kairflow.core.params import conf_problems
from kairflow.core.planner import plan
from kairflow.core.run_model import (
    Capacity,
    CreatePod,
    DeletePod,
    PlannerSettings,
    PreviousRun,
    PreviousSuccess,
    RecordEvent,
    RunContext,
)
from kairflow.core.schedule_validation import load_timezone
from kairflow.core.task_settings import DEFAULT_POOL, TaskPolicy, effective_task
from kairflow.core.timetable import timetable_for
from kairflow.core.validation import validate_dag
from kairflow.k8s.observe import instant, observe_pod, owner_reference, parse_time
from kairflow.k8s.writes import Conflict

log = logging.getLogger(__name__)
TI = TaskInstanceState
ACTIVE = ("queued", "running")


async def sync_dagrun(rt: Runtime, key: Key) -> None:
    namespace, name = key
    body = await rt.writer.get(namespace, "dagruns", name)
    if body is None:
        rt.cache.forget_run(key)
        rt.waiting_for_slots.discard(key)
        return
    rt.cache.put_run(body)
    run = DagRun.model_validate(body)
    status = run.status.model_copy(deep=True)
    now = rt.clock()
    if status.dag_spec is None and not _prepare(rt, body, run, status, now):
        if await _write_status(rt, body, status) is not None:
            _after_write(rt, key, run, run.status, status)
        return
    assert status.dag_spec is not None
    spec = DAGSpec.model_validate(status.dag_spec)
    doomed = _interventions(run, status, spec, now)
    context = _context(rt, body, run, status, spec)
    await _fill_pod_gaps(rt, key, status)
    pods = [observe_pod(p) for p in rt.cache.pods_of(key)]
    result = plan(
        context,
        status,
        pods,
        now,
        previous=_previous(rt, body, context),
        capacity=_capacity(rt, key, spec),
        settings=PlannerSettings(rt.settings.default_image, rt.settings.startup_timeout),
        previous_success=_previous_success(rt, body, context),
    )
    # Claim what this pass plans before the first await: syncs of other runs then see
    # its slots and its place among maxActiveRuns, and cannot give them away twice.
    rt.cache.runs[key] = {**body, "status": result.status.to_wire()}
    try:
        rejected = await _apply(rt, namespace, result.actions, doomed, result.status)
        written = await _write_status(rt, body, result.status)
    except BaseException:
        rt.cache.runs[key] = body
        raise
    if written is None:
        rt.cache.runs[key] = body
        return
    for action in result.actions:
        if isinstance(action, RecordEvent):
            rt.event(body, action.type, action.reason, action.message)
    _after_write(rt, key, run, run.status, result.status)
    await _cleanup_pods(rt, key, result.status)
    if result.wake_at is not None:
        rt.wake_at(rt.run_queue, key, result.wake_at)
    if rejected:
        rt.enqueue_run(key)  # settle the failed tries (downstream, run state) next pass
    if not body["metadata"].get("ownerReferences"):
        await _own_by_dag(rt, body, run.spec.dag_name)


async def _own_by_dag(rt: Runtime, body: Body, dag_name: str) -> None:
    """Runs created by hand get the DAG as owner too, so deleting a DAG deletes them."""
    namespace = body["metadata"]["namespace"]
    dag = rt.cache.dags.get((namespace, dag_name))
    if dag is None:
        return
    owner = owner_reference(dag)
    labels = {"kairflow.io/dag": label_value(dag_name)}
    await rt.writer.patch_spec(
        namespace,
        "dagruns",
        body["metadata"]["name"],
        {"metadata": {"ownerReferences": [owner], "labels": labels}},
    )


async def _fill_pod_gaps(rt: Runtime, key: Key, status: DagRunStatus) -> None:
    """Read the pods the status names but the cache lacks. After a restart the pod
    watch may list later than the DagRun watch; a pod missing from the cache is not
    a pod deleted, so ask the API before the planner concludes anything."""
    cached = {p["metadata"]["name"] for p in rt.cache.pods_of(key)}
    wanted = [
        ti.pod
        for ti in status.task_instances.values()
        if ti.state in (TI.QUEUED, TI.RUNNING) and ti.pod and ti.pod not in cached
    ]
    for name in wanted:
        pod = await rt.writer.get_pod(key[0], name)
        if pod is not None:
            rt.cache.put_pod(key, pod)


def _prepare(rt: Runtime, body: Body, run: DagRun, status: DagRunStatus, now: datetime) -> bool:
    """First sync of a run: snapshot the DAG and complete a manual run. False when the
    run cannot start (the status then says why)."""
    namespace = body["metadata"]["namespace"]
    dag_body = rt.cache.dags.get((namespace, run.spec.dag_name))
    if dag_body is None:
        message = f"DAG {run.spec.dag_name!r} not found in namespace {namespace}"
        if status.message != message:
            rt.event(body, "Warning", "DagNotFound", message)
        status.message = message
        return False
    try:
        dag = DAG.model_validate(dag_body)
        problems = validate_dag(dag.spec)
    except ValidationError as exc:
        problems = [str(exc)]
    spec = dag.spec if not problems else None
    if spec is not None:
        problems = conf_problems(spec.params, run.spec.conf)
    if spec is None or problems:
        status.state = DagRunState.FAILED
        status.message = "cannot run: " + "; ".join(problems)
        status.end_date = now.isoformat()
        rt.event(body, "Warning", "InvalidRun", status.message)
        return False
    # Naive dates are wall times in the DAG's zone, resolved exactly as the core does
    # (ambiguous and missing times included).
    zone = load_timezone(spec.timezone)
    logical = run.spec.logical_date or parse_time(body["metadata"].get("creationTimestamp")) or now
    logical = to_utc(logical, zone)
    start, end = run.spec.data_interval_start, run.spec.data_interval_end
    if start is None or end is None:
        interval = timetable_for(spec).infer_manual_data_interval(run_after=logical)
        start, end = interval.start, interval.end
    start, end = to_utc(start, zone), to_utc(end, zone)
    status.dag_spec = spec.to_wire()
    status.dag_generation = dag_body["metadata"].get("generation")
    status.run_id = run_id(run.spec.run_type.value, logical)
    status.logical_date = logical.isoformat()
    status.data_interval_start = start.isoformat()
    status.data_interval_end = end.isoformat()
    return True


def _interventions(run: DagRun, status: DagRunStatus, spec: DAGSpec, now: datetime) -> list[str]:
    doomed: list[str] = []
    clear, mark = run.spec.clear, run.spec.mark
    if (clear and clear.id != status.handled_clear) or (mark and mark.id != status.handled_mark):
        graph = build_graph(spec)
        if clear and clear.id != status.handled_clear:
            retries = {
                n: TaskPolicy.of(effective_task(spec, t)).retries for n, t in graph.tasks.items()
            }
            doomed += apply_clear(status, graph, clear, retries)
        if mark and mark.id != status.handled_mark:
            doomed += apply_mark(status, graph, mark, now)
    return doomed


def _context(
    rt: Runtime, body: Body, run: DagRun, status: DagRunStatus, spec: DAGSpec
) -> RunContext:
    namespace = body["metadata"]["namespace"]
    assert status.logical_date and status.data_interval_start and status.data_interval_end
    return RunContext(
        namespace=namespace,
        dag_name=run.spec.dag_name,
        name=body["metadata"]["name"],
        uid=body["metadata"].get("uid"),
        run_type=run.spec.run_type.value,
        run_id=status.run_id
        or run_id(run.spec.run_type.value, datetime.fromisoformat(status.logical_date)),
        logical_date=datetime.fromisoformat(status.logical_date),
        data_interval_start=datetime.fromisoformat(status.data_interval_start),
        data_interval_end=datetime.fromisoformat(status.data_interval_end),
        spec=spec,
        conf=run.spec.conf,
        may_start=_may_start(rt, body, run, status.logical_date),
    )


def _logical(body: Body) -> str:
    """A run's logical date for ordering: from its status, else its spec, else when it
    was created (a run not synced yet has no status)."""
    return str(
        (body.get("status") or {}).get("logicalDate")
        or (body.get("spec") or {}).get("logicalDate")
        or body["metadata"].get("creationTimestamp")
        or ""
    )


def _sibling_runs(rt: Runtime, body: Body, dag: str) -> list[Body]:
    namespace = body["metadata"]["namespace"]
    return [
        b
        for b in rt.cache.runs_of((namespace, dag))
        if b["metadata"]["name"] != body["metadata"]["name"]
    ]


def _may_start(rt: Runtime, body: Body, run: DagRun, mine_logical: str | None) -> bool:
    """Queued runs start oldest first while the DAG is unpaused and below maxActiveRuns.
    Backfill runs are an explicit request: like Airflow's backfill they run on a paused
    DAG too, metered by their Backfill's own maxActiveRuns."""
    namespace = body["metadata"]["namespace"]
    dag = rt.cache.dags.get((namespace, run.spec.dag_name))
    if dag is None:
        return False
    labels = body["metadata"].get("labels") or {}
    if run.spec.run_type == RunType.BACKFILL or BACKFILL in labels:
        return True
    if dag["spec"].get("paused"):
        return False
    limit = int(dag["spec"].get("maxActiveRuns") or 16)
    others = _sibling_runs(rt, body, run.spec.dag_name)
    running = sum(1 for b in others if (b.get("status") or {}).get("state") == "running")
    mine = (instant(mine_logical or _logical(body)), body["metadata"]["name"])
    # Runs not synced yet (no state) wait in the same queue as queued ones.
    older_queued = sum(
        1
        for b in others
        if (b.get("status") or {}).get("state") in (None, "queued")
        and (instant(_logical(b)), b["metadata"]["name"]) < mine
    )
    return running + older_queued < limit


def _previous(rt: Runtime, body: Body, context: RunContext) -> PreviousRun | None:
    before = [
        b
        for b in _sibling_runs(rt, body, context.dag_name)
        if _logical(b) and instant(_logical(b)) < context.logical_date
    ]
    if not before:
        return None
    prev = max(before, key=lambda b: instant(_logical(b)))
    status = prev.get("status") or {}
    tis = status.get("taskInstances") or {}
    finished = status.get("state") in ("success", "failed")
    return PreviousRun({k: TI(v.get("state", "none")) for k, v in tis.items()}, finished)


def _previous_success(rt: Runtime, body: Body, context: RunContext) -> PreviousSuccess | None:
    best: PreviousSuccess | None = None
    for other in _sibling_runs(rt, body, context.dag_name):
        st = other.get("status") or {}
        if st.get("state") != "success" or not st.get("dataIntervalStart"):
            continue
        logical = datetime.fromisoformat(st["logicalDate"])
        if logical >= context.logical_date:
            continue
        candidate = PreviousSuccess(
            datetime.fromisoformat(st["dataIntervalStart"]),
            datetime.fromisoformat(st["dataIntervalEnd"]),
            parse_time(st.get("startDate")),
        )
        if best is None or candidate.data_interval_start > best.data_interval_start:
            best = candidate
    return best


def _pool_of(snapshot: dict[str, Any], task: str) -> tuple[str, int]:
    defaults = snapshot.get("defaults") or {}
    for item in snapshot.get("tasks") or []:
        if item.get("name") == task:
            pool = item.get("pool") or defaults.get("pool") or DEFAULT_POOL
            return pool, int(item.get("poolSlots") or defaults.get("poolSlots") or 1)
    return DEFAULT_POOL, 1


def _capacity(rt: Runtime, key: Key, spec: DAGSpec) -> Capacity:
    """Slots left by every other running run: parallelism, the DAG's maxActiveTasks,
    and pools."""
    dag = None
    if (own := rt.cache.runs.get(key)) is not None:
        dag = (own.get("spec") or {}).get("dagName")
    total = same_dag = 0
    pool_used: dict[str, int] = defaultdict(int)
    for other_key, other in rt.cache.runs.items():
        st = other.get("status") or {}
        if other_key == key or st.get("state") != "running":
            continue
        snapshot = st.get("dagSpec") or {}
        for ti_key, ti in (st.get("taskInstances") or {}).items():
            if ti.get("state") not in ACTIVE:
                continue
            total += 1
            if other_key[0] == key[0] and (other.get("spec") or {}).get("dagName") == dag:
                same_dag += 1
            pool, slots = _pool_of(snapshot, ti_key.split("[", 1)[0])
            pool_used[pool] += slots
    slots = min(rt.settings.parallelism - total, spec.max_active_tasks - same_dag)
    pools = {name: size - pool_used[name] for name, size in rt.settings.pool_slots().items()}
    return Capacity(slots=max(0, slots), pools=pools)


async def _apply(
    rt: Runtime, namespace: str, actions: tuple[Any, ...], doomed: list[str], status: DagRunStatus
) -> bool:
    """Create and delete pods; True when the API rejected a pod for good."""
    creates = [a for a in actions if isinstance(a, CreatePod)]
    rejected = False
    deletes = [a.name for a in actions if isinstance(a, DeletePod)] + doomed
    results = await asyncio.gather(
        *(rt.writer.create_pod(namespace, a.manifest) for a in creates), return_exceptions=True
    )
    for action, result in zip(creates, results, strict=True):
        if isinstance(result, BaseException):
            if not _rejected_for_good(result):
                raise result  # transient: the whole sync is retried with backoff
            # The API will never accept this pod (invalid field, forbidden account):
            # fail the try with its message instead of retrying the sync forever.
            ti = status.task_instances[action.key]
            ti.state = TI.FAILED
            ti.end_date = rt.clock().isoformat()
            ti.message = f"pod rejected by the API: {_api_message(result)}"
            rejected = True
    await asyncio.gather(*(rt.writer.delete_pod(namespace, n) for n in deletes))
    now = rt.clock()
    for action in creates:
        ready = status.task_instances[action.key].ready_at
        if ready:
            rt.metrics.scheduling_delay.observe(
                max(0.0, (now - datetime.fromisoformat(ready)).total_seconds())
            )
    return rejected


def _rejected_for_good(exc: BaseException) -> bool:
    if not isinstance(exc, ApiException):
        return False
    if exc.status in (400, 422):
        return True
    return exc.status == 403 and "exceeded quota" not in str(exc.body or "")


def _api_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    try:
        return str(json.loads(body)["message"]) if body else str(exc)
    except (ValueError, KeyError, TypeError):
        return str(body or exc)


async def _write_status(rt: Runtime, body: Body, status: DagRunStatus) -> Body | None:
    set_run_condition(status, rt.clock())
    wire = status.to_wire()
    if wire == (body.get("status") or {}):
        return body
    updated = {**body, "status": wire}
    try:
        written = await rt.writer.replace_status(body["metadata"]["namespace"], "dagruns", updated)
    except Conflict:
        # Someone changed the run since we read it: plan again from the new version.
        rt.enqueue_run((body["metadata"]["namespace"], body["metadata"]["name"]))
        return None
    rt.cache.put_run(written)
    return written


def _after_write(
    rt: Runtime, key: Key, run: DagRun, before: DagRunStatus, after: DagRunStatus
) -> None:
    namespace = key[0]
    dag_key = (namespace, run.spec.dag_name)
    if any(ti.state == TI.SCHEDULED for ti in after.task_instances.values()):
        rt.waiting_for_slots.add(key)
    else:
        rt.waiting_for_slots.discard(key)
    # Any task instance that held a slot and no longer does frees a slot (in its pool),
    # even when this pass starts another one: every run waiting for slots looks again.
    held = {k for k, ti in before.task_instances.items() if ti.state in ACTIVE}
    still = {k for k, ti in after.task_instances.items() if ti.state in ACTIVE}
    if held - still:
        for waiting in list(rt.waiting_for_slots - {key}):
            rt.enqueue_run(waiting)
    # dependsOnPast: the next runs of the DAG wait on this run's task states.
    changed = any(
        before.task_instances.get(k) is None or before.task_instances[k].state != ti.state
        for k, ti in after.task_instances.items()
    )
    if changed:
        mine = instant(after.logical_date) if after.logical_date else None
        for sibling in rt.cache.runs_by_dag.get(dag_key, set()) - {key[1]}:
            other = rt.cache.runs.get((namespace, sibling))
            if other is not None and mine is not None and instant(_logical(other)) > mine:
                rt.enqueue_run((namespace, sibling))
    if before.state != after.state:
        # Our own write's watch event is deduplicated: tell the owners here.
        rt.enqueue_dag(dag_key)
        backfill = backfill_of(rt.cache.runs.get(key, {}))
        if backfill:
            rt.enqueue_backfill((namespace, backfill))
        if after.state is not None and after.state.finished:
            rt.metrics.runs_finished.labels(run.spec.dag_name, after.state.value).inc()
            _observe_durations(rt, run.spec.dag_name, after)
            for sibling in rt.cache.runs_by_dag.get(dag_key, set()):
                rt.enqueue_run((namespace, sibling))


def _observe_durations(rt: Runtime, dag: str, status: DagRunStatus) -> None:
    for ti in status.task_instances.values():
        started, ended = parse_time(ti.start_date), parse_time(ti.end_date)
        if started and ended and ti.state in (TI.SUCCESS, TI.FAILED):
            rt.metrics.task_duration.labels(dag, ti.state.value).observe(
                (ended - started).total_seconds()
            )


async def _cleanup_pods(rt: Runtime, key: Key, status: DagRunStatus) -> None:
    """The pod cleanup policy of a finished run: `never` keeps pods until the run
    itself is deleted (so `kubectl logs` keeps working), `succeeded` deletes the pods
    of successful task instances, `always` every pod of the run. Applied on every
    sync of a finished run, so a cleanup cut short (operator killed, API error) is
    completed by the next sync."""
    policy = rt.settings.pod_cleanup
    if policy == "never" or status.state is None or not status.state.finished:
        return
    succeeded = {ti.pod for ti in status.task_instances.values() if ti.state == TI.SUCCESS}
    doomed = [
        pod["metadata"]["name"]
        for pod in rt.cache.pods_of(key)
        if not pod["metadata"].get("deletionTimestamp")
        and (policy == "always" or pod["metadata"]["name"] in succeeded)
    ]
    await asyncio.gather(*(rt.writer.delete_pod(key[0], name) for name in doomed))
