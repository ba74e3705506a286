"""Which task instances become ready, and which of the ready ones start now.

Ready means the trigger rule passed (and dependsOnPast allows it): state
`scheduled`. Starting means a pod is asked for: state `queued`. Ready task
instances start by effective priority weight, within the run's free slots,
maxActiveTasks and pool slots.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kairflow.api.callbacks import CallbackKind
from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import TaskInstanceStatus
from kairflow.core import latest_only
from kairflow.core.deferral import defer
from kairflow.core.mapping import MappingError, sources
from kairflow.core.pod_builder import build_pod
from kairflow.core.run_info import DataInterval
from kairflow.core.run_state import RunPass
from kairflow.core.sealed_blocks import weights
from kairflow.core.task_context import template_context
from kairflow.core.templating import RenderedTask, TemplateError, build_context, render_task
from kairflow.core.times import iso, parse_time
from kairflow.core.trigger_rules import UpstreamCounts, Verdict, describe_wait, evaluate

TI = TaskInstanceState
_PAST_OK = (TI.SUCCESS, TI.SKIPPED)


def make_ready(state: RunPass) -> bool:
    """Resolve trigger rules and due timers, in topological order so that skips and
    upstream failures cascade within one pass. True when any state changed."""
    changed = False
    tis = state.status.task_instances
    for name in state.graph.order:
        task = state.tasks[name]
        # One verdict per task, not per instance: a task's own instances are never its
        # upstream, so the verdict cannot change while they are walked.
        upstream: tuple[Verdict, UpstreamCounts] | None = None
        for key in state.instances(name):
            ti = tis[key]
            if ti.state in (TI.UP_FOR_RETRY, TI.UP_FOR_RESCHEDULE):
                due = parse_time(ti.next_try_at)
                if due is None or due <= state.now:
                    if task.deferred_kind is not None and ti.state == TI.UP_FOR_RETRY:
                        defer(state, key)
                    else:
                        ti.state = TI.SCHEDULED
                    changed = True
                else:
                    state.wake(due)
                continue
            if ti.state != TI.NONE:
                continue
            upstream = upstream or upstream_verdict(state, name)
            verdict, counts = upstream
            rule = state.policies[name].trigger_rule.value
            if verdict == Verdict.SKIP:
                state.set_state(key, TI.SKIPPED, f"trigger rule {rule}: upstream skipped")
                changed = True
            elif verdict == Verdict.UPSTREAM_FAILED:
                state.set_state(key, TI.UPSTREAM_FAILED, f"trigger rule {rule}: upstream failed")
                changed = True
            elif verdict == Verdict.WAIT:
                ti.message = _why_waiting(state, name, counts)
            elif task.expand is not None and key == name:
                changed |= _unexpanded(state, name)
            elif (blocked := _past_blocks(state, name)) is not None:
                ti.message = blocked
            elif task.deferred_kind is not None:
                defer(state, key)  # no pod, no slot: the operator decides it
                changed = True
            elif task.is_empty:
                ti.start_date = iso(state.now)
                if task.latest_only:
                    _decide_latest_only(state, name, key)
                    # Its skips (planner effects) must land before its downstream
                    # tasks are looked at: end this round, the planner runs another.
                    return True
                state.set_state(key, TI.SUCCESS)
                changed = True
            else:
                ti.state = TI.SCHEDULED
                ti.ready_at = iso(state.now)
                ti.message = None
                changed = True
    return changed


def _unexpanded(state: RunPass, name: str) -> bool:
    """The record under a mapped task's own name, once its trigger rule lets it run:
    instances not created yet are left to `map_window`; a mapping not expanded
    means a source did not succeed (e.g. trigger rule all_done): it fails."""
    expand = state.tasks[name].expand
    if expand is None or state.status.task_instances[name].map_length is not None:
        return False
    pushed = " or ".join(map(repr, sources(expand)))
    state.set_state(name, TI.FAILED, f"cannot expand: {pushed} pushed no list")
    return True


def _why_waiting(state: RunPass, name: str, counts: UpstreamCounts) -> str:
    rule = state.policies[name].trigger_rule
    setups = state.indirect_setups.get(name)
    if setups and evaluate(rule, counts) == Verdict.RUN:
        # Its own upstream tasks let it run: what it waits for is a setup further up.
        return f"waiting for setup {', '.join(sorted(setups))} to succeed"
    return describe_wait(rule, counts)


def upstream_verdict(state: RunPass, name: str) -> tuple[Verdict, UpstreamCounts]:
    """The trigger rule's verdict over every instance of every direct upstream task."""
    tis = state.status.task_instances
    upstream = state.graph.upstream[name]
    # Instances not created yet count as theirs (only the waiting message can tell);
    # sealed ones as they ended (`sealed_blocks`).
    states = [
        (ti_state, weight)
        for up in upstream
        for key in state.instances(up)
        for ti_state, weight in weights(tis[key])
    ]
    setup_states = [
        tis[key].state for up in upstream if state.tasks[up].setup for key in state.instances(up)
    ]
    counts = UpstreamCounts.of(states, setup_states)
    indirect = state.indirect_setups.get(name)
    setups = None
    if indirect:
        setups = UpstreamCounts.of(tis[key].state for s in indirect for key in state.instances(s))
    return evaluate(state.policies[name].trigger_rule, counts, setups), counts


