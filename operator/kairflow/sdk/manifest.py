"""A DAG object as its manifest: the same dict a YAML author writes, validated.

Deterministic: tasks in the order they were created, `dependsOn` sorted, tags
sorted, keys in the models' field order; no addresses, no timestamps.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from kairflow.api import DAG as DAGResource
from kairflow.api.common import API_VERSION
from kairflow.api.dag import DAGSpec, TaskSpec
from kairflow.api.problems import validation_problems
from kairflow.core.validation import validate_dag
from kairflow.sdk.baseoperator import BaseOperator
from kairflow.sdk.dag import DAG
from kairflow.sdk.errors import SdkError

DAG_ID_ANNOTATION = "kairflow.io/dag-id"
TASK_GROUPS_ANNOTATION = "kairflow.io/task-groups"
"""{task name: [outer group id, ..., inner group id]} for tasks in task groups (the
engine has no group field yet; a later version reads this)."""


def task_spec(task: BaseOperator) -> TaskSpec:
    fields: dict[str, Any] = {
        "name": task.task_id,
        **task.settings,
        **{k: v for k, v in task.spec_fields().items() if v is not None},
        **task.setup_teardown_fields(),
        "depends_on": sorted(task.upstream),
    }
    if task.expand is not None:
        fields["expand"] = task.expand
    try:
        return TaskSpec.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(validation_problems(exc))
        raise SdkError(f"task {task.task_id!r}: {problems}", task.location) from None


def to_manifest(dag: DAG) -> dict[str, Any]:
    """The DAG's manifest (a dict ready for YAML or JSON), validated like an applied
    manifest: schema first, then the core's checks (cycles, schedule, templates)."""
    if not dag.tasks:
        raise SdkError(f"DAG {dag.dag_id!r} has no tasks", dag.location)
    spec_fields = {k: v for k, v in dag.spec.items() if v is not None}
    try:
        spec = DAGSpec.model_validate(
            {**spec_fields, "defaults": dag.defaults, "tasks": [task_spec(t) for t in dag.tasks]}
        )
    except ValidationError as exc:
        problems = "; ".join(validation_problems(exc))
        raise SdkError(f"DAG {dag.dag_id!r}: {problems}", dag.location) from None
    semantic = validate_dag(spec)
    if semantic:
        raise SdkError(f"DAG {dag.dag_id!r}: {'; '.join(semantic)}", dag.location)
    annotations: dict[str, str] = {DAG_ID_ANNOTATION: dag.dag_id}
    groups: dict[str, list[str]] = {
        t.task_id: t.task_group.path() for t in dag.tasks if t.task_group is not None
    }
    if groups:
        annotations[TASK_GROUPS_ANNOTATION] = json.dumps(groups, sort_keys=True)
    manifest = {
        "apiVersion": API_VERSION,
        "kind": "DAG",
        "metadata": {"name": dag.name, "annotations": annotations},
        "spec": spec.to_wire(),
    }
    DAGResource.model_validate(manifest)
    return manifest
