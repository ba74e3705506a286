"""Every semantic problem of a DAG, as sentences for a status condition and an Event.

Schema errors (types, enums, required fields) are the apiserver's job at apply
time; these are the ones a schema cannot see: cycles, unknown tasks, bad cron or
time zone, template syntax, settings that contradict each other.
"""

from __future__ import annotations

from kairflow.api.dag import DAGSpec, TaskSpec
from kairflow.core.asset_conditions import condition_problems
from kairflow.core.callback_validation import callback_problems
from kairflow.core.graph import build_graph, graph_problems
from kairflow.core.params import params_problems
from kairflow.core.schedule_validation import validate_schedule
from kairflow.core.sensors import NOT_YET
from kairflow.core.setup_teardown import setup_teardown_problems
from kairflow.core.task_settings import effective_task
from kairflow.core.templating import check_template_syntax


def task_problems(spec: DAGSpec) -> list[str]:
    problems = []
    for task in spec.tasks:
        where = f"task {task.name!r}"
        if task.is_empty and (task.branch or task.short_circuit or task.sensor or task.expand):
            problems.append(
                f"{where}: a branch, short-circuit, sensor or mapped task needs "
                "a command (bash, python or command)"
            )
        if task.branch and task.short_circuit:
            problems.append(f"{where}: cannot be both a branch and a short-circuit")
        if task.args is not None and task.is_empty:
            problems.append(f"{where}: args without a command")
        if task.latest_only and not task.is_empty:
            problems.append(f"{where}: a latestOnly task runs no command (bash, python, command)")
        if task.latest_only and (task.branch or task.short_circuit or task.expand):
            problems.append(
                f"{where}: a latestOnly task cannot be a branch, short-circuit or mapped"
            )
        if task.do_xcom_push is False and (task.branch or task.short_circuit):
            problems.append(
                f"{where}: a branch or short-circuit task decides by its XCom: "
                "doXcomPush cannot be false"
            )
        problems.extend(_deferred_problems(task))
        problems.extend(check_template_syntax(task))
        problems.extend(_skip_code_problems(effective_task(spec, task)))
    return problems


def _deferred_problems(task: TaskSpec) -> list[str]:
    """What a task the operator decides (no pod) cannot also be."""
    kind = task.deferred_kind
    if kind is None:
        return []
    article = "an" if kind[0] in "aeiou" else "a"
    where = f"task {task.name!r}: {article} {kind} task"
    problems = []
    others = [
        word
        for word, present in (
            ("branch", task.branch),
            ("shortCircuit", task.short_circuit),
            ("latestOnly", task.latest_only),
            ("expand", task.expand is not None),
            ("args", task.args is not None),
        )
        if present
    ]
    if others:
        problems.append(f"{where} runs no pod: it cannot have {', '.join(others)}")
    if task.sensor is not None and kind != "externalTask":
        problems.append(f"{where} is no sensor: sensor settings apply to externalTask only")
    external = task.external_task
    if external is not None:
        given = [
            word
            for word, value in (
                ("task", external.task),
                ("tasks", external.tasks),
                ("taskGroup", external.task_group),
            )
            if value is not None
        ]
        if len(given) > 1:
            problems.append(f"{where} watches one of task, tasks or taskGroup, not {given}")
    return problems


def _skip_code_problems(task: TaskSpec) -> list[str]:
    """Exit codes that already mean something cannot also mean "skipped"."""
    codes = set(task.skip_on_exit_code or ())
    where = f"task {task.name!r}: skipOnExitCode"
    problems = []
    if 0 in codes:
        problems.append(f"{where} cannot hold 0 (exit code 0 means success)")
    if task.sensor is not None and NOT_YET in codes:
        problems.append(f"{where} cannot hold {NOT_YET} (a sensor's poke exits {NOT_YET}: not yet)")
    return problems


def validate_dag(spec: DAGSpec) -> list[str]:
    """All problems of the DAG (empty when it can be scheduled and run)."""
    structure = graph_problems(spec)
    # Setup/teardown rules need a sound graph; its own problems come first.
    teardowns = [] if structure else setup_teardown_problems(spec, build_graph(spec))
    return [
        *validate_schedule(spec),
        *structure,
        *task_problems(spec),
        *teardowns,
        *condition_problems(spec.assets),
        *params_problems(
            spec.params, scheduled=spec.schedule is not None or spec.assets is not None
        ),
        *callback_problems(spec),
    ]
