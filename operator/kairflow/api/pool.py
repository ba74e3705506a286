"""The Pool resource: Airflow's pool, a named number of task slots.

Pools are namespaced (Airflow's are global): a Pool limits the task instances of the
DAGs in its own namespace, so the team owning a namespace owns its pools, and RBAC on
Pools is ordinary namespaced RBAC. A task that names a pool with no Pool object in
its DAG's namespace takes slots from the operator's default pools (`--pools` /
KAIRFLOW_POOLS, with default_pool's 128 slots), shared by every namespace as before.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from kairflow.api.common import Resource, StatusModel, WireModel


class PoolSpec(WireModel):
    slots: int = Field(
        ge=0,
        description="Task slots (a task takes its poolSlots, default 1). Editing it takes "
        "effect at the next planning pass; lowering it never stops running tasks.",
    )
    description: str | None = Field(default=None, description="What the pool is for.")


class PoolStatus(StatusModel):
    """Counts of the pool's task instances, written when they change."""

    slots: int | None = Field(default=None, description="The slots the counts were taken with.")
    occupied_slots: int | None = Field(
        default=None, description="Slots held by queued and running task instances."
    )
    running: int | None = Field(
        default=None, description="Task instances holding slots (queued or running)."
    )
    queued: int | None = Field(
        default=None, description="Task instances ready to run and waiting for a slot."
    )
    open_slots: int | None = Field(default=None, description="Slots free (never below 0).")


class Pool(Resource):
    KIND: ClassVar[str] = "Pool"
    PLURAL: ClassVar[str] = "pools"

    kind: str = "Pool"
    spec: PoolSpec
    status: PoolStatus = Field(default_factory=PoolStatus)
