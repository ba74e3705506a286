"""triggerDagRun and externalTask: deferred tasks that look at another DAG's runs
(see `deferred` for the mechanism).

triggerDagRun (Airflow's TriggerDagRunOperator). The run it creates has a name
derived from (this run, task instance, try): a restarted operator that created it
but never recorded it finds it by that name and adopts it, so a try never triggers
two runs; the run carries an annotation naming its trigger so a run of the same
name made by anyone else is never adopted. Its run type is manual, as in Airflow.
The target DAG's params check the conf before anything is created. The task's
XCom is the triggered run's run id (Airflow pushes it as `trigger_run_id`).

externalTask (Airflow's ExternalTaskSensor). It reads the other DAG's run whose
logical date is ours minus `executionDelta` (the newest made, when several share
it), and, as Airflow 2.10's poke: any watched task instance in `failedStates`
fails it (skips it with softFail), any in `skippedStates` skips it, all in
`allowedStates` succeed it; otherwise it waits, at most the `sensor.timeout`
(default 7 days) since this try started waiting, then fails (skips with softFail).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from kairflow.api.common import TaskInstanceState
from kairflow.api.cross_dag import ExternalTaskSpec, TriggerDagRunSpec
from kairflow.api.dag import SensorSpec
from kairflow.api.types import format_duration, parse_datetime
from kairflow.core.deferred import Decision, DeferredTask, failed, finished, waiting
from kairflow.core.naming import stable_hash
from kairflow.core.observations import ObservedRun
from kairflow.core.params import conf_problems
from kairflow.core.run_model import CreateDagRun
from kairflow.core.templating import TemplateError

TI = TaskInstanceState
_NAME_MAX = 63


def triggered_run_name(dag: str, run: str, key: str, try_number: int) -> str:
    """`<dag>-triggered-<hash of run, task instance, try>`, at most 63 characters."""
    digest = stable_hash(run, key, try_number, length=10)
    head = dag[: _NAME_MAX - len("-triggered-") - len(digest)].strip("-.")
    return f"{head}-triggered-{digest}"


def trigger_mark(run: str, key: str, try_number: int) -> str:
    return f"{run}/{key}/{try_number}"


def _by_name(runs: Iterable[ObservedRun], name: str) -> ObservedRun | None:
    return next((r for r in runs if r.name == name), None)


def decide_trigger(task: DeferredTask) -> Decision:
    spec = task.task.trigger_dag_run
    assert spec is not None
    ti = task.ti
    name = ti.triggered_run or triggered_run_name(spec.dag, task.run.name, task.key, ti.try_number)
    mark = trigger_mark(task.run.name, task.key, ti.try_number)
    runs = task.surroundings.runs.get(spec.dag, ())
    found = _by_name(runs, name)
    if found is None:
        if ti.triggered_run is not None:
            return failed(task, f"triggered run {name} was deleted", retry=True)
        return _create(task, spec, name, mark, runs)
    if found.triggered_by != mark:
        return failed(task, f"a DagRun named {name} exists that this task did not trigger")
    return _follow(task, spec, found)


def _create(
    task: DeferredTask,
    spec: TriggerDagRunSpec,
    name: str,
    mark: str,
    runs: Sequence[ObservedRun],
) -> Decision:
    namespace = task.run.namespace
    dag = task.surroundings.dags.get(spec.dag)
    if dag is None:
        return failed(task, f"cannot trigger DAG {spec.dag!r}: not found in namespace {namespace}")
    if dag.spec is None or dag.problems:
        return failed(task, f"cannot trigger DAG {spec.dag!r}: it is invalid ({dag.problems[0]})")
    try:
        conf = _render_value(task, spec.conf, "triggerDagRun.conf")
        run_id = task.render(spec.run_id, "triggerDagRun.runId") if spec.run_id else None
        logical = (
            task.render(spec.logical_date, "triggerDagRun.logicalDate")
            if spec.logical_date
            else None
        )
        if logical is not None:
            parse_datetime(logical)
    except (TemplateError, ValueError) as exc:  # a template, or an unreadable date
        return failed(task, f"cannot trigger DAG {spec.dag!r}: {exc}")
    problems = conf_problems(dag.spec.params, conf)
    if problems:
        return failed(task, f"cannot trigger DAG {spec.dag!r}: {'; '.join(problems)}")
    if run_id is not None and any(r.run_id == run_id for r in runs):
        # Airflow's DagRunAlreadyExists.
        return failed(task, f"cannot trigger DAG {spec.dag!r}: run id {run_id!r} exists already")
    create = CreateDagRun(task.key, spec.dag, name, conf, mark, run_id, logical)
    # Recorded once seen (`_follow`): a run recorded and then missing was deleted.
    return waiting(f"triggering DAG {spec.dag!r}: run {name}", create=create)


def _render_value(task: DeferredTask, value: Any, where: str) -> Any:
    """Airflow renders a templated dict's string values, at any depth."""
    if isinstance(value, str):
        return task.render(value, where)
    if isinstance(value, Mapping):
        return {k: _render_value(task, v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_render_value(task, v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _follow(task: DeferredTask, spec: TriggerDagRunSpec, run: ObservedRun) -> Decision:
    shown = f"{spec.dag} run {run.run_id or run.name}"
    if run.run_id is None:
        if run.state is not None and run.state.finished:
            return failed(task, f"triggered run {run.name} could not start (see its status)")
        return waiting(f"triggered {shown}; waiting for it to start", triggered_run=run.name)
    if not spec.wait_for_completion:
        return finished(TI.SUCCESS, f"triggered {shown}", xcom=run.run_id, triggered_run=run.name)
    if run.state in spec.allowed_states:
        return finished(
            TI.SUCCESS, f"triggered {shown} ended {run.state}", xcom=run.run_id,
            triggered_run=run.name,
        )  # fmt: skip
    if run.state in spec.failed_states:
        return failed(
            task, f"triggered {shown} ended {run.state}", xcom=run.run_id,
            triggered_run=run.name, retry=True,
        )  # fmt: skip
    state = run.state.value if run.state else "pending"
    return waiting(f"waiting for triggered {shown} ({state})", triggered_run=run.name)


def decide_external(task: DeferredTask) -> Decision:
    spec = task.task.external_task
    assert spec is not None
    sensor = task.task.sensor or SensorSpec()
    deadline = task.started + sensor.timeout
    target = task.run.logical_date - spec.execution_delta
    run = _run_on(task.surroundings.runs.get(spec.dag, ()), target)
    if run is not None:
        decision = _external_states(spec, run, sensor.soft_fail, task)
        if decision is not None:
            return decision
    if task.now >= deadline:
        limit = format_duration(sensor.timeout)
        if sensor.soft_fail:
            return finished(TI.SKIPPED, f"sensor timed out after {limit} (softFail)")
        return failed(task, f"sensor timed out after {limit}")
    return waiting(_waiting_for(spec, run, target, task), wake_at=deadline)


def _run_on(runs: Iterable[ObservedRun], moment: datetime) -> ObservedRun | None:
    same = [r for r in runs if r.logical_date is not None and r.logical_date == moment]
    if not same:
        return None
    return max(same, key=lambda r: (r.created_at or moment, r.name))


def _watched_states(spec: ExternalTaskSpec, run: ObservedRun) -> dict[str, str] | None:
    """The states looked at: the run's (key ""), or its watched task instances'.
    None when a watched task has no instance there (yet)."""
    if spec.task_group is not None:
        prefix = f"{spec.task_group}."
        found = {k: s.value for k, s in run.task_states.items() if k.startswith(prefix)}
        return found or None
    tasks = spec.watched_tasks()
    if tasks is None:
        return {"": run.state.value} if run.state is not None else None
    states: dict[str, str] = {}
    for name in tasks:
        mine = {k: s.value for k, s in run.task_states.items() if k.split("[", 1)[0] == name}
        if not mine:
            return None
        states.update(mine)
    return states


def _external_states(
    spec: ExternalTaskSpec, run: ObservedRun, soft_fail: bool, task: DeferredTask
) -> Decision | None:
    states = _watched_states(spec, run)
    if states is None:
        return None
    allowed = spec.allowed_states or [TI.SUCCESS.value]
    what = _what(spec, run)
    bad = sorted(k or run.name for k, s in states.items() if s in spec.failed_states)
    if bad:
        message = f"{what}: {', '.join(bad)} in a failed state"
        if soft_fail:
            return finished(TI.SKIPPED, f"{message} (softFail)")
        return failed(task, message)
    if any(s in spec.skipped_states for s in states.values()):
        return finished(TI.SKIPPED, f"{what}: in a skipped state")
    if all(s in allowed for s in states.values()):
        shown = sorted(set(states.values()))
        return finished(TI.SUCCESS, f"{what}: {', '.join(shown)}")
    return None


def _what(spec: ExternalTaskSpec, run: ObservedRun) -> str:
    if spec.task_group is not None:
        return f"task group {spec.task_group} of {run.name}"
    tasks = spec.watched_tasks()
    if tasks is None:
        return f"run {run.name}"
    return f"{', '.join(tasks)} of {run.name}"


def _waiting_for(
    spec: ExternalTaskSpec, run: ObservedRun | None, target: datetime, task: DeferredTask
) -> str:
    if spec.dag not in task.surroundings.dags:
        return f"waiting: DAG {spec.dag!r} not found in namespace {task.run.namespace}"
    if run is None:
        return f"waiting for a run of {spec.dag} with logical date {target.isoformat()}"
    states = _watched_states(spec, run)
    if states is None:
        return f"waiting for {_what(spec, run)} (not there yet)"
    shown = ", ".join(f"{k or 'run'} {s}" for k, s in sorted(states.items()))
    return f"waiting for {_what(spec, run)} ({shown})"
