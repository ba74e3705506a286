"""A DAG's shape for the grid and graph: tasks in Airflow's grid order, their task
groups, whether they are mapped, and their upstream tasks.

Groups come from the spec's `groups` (each task's path of group ids, outermost first).
A spec without `groups` keeps the older reading of dotted task names (`group.task`, as
DAGs rendered before the spec had groups name their tasks). An invalid spec still has a
shape: its tasks in declaration order, without edges.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from kairflow.api.dag import DAGSpec, TaskSpec, TriggerRule
from kairflow.core.errors import InvalidDag
from kairflow.core.graph import build_graph
from kairflow.core.task_groups import GroupTree
from kairflow.core.task_settings import effective_task


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


def dotted_groups(name: str) -> list[str]:
    """Groups read from a dotted task name, outermost first: "a.b.c" -> ["a", "a.b"]."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _label(name: str, groups: list[str]) -> str:
    """The task's name inside its group (its id without the group's prefix)."""
    prefix = f"{groups[-1]}." if groups else ""
    return name[len(prefix) :] if prefix and name.startswith(prefix) else name


def _groups(spec: DAGSpec) -> list[dict[str, Any]]:
    """The spec's task groups: {id, label, parent, tooltip}, outer groups before inner
    ones (none for groups read from dotted names: a clear cannot name those)."""
    tree = GroupTree.of(spec)
    ids = sorted(spec.group_ids, key=lambda gid: len(tree.path(gid)))
    return [
        {"id": gid, "label": g.name, "parent": g.group, "tooltip": g.tooltip}
        for gid in ids
        for g in [spec.group_ids[gid]]
    ]


def structure(raw_spec: Mapping[str, Any] | None) -> dict[str, Any]:
    """{tasks: [{name, label, group, groups, mapped, operator, upstream, triggerRule,
    role}], groups: [{id, label, parent, tooltip}], valid}; role: "setup", "teardown" or
    null."""
    try:
        spec = DAGSpec.model_validate(raw_spec or {})
    except ValidationError:
        return {"tasks": [], "valid": False}
    try:
        graph = build_graph(spec)
        order, upstream, valid = list(graph.order), graph.upstream, True
    except InvalidDag:
        order, upstream, valid = list(dict.fromkeys(t.name for t in spec.tasks)), {}, False
    by_name = {t.name: t for t in spec.tasks}
    position = {name: i for i, name in enumerate(order)}
    tree = GroupTree.of(spec)
    paths = {
        name: list(tree.task_groups.get(name, ())) if spec.groups else dotted_groups(name)
        for name in order
    }
    tasks = []
    for name in order:
        task = by_name[name]
        # Airflow's as_teardown() sets the rule, over the groups' and DAG's defaults.
        rule = (
            TriggerRule.ALL_DONE_SETUP_SUCCESS
            if task.teardown
            else effective_task(spec, task).trigger_rule
        )
        tasks.append(
            {
                "name": name,
                "label": _label(name, paths[name]),
                "group": paths[name][-1] if paths[name] else None,
                "groups": paths[name],
                "mapped": task.expand is not None,
                "operator": operator_of(task),
                "upstream": sorted(upstream.get(name, ()), key=position.__getitem__),
                "triggerRule": str(rule) if rule else "all_success",
                "role": "setup" if task.setup else "teardown" if task.teardown else None,
            }
        )
    return {"tasks": tasks, "groups": _groups(spec), "valid": valid}
