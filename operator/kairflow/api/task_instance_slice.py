"""The TaskInstanceSlice resource: part of a big run's task instances.

A run keeps its task instances in its own status while they fit; past that they
live in slices the run owns (deleted with it), as EndpointSlices hold a Service's
endpoints. Where each task instance lives is a function of the run's status alone
(`core.task_instance_slices`); `kairflow runs get`, the UI and the operator put the
run back together, and `kubectl get tis -l kairflow.io/dag-run=<run>` lists them.

A slice with `task` and `block` is a sealed block instead: a big mapped task's
finished instances, moved out of the run (`core.sealed_blocks`), so the operator
keeps in memory what is running, not every instance that ever ran.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from kairflow.api.common import Resource, StatusModel, WireModel
from kairflow.api.dagrun import TaskInstanceStatus


class TaskInstanceSliceSpec(WireModel):
    dag_run: str = Field(description="The DagRun (metadata.name) whose task instances these are.")
    slices: int | None = Field(
        default=None, ge=1, description="How many slices the run's layout has."
    )
    index: int | None = Field(
        default=None, ge=0, description="This slice's place in the layout (0 to slices-1)."
    )
    task: str | None = Field(
        default=None,
        description="A sealed block's mapped task: the block holds its finished instances.",
    )
    block: int | None = Field(
        default=None,
        ge=0,
        description="A sealed block's number: map indexes block*mapBlock onwards.",
    )


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
