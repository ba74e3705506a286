"""The TaskInstanceSlice resource: part of a big run's task instances.

A run keeps its task instances in its own status while they fit; past that they
live in slices the run owns (deleted with it), as EndpointSlices hold a Service's
endpoints. Where each task instance lives is a function of the run's status alone
(`core.task_instance_slices`); `kairflow runs get`, the UI and the operator put the
run back together, and `kubectl get tis -l kairflow.io/dag-run=<run>` lists them.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from kairflow.api.common import Resource, StatusModel, WireModel
from kairflow.api.dagrun import TaskInstanceStatus


class TaskInstanceSliceSpec(WireModel):
    dag_run: str = Field(description="The DagRun (metadata.name) whose task instances these are.")
    slices: int = Field(ge=1, description="How many slices the run's layout has.")
    index: int = Field(ge=0, description="This slice's place in the layout (0 to slices-1).")


class TaskInstanceSliceStatus(StatusModel):
    task_instances: dict[str, TaskInstanceStatus] = Field(
        default_factory=dict, description="Per task instance (name or name[i]), as in a run."
    )


class TaskInstanceSlice(Resource):
    KIND: ClassVar[str] = "TaskInstanceSlice"
    PLURAL: ClassVar[str] = "taskinstanceslices"

    kind: str = "TaskInstanceSlice"
    spec: TaskInstanceSliceSpec
    status: TaskInstanceSliceStatus = Field(default_factory=TaskInstanceSliceStatus)
