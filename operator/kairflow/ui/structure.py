"""A DAG's shape for the grid and graph: tasks in Airflow's grid order, their groups,
whether they are mapped, and their upstream tasks.

Groups come from task names (`group.task`, as `kairflow.sdk`'s TaskGroup names them).
An invalid spec still has a shape: its tasks in declaration order, without edges.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from kairflow.api.dag import DAGSpec, TaskSpec
from kairflow.core.errors import InvalidDag
from kairflow.core.graph import build_graph


def operator_of(task: TaskSpec) -> str:
    """Airflow's operator word for the task's kind (shown on graph nodes)."""
    if task.sensor is not None:
        return "Sensor"
    if task.branch:
        return "Branch"
    if task.short_circuit:
        return "ShortCircuit"
    if task.latest_only:
        return "LatestOnly"
    if task.bash is not None:
        return "Bash"
    if task.python is not None:
        return "Python"
    return "Pod"


def group_of(name: str) -> str | None:
    return name.rsplit(".", 1)[0] if "." in name else None


def structure(raw_spec: Mapping[str, Any] | None) -> dict[str, Any]:
    """{tasks: [{name, group, mapped, operator, upstream, triggerRule, role}], valid};
    role: "setup", "teardown" or null."""
    try:
        spec = DAGSpec.model_validate(raw_spec or {})
    except ValidationError:
        return {"tasks": [], "valid": False}
    try:
        graph = build_graph(spec)
        order, upstream, valid = list(graph.order), graph.upstream, True
    except InvalidDag:
        order, upstream, valid = [t.name for t in spec.tasks], {}, False
    by_name = {t.name: t for t in spec.tasks}
    position = {name: i for i, name in enumerate(order)}
    tasks = []
    for name in order:
        task = by_name[name]
        rule = "all_done_setup_success" if task.teardown else None
        rule = rule or task.trigger_rule or spec.defaults.trigger_rule
        tasks.append(
            {
                "name": name,
                "group": group_of(name),
                "mapped": task.expand is not None,
                "operator": operator_of(task),
                "upstream": sorted(upstream.get(name, ()), key=position.__getitem__),
                "triggerRule": str(rule) if rule else "all_success",
                "role": "setup" if task.setup else "teardown" if task.teardown else None,
            }
        )
    return {"tasks": tasks, "valid": valid}
