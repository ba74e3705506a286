"""A DAG object as its manifest: the same dict a YAML author writes, validated.

Deterministic: tasks in the order they were created, `dependsOn` sorted, tags
sorted, keys in the models' field order; no addresses, no timestamps.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from kairflow.api import DAG as DAGResource
from kairflow.api.common import API_VERSION
from kairflow.api.dag import DAGSpec, TaskGroupSpec, TaskSpec
from kairflow.api.problems import validation_problems
from kairflow.core.validation import validate_dag
from kairflow.sdk.baseoperator import BaseOperator
from kairflow.sdk.dag import DAG
from kairflow.sdk.errors import SdkError
from kairflow.sdk.taskgroup import TaskGroup

DAG_ID_ANNOTATION = "kairflow.io/dag-id"


def task_spec(task: BaseOperator) -> TaskSpec:
    fields: dict[str, Any] = {
        "name": task.task_id,
        "group": task.task_group.group_id if task.task_group is not None else None,
        **task.settings,
        **{k: v for k, v in task.spec_fields().items() if v is not None},
        **task.setup_teardown_fields(),
        "depends_on": sorted(task.upstream),
    }
    if task.outlets:
        fields["outlets"] = task.outlets
    if task.expand is not None:
        fields["expand"] = task.expand
    try:
        return TaskSpec.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(validation_problems(exc))
        raise SdkError(f"task {task.task_id!r}: {problems}", task.location) from None


def group_spec(group: TaskGroup) -> TaskGroupSpec:
    """A TaskGroup as the spec's `groups` entry (an empty group is left out: it has
    nothing to show, as in Airflow's views)."""
    fields: dict[str, Any] = {
        "name": group.label,
        "group": group.parent.group_id if group.parent is not None else None,
        "prefix_group_id": group.prefix_group_id,
        "tooltip": group.tooltip or None,
        "defaults": group.settings(),
    }
    try:
        return TaskGroupSpec.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(validation_problems(exc))
        raise SdkError(f"task group {group.group_id!r}: {problems}", group.location) from None


def to_manifest(dag: DAG) -> dict[str, Any]:
    """The DAG's manifest (a dict ready for YAML or JSON), validated like an applied
    manifest: schema first, then the core's checks (cycles, schedule, templates)."""
    if not dag.tasks:
        raise SdkError(f"DAG {dag.dag_id!r} has no tasks", dag.location)
    spec_fields = {k: v for k, v in dag.spec.items() if v is not None}
    try:
        spec = DAGSpec.model_validate(
            {
                **spec_fields,
                "defaults": dag.defaults,
                "groups": [group_spec(g) for g in dag.task_groups if g.all_tasks()],
                "tasks": [task_spec(t) for t in dag.tasks],
            }
        )
    except ValidationError as exc:
        problems = "; ".join(validation_problems(exc))
        raise SdkError(f"DAG {dag.dag_id!r}: {problems}", dag.location) from None
    semantic = validate_dag(spec)
    if semantic:
        raise SdkError(f"DAG {dag.dag_id!r}: {'; '.join(semantic)}", dag.location)
    annotations: dict[str, str] = {DAG_ID_ANNOTATION: dag.dag_id}
    manifest = {
        "apiVersion": API_VERSION,
        "kind": "DAG",
        "metadata": {"name": dag.name, "annotations": annotations},
        "spec": spec.to_wire(),
    }
    DAGResource.model_validate(manifest)
    return manifest
