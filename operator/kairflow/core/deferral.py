"""The planner's side of deferred tasks (see `deferred`): a ready task instance of a
kind the operator decides starts its try deferred, and each pass applies its kind's
decision. Pure, like the rest of the planner pass."""

from __future__ import annotations

from kairflow.api.common import TaskInstanceState
from kairflow.core.approval import decide_approval
from kairflow.core.cross_dag import decide_external, decide_trigger
from kairflow.core.deferred import Decide, DeferredTask
from kairflow.core.pod_outcomes import fail_try
from kairflow.core.run_state import RunPass
from kairflow.core.task_context import template_context
from kairflow.core.templating import build_context, render
from kairflow.core.times import iso

TI = TaskInstanceState
KINDS: dict[str, Decide] = {
    "triggerDagRun": decide_trigger,
    "externalTask": decide_external,
    "approval": decide_approval,
}


def defer(state: RunPass, key: str) -> None:
    """Start the task instance's next try, waiting without a pod or a slot."""
    ti = state.status.task_instances[key]
    ti.try_number += 1
    ti.state = TI.DEFERRED
    ti.start_date = iso(state.now)
    ti.ready_at = iso(state.now)
    ti.queued_at = None
    ti.end_date = None
    ti.duration = None
    ti.exit_code = None
    ti.next_try_at = None
    ti.pod = None
    ti.triggered_run = None
    ti.approval = None
    ti.message = None


def advance(state: RunPass) -> bool:
    """Apply each deferred task instance's decision, once per pass. True when one
    finished (its downstream tasks may be ready now)."""
    changed = False
    for key, ti in list(state.status.task_instances.items()):
        if ti.state != TI.DEFERRED or key in state.advanced:
            continue
        state.advanced.add(key)
        task = state.tasks[state.task_of(key)]
        kind = task.deferred_kind
        if kind is None:  # the DAG snapshot changed kinds: cannot happen, but never loop
            state.set_state(key, TI.FAILED, "not a deferred task")
            changed = True
            continue
        decision = KINDS[kind](_deferred_task(state, key))
        if decision.create is not None:
            state.actions.append(decision.create)
        if decision.triggered_run is not None:
            ti.triggered_run = decision.triggered_run
        if decision.approval is not None:
            ti.approval = decision.approval
        if decision.wake_at is not None:
            state.wake(decision.wake_at)
        if decision.state is None:
            ti.message = decision.message
            continue
        ti.xcom = decision.xcom
        changed = True
        if decision.state == TI.FAILED and decision.retry:
            fail_try(state, key, None, decision.message or "failed")  # posts its own Event
            continue
        if decision.event is not None:
            state.event(*decision.event)
        state.set_state(key, decision.state, decision.message)
    return changed


def _deferred_task(state: RunPass, key: str) -> DeferredTask:
    context = build_context(template_context(state, key))
    budget = state.settings.render_budget

    def render_field(source: str, where: str) -> str:
        return render(source, context, where, budget)

    return DeferredTask(
        key=key,
        task=state.tasks[state.task_of(key)],
        ti=state.status.task_instances[key],
        run=state.run,
        surroundings=state.surroundings,
        now=state.now,
        render=render_field,
    )
