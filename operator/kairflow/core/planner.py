"""The planner: one pure function from (run, status, observed pods, previous run,
capacity, now) to (actions, new status, wake-up time).

It is level-triggered and idempotent, like the Kubernetes CronJob controller's
`sync`: calling it twice with the same inputs gives the same plan, and a pod it
asks for that already exists is simply adopted (pod names are deterministic).
One pass, in order: start the run, enforce dagrunTimeout, fold observed pods into
task instance states, apply branch / short-circuit skips and mapping, evaluate
trigger rules in topological order, start what capacity allows, settle the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from kairflow.api.callbacks import CallbackKind
from kairflow.api.common import DagRunState, TaskInstanceState
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.api.types import format_duration
from kairflow.core import (
    callbacks,
    deadlines,
    deferral,
    map_window,
    pod_outcomes,
    sealed_blocks,
)
from kairflow.core.deferred import Surroundings
from kairflow.core.mapping import MappingError, map_items, sources
from kairflow.core.naming import ti_key
from kairflow.core.resolved_dag import ResolvedDag
from kairflow.core.run_index import MISSING
from kairflow.core.run_model import (
    Capacity,
    ObservedPod,
    Plan,
    PlannerSettings,
    PreviousRun,
    PreviousSuccess,
    RunContext,
)
from kairflow.core.run_state import RunPass
from kairflow.core.scheduling import launch_ready, make_ready
from kairflow.core.setup_teardown import run_state_tasks
from kairflow.core.times import iso, parse_time

TI = TaskInstanceState
ACTIVE = frozenset({TI.QUEUED, TI.RUNNING})


def plan(
    run: RunContext,
    status: DagRunStatus,
    pods: Sequence[ObservedPod],
    now: datetime,
    previous: PreviousRun | None = None,
    capacity: Capacity | None = None,
    settings: PlannerSettings | None = None,
    previous_success: PreviousSuccess | None = None,
    rejected: Mapping[str, str] | None = None,
    stored_xcoms: Mapping[str, Any] | None = None,
    surroundings: Surroundings | None = None,
    sealed_records: Mapping[str, TaskInstanceStatus] | None = None,
    resolved: ResolvedDag | None = None,
) -> Plan:
    """One pass over the run. `rejected` maps pods the API refused for good (when the
    last pass asked for them) to the API's message: their tries fail. `stored_xcoms`:
    the values of the run's big XComs (ConfigMap name -> value). `surroundings`: what
    deferred task instances observe outside the run (see `deferred`). `sealed_records`:
    records of sealed instances read back because a pass asked (`ReadSealed`).
    `resolved`: what the pass derives from `run.spec` alone, resolved once per DAG
    version by the caller (resolved here when None or made of another spec)."""
    if resolved is None or resolved.spec is not run.spec:
        resolved = ResolvedDag.of(run.spec)
    state = RunPass(
        run=run,
        status=status.fresh_copy(),
        dag=resolved,
        pods={p.name: p for p in pods},
        now=now,
        previous=previous,
        previous_success=previous_success,
        capacity=capacity or Capacity(),
        settings=settings or PlannerSettings(),
        rejected=rejected or {},
        stored_xcoms=stored_xcoms or {},
        surroundings=surroundings or Surroundings(),
        sealed_records=sealed_records or {},
    )
    _sync(state)
    deadlines.check(state)
    callbacks.start_due(state)
    callbacks.observe(state)
    pod_outcomes.delete_strays(state)
    sealed_blocks.seal(state)
    return state.result()


def _sync(state: RunPass) -> None:
    status = state.status
    if status.state is None:
        _init_run(state)
    if status.state == DagRunState.QUEUED:
        if not state.run.may_start:
            return
        status.state = DagRunState.RUNNING
        status.start_date = iso(state.now)
        state.event("Normal", "RunStarted", f"run {state.run.run_id} started")
    if status.state != DagRunState.RUNNING:
        return
    if _timed_out(state):
        return
    _restore_lost(state)
    map_window.adopt_created(state)
    pod_outcomes.adopt_existing_pods(state)
    pod_outcomes.observe(state)
    while True:
        for _ in range(len(state.graph.order) + 1):
            # Each round may finish tasks without pods (empty tasks, skips) whose
            # effects (branches, mapping) enable more; a DAG needs at most one per task.
            changed = _apply_effects(state)
            changed |= make_ready(state)
            changed |= deferral.advance(state)
            if not changed:
                break
        launch_ready(state)
        # Mapped instances that ended without a pod (empty tasks, a failed launch) left
        # room in their window: fill it in this pass, or nothing would wake the next.
        if not map_window.create_more(state):
            break
    _settle(state)


def _init_run(state: RunPass) -> None:
    status = state.status
    status.state = DagRunState.QUEUED
    status.queued_at = iso(state.now)
    status.run_id = state.run.run_id
    status.logical_date = iso(state.run.logical_date)
    status.data_interval_start = iso(state.run.data_interval_start)
    status.data_interval_end = iso(state.run.data_interval_end)
    for name in state.graph.order:
        _new_instances(state, name)


def _new_instances(state: RunPass, name: str, message: str | None = None) -> None:
    """A task's instances as a run starts: one, or one per item of a literal list it
    is mapped over (a window of them: `map_window`); a task mapped over an upstream
    XCom waits as `name` to expand."""
    status = state.status
    task = state.tasks[name]
    max_tries = state.policies[name].max_tries
    if task.expand is not None and not sources(task.expand):
        try:
            items = map_items(task, {}, state.settings.max_map_length) or []
        except MappingError as exc:
            status.task_instances[name] = TaskInstanceStatus(
                state=TI.FAILED, message=str(exc), max_tries=max_tries
            )
            return
        status.task_instances.update(
            map_window.first_instances(
                name, len(items), state.settings.map_window, max_tries, message
            )
        )
        if not items:
            status.task_instances[name] = TaskInstanceStatus(
                state=TI.SKIPPED, message="mapped over an empty list", max_tries=max_tries
            )
    else:
        status.task_instances[name] = TaskInstanceStatus(max_tries=max_tries, message=message)


LOST = "its record was lost (a deleted TaskInstanceSlice): it starts over"


def _restore_lost(state: RunPass) -> None:
    """Task instances a running run no longer records (a big run's slice was deleted)
    start over, so the run never ends without them: a task with no instance at all
    gets its first ones again, and a mapped task's missing indexes below its highest
    (or below the first one not created yet) come back (a lost record of the
    instances not created yet: see `map_window.grow`). (Its pods, if still there, are
    adopted as usual.)"""
    tis = state.status.task_instances
    indexes: dict[str, list[int]] = {}
    for key, ti in tis.items():
        indexes.setdefault(state.task_of(key), []).append(
            ti.map_index if ti.map_index is not None else -1
        )
    for name in state.graph.order:
        found = indexes.get(name)
        if found is None:
            _new_instances(state, name, LOST)
            continue
        rest = tis.get(name)
        if max(found) < 0 and (rest is None or not map_window.is_rest(rest)):
            continue  # its one instance, or a mapping not expanded yet
        max_tries = state.policies[name].max_tries
        created = (rest.map_next or 0) if rest is not None else max(found) + 1
        missing = set(range(created)) - set(found)
        for index in sorted(i for i in missing if not sealed_blocks.is_sealed(rest, i)):
            tis[ti_key(name, index)] = TaskInstanceStatus(
                map_index=index, max_tries=max_tries, message=LOST
            )


def _timed_out(state: RunPass) -> bool:
    timeout = state.run.spec.dagrun_timeout
    started = parse_time(state.status.start_date)
    if timeout is None or started is None:
        return False
    deadline = started + timeout
    if state.now < deadline:
        state.wake(deadline)
        return False
    for key, ti in state.status.task_instances.items():
        if ti.state in ACTIVE and ti.pod:
            state.delete_pod(ti.pod, "dagrunTimeout")
        if not ti.state.finished:
            state.set_state(key, TI.SKIPPED, f"run timed out after {format_duration(timeout)}")
    _finish(
        state, DagRunState.FAILED, f"timed out after {format_duration(timeout)} (dagrunTimeout)"
    )
    return True


def _apply_effects(state: RunPass) -> bool:
    """Branch and short-circuit skips, and expansion of mapped tasks (idempotent)."""
    changed = False
    expansions: dict[str, int] = {}
    for name in state.graph.order:
        task = state.tasks[name]
        instances = state.instances(name)
        if task.branch or task.short_circuit or task.latest_only:
            for key in instances:
                ti = state.status.task_instances[key]
                if ti.state == TI.SUCCESS:
                    changed |= _skip_after(state, name, key, state.xcom_of(key))
        if task.expand is not None and sources(task.expand):
            changed |= _expand(state, name, expansions)
        if task.expand is not None:
            changed |= map_window.grow(state, name)
    # Placeholders are replaced after the walk, in one rebuild of the status rather than
    # one per mapped task. Nothing later in the walk can tell: it visits only tasks
    # after an expanded one in topological order, and those read an earlier task's
    # instances only as a mapping source, which is not ready while it has just expanded.
    if expansions:
        _replace_placeholders(state, expansions)
    return map_window.create_more(state) or changed


def _skip_after(state: RunPass, name: str, key: str, xcom: Any) -> bool:
    if xcom is MISSING:
        return False  # a big XCom not read yet: decided once it is
    task = state.tasks[name]
    direct = state.graph.downstream[name]
    if task.branch or task.latest_only:
        follow = _branch_targets(xcom)
        unknown = sorted(follow - direct)
        if unknown:
            state.set_state(
                key,
                TI.FAILED,
                f"branch chose {', '.join(map(repr, unknown))}, not direct downstream "
                f"tasks of {name!r} (those are {', '.join(sorted(direct)) or 'none'})",
            )
            return True
        targets: Iterable[str] = direct - follow
        reason = f"skipped by {'latestOnly' if task.latest_only else 'branch'} {name!r}"
    else:
        if xcom:
            return False
        ignore_rules = task.ignore_downstream_trigger_rules
        reached = state.graph.descendants(name) if ignore_rules else direct
        # Airflow's ShortCircuitOperator never skips teardowns: they clean up anyway.
        targets = [t for t in reached if not state.tasks[t].teardown]
        reason = f"skipped by short-circuit {name!r}"
    changed = False
    for target in targets:
        for target_key in state.instances(target):
            if state.status.task_instances[target_key].state == TI.NONE:
                state.set_state(target_key, TI.SKIPPED, reason)
                changed = True
    return changed


def _branch_targets(xcom: Any) -> frozenset[str]:
    if xcom is None:
        return frozenset()
    if isinstance(xcom, str):
        return frozenset({xcom})
    if isinstance(xcom, list):
        return frozenset(str(item) for item in xcom)
    return frozenset({str(xcom)})


def _expand(state: RunPass, name: str, expansions: dict[str, int]) -> bool:
    """Map the task over its source's XCom: its number of instances goes in `expansions`."""
    placeholder = state.status.task_instances.get(name)
    if placeholder is None or placeholder.state != TI.NONE or map_window.is_rest(placeholder):
        return False
    task = state.tasks[name]
    upstream = sources(task.expand) if task.expand else ()
    if not upstream or any(
        state.status.task_instances[k].state != TI.SUCCESS
        for source in upstream
        for k in state.instances(source)
    ):
        return False  # not ready: trigger rules decide if the source failed or skipped
    try:
        items = state.mapped_items(name)
    except MappingError as exc:
        state.set_state(name, TI.FAILED, str(exc))
        return True
    if items is None:
        return False
    if not items:
        state.set_state(name, TI.SKIPPED, "mapped over an empty list")
        return True
    expansions[name] = len(items)
    return True


def _replace_placeholders(state: RunPass, expansions: dict[str, int]) -> None:
    """Each expanded placeholder becomes its (first) instances in place, so status
    stays in DAG order."""
    rebuilt: dict[str, TaskInstanceStatus] = {}
    for key, ti in state.status.task_instances.items():
        count = expansions.get(key)
        if count is None:
            rebuilt[key] = ti
            continue
        rebuilt.update(
            map_window.first_instances(key, count, state.settings.map_window, ti.max_tries or 1)
        )
    state.status.task_instances = rebuilt


def _settle(state: RunPass) -> None:
    status = state.status
    tis = status.task_instances
    finished, total = map_window.progress(tis.values())
    status.progress = f"{finished}/{total}"
    if finished == total:
        # Airflow's leaves for the run's state: teardowns do not count (unless
        # onFailureFailDagrun), the work before them does.
        deciding = run_state_tasks(state.graph)
        leaves_ok = all(
            tis[key].state in (TI.SUCCESS, TI.SKIPPED)
            for leaf in deciding
            for key in state.instances(leaf)
        )
        if leaves_ok:
            _finish(state, DagRunState.SUCCESS, "every leaf task succeeded or was skipped")
        else:
            failed = sorted(
                k for k, ti in tis.items() if ti.state in (TI.FAILED, TI.UPSTREAM_FAILED)
            )
            _finish(state, DagRunState.FAILED, f"failed tasks: {', '.join(failed)}")
        return
    if not state.can_progress():
        stuck = sorted(k for k, ti in tis.items() if not ti.state.finished)
        _finish(
            state, DagRunState.FAILED, f"deadlock: no task instance can run ({', '.join(stuck)})"
        )


def _finish(state: RunPass, final: DagRunState, message: str) -> None:
    status = state.status
    status.state = final
    status.end_date = iso(state.now)
    status.message = message
    started = parse_time(status.start_date)
    if started is not None:
        status.duration = format_duration(state.now - started)
    finished, total = map_window.progress(status.task_instances.values())
    status.progress = f"{finished}/{total}"
    kind = CallbackKind.ON_SUCCESS if final == DagRunState.SUCCESS else CallbackKind.ON_FAILURE
    state.note(kind, None, 1, final.value, message)
    if final == DagRunState.SUCCESS:
        state.event("Normal", "RunSucceeded", f"run {state.run.run_id} succeeded")
    else:
        state.event("Warning", "RunFailed", f"run {state.run.run_id} failed: {message}")


__all__ = ["plan"]