def _decide_latest_only(state: RunPass, name: str, key: str) -> None:
    """Succeed, pushing the direct downstream tasks to follow (all or none), as
    Airflow's LatestOnlyOperator (a branch) does; the planner then skips the rest."""
    run = state.run
    interval = DataInterval(run.data_interval_start, run.data_interval_end)
    decision = latest_only.decide(run.spec, run.externally_triggered, interval, state.now)
    follow = sorted(state.graph.downstream[name]) if decision.proceed else []
    state.status.task_instances[key].xcom = follow
    state.set_state(key, TI.SUCCESS, decision.reason)


def _past_blocks(state: RunPass, name: str) -> str | None:
    """Why dependsOnPast / waitForDownstream hold the task back, or None. Like
    Airflow's PrevDagrunDep, every instance of the task in the previous run counts
    (all map indexes), not only the one with the same key."""
    policy = state.policies[name]
    if not policy.depends_on_past or state.previous is None:
        return None  # the first run is exempt
    before = state.previous_by_task.get(name, [])
    if not before:
        if not state.previous.finished:
            return f"waiting: dependsOnPast, and {name} has not run yet in the previous run"
        ran = any(state.task_of(k) == name for k in state.previous.ran_before)
        if policy.ignore_first_depends_on_past and not ran:
            return None  # a task new to the DAG (Airflow's ignore_first_depends_on_past)
        reason = f"waiting: dependsOnPast, and {name} did not run in the previous run"
        return reason if ran else f"{reason} (ignoreFirstDependsOnPast is false)"
    for other, prev in before:
        if prev not in _PAST_OK:
            return f"waiting: dependsOnPast, and {other} is {prev.value} in the previous run"
    if policy.wait_for_downstream:
        for down in sorted(state.graph.downstream[name]):
            for other, other_state in state.previous_by_task.get(down, ()):
                if other_state not in _PAST_OK:
                    return (
                        f"waiting: waitForDownstream, and {other} is {other_state.value} "
                        "in the previous run"
                    )
    return None


def launch_ready(state: RunPass) -> None:
    tis = state.status.task_instances
    for key, ti in tis.items():
        # poke-mode sensors hold their slot between pokes: the next poke just starts.
        due = parse_time(ti.next_try_at)
        if ti.state == TI.RUNNING and due is not None:
            if due <= state.now:
                _start(state, key)
            else:
                state.wake(due)
    active = [k for k, ti in tis.items() if ti.state in (TI.QUEUED, TI.RUNNING)]
    free = min(state.capacity.slots, state.run.spec.max_active_tasks) - len(active)
    pool_used: dict[str, int] = {}
    for key in active:
        policy = state.policies[state.task_of(key)]
        pool_used[policy.pool] = pool_used.get(policy.pool, 0) + policy.pool_slots
    order = {name: i for i, name in enumerate(state.graph.order)}
    ready = sorted(
        (k for k, ti in tis.items() if ti.state == TI.SCHEDULED),
        key=lambda k: (
            -state.weights[state.task_of(k)],
            order[state.task_of(k)],
            tis[k].map_index or 0,
        ),
    )
    for key in ready:
        if free <= 0:
            tis[key].message = "waiting for a free slot (maxActiveTasks / parallelism)"
            continue
        policy = state.policies[state.task_of(key)]
        pools = state.capacity.pools
        if pools is not None:
            if policy.pool not in pools:
                tis[key].message = f"waiting: pool {policy.pool!r} does not exist"
                continue
            used = pool_used.get(policy.pool, 0)
            if pools[policy.pool] - used < policy.pool_slots:
                tis[
                    key
                ].message = f"waiting for {policy.pool_slots} slot(s) in pool {policy.pool!r}"
                continue
        if _start(state, key):
            free -= 1
            pool_used[policy.pool] = pool_used.get(policy.pool, 0) + policy.pool_slots


def _start(state: RunPass, key: str) -> bool:
    """Ask for the pod of the task instance's next try (or next sensor poke)."""
    name = state.task_of(key)
    task = state.tasks[name]
    ti = state.status.task_instances[key]
    before, asks = ti.model_copy(), state.sealed_asks
    continuing_poke = task.sensor is not None and ti.first_poke_at is not None
    if continuing_poke:
        ti.pokes = (ti.pokes or 1) + 1
    else:
        ti.try_number += 1
        ti.pokes = 1 if task.sensor is not None else None
        ti.first_poke_at = iso(state.now) if task.sensor is not None else None
    ti.next_try_at = None
    ti.exit_code = None
    ti.end_date = None
    ti.duration = None
    try:
        templated = name in state.templated_tasks
        context = build_context(template_context(state, key)) if templated else {}
        rendered = render_task(task, context, budget=state.settings.render_budget)
    except (TemplateError, MappingError) as exc:
        if state.sealed_asks > asks:
            return _wait_for_sealed(state, key, before)
        state.set_state(key, TI.FAILED, f"template error: {exc}")
        state.event("Warning", "TaskFailed", f"{key} try {ti.try_number}: {exc}")
        return False
    if state.sealed_asks > asks:
        return _wait_for_sealed(state, key, before)
    timeout = state.policies[name].execution_timeout
    try:
        manifest = _manifest(state, key, rendered, whole_seconds(timeout))
    except ValueError as exc:  # e.g. a podTemplate that cannot be merged
        state.set_state(key, TI.FAILED, f"invalid pod: {exc}")
        state.event("Warning", "TaskFailed", f"{key} try {ti.try_number}: {exc}")
        return False
    pod_name = str(manifest["metadata"]["name"])
    if not continuing_poke:
        state.note(CallbackKind.ON_EXECUTE, key, ti.try_number, TI.QUEUED.value)
    if ti.state != TI.RUNNING:  # a poke-mode sensor stays running between pokes
        ti.state = TI.QUEUED
    ti.pod = pod_name
    ti.queued_at = iso(state.now)
    ti.message = None
    if pod_name not in state.pods:
        state.create_pod(key, manifest)
    state.wake(state.now + state.settings.startup_timeout)
    return True


def _wait_for_sealed(state: RunPass, key: str, before: TaskInstanceStatus) -> bool:
    """Not started: its templates read XComs of sealed instances the pass does not
    have (`sealed_blocks.sealed_wanted`); the controller reads them and plans again."""
    state.status.task_instances[key] = before
    return False


def _manifest(
    state: RunPass, key: str, rendered: RenderedTask, timeout_seconds: int | None
) -> dict[str, Any]:
    ti = state.status.task_instances[key]
    run = state.run
    return build_pod(
        namespace=run.namespace,
        dag_name=run.dag_name,
        dagrun_name=run.name,
        dagrun_uid=run.uid,
        run_id=run.run_id,
        logical_date=run.logical_date,
        task=state.tasks[state.task_of(key)],
        rendered=rendered,
        try_number=ti.try_number,
        map_index=ti.map_index,
        default_image=state.settings.default_image,
        execution_timeout_seconds=timeout_seconds,
        poke=ti.pokes if ti.pokes and ti.pokes > 1 else None,
    )


def whole_seconds(delta: timedelta | None) -> int | None:
    if delta is None:
        return None
    return max(1, int(delta.total_seconds() + 0.999))
