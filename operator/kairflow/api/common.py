"""Pieces every resource shares: group/version, the base model, states, conditions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

GROUP = "kairflow.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are errors.

    The apiserver prunes unknown fields silently; rejecting them here makes typos
    visible in `kairflow dags test` / `next-execution`, which read manifests directly.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        use_enum_values=False,
    )

    def to_wire(self) -> dict[str, Any]:
        """The compact JSON form: camelCase, defaults and empty values left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)

    def fresh_copy(self) -> Self:
        """A deep copy sharing nothing with this one (values of `Any` fields included),
        made by pydantic-core: `model_copy(deep=True)` goes through copy.deepcopy, which
        took 0.6 s for a run of 10,000 task instances, on the event loop; this takes
        about a tenth of that."""
        return self.model_validate(self.model_dump())


class StatusModel(WireModel):
    """Status written by the operator: extra fields are kept so that a newer operator's
    status never breaks an older reader during an upgrade."""

    model_config = ConfigDict(extra="ignore")


class TaskInstanceState(StrEnum):
    """Airflow's task instance states, with Airflow's spelling."""

    NONE = "none"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"
    UPSTREAM_FAILED = "upstream_failed"
    UP_FOR_RETRY = "up_for_retry"
    UP_FOR_RESCHEDULE = "up_for_reschedule"
    DEFERRED = "deferred"
    """Waiting on something the operator watches (another DAG's run, a user's
    approval): no pod runs and no slot is held, as Airflow's deferred tasks."""
    REMOVED = "removed"
    RESTARTING = "restarting"

    @property
    def finished(self) -> bool:
        return self in FINISHED_TI_STATES


FINISHED_TI_STATES = frozenset(
    {
        TaskInstanceState.SUCCESS,
        TaskInstanceState.FAILED,
        TaskInstanceState.SKIPPED,
        TaskInstanceState.UPSTREAM_FAILED,
        TaskInstanceState.REMOVED,
    }
)


class DagRunState(StrEnum):
    """Airflow's DAG run states."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (DagRunState.SUCCESS, DagRunState.FAILED)


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class Condition(StatusModel):
    """A Kubernetes-style condition (the shape of metav1.Condition)."""

    type: str = Field(description="Condition type, e.g. Ready.")
    status: ConditionStatus = Field(description="True, False or Unknown.")
    reason: str = Field(default="", description="One CamelCase word saying why.")
    message: str = Field(default="", description="Human-readable details.")
    last_transition_time: datetime | None = Field(
        default=None, description="When the status last changed."
    )
    observed_generation: int | None = Field(
        default=None, description="The metadata.generation this condition was computed for."
    )


class ObjectMeta(BaseModel):
    """Just enough of Kubernetes metadata for reading manifests; the rest is kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    name: str = ""
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    generation: int | None = None
    uid: str | None = None


class Resource(BaseModel):
    """A whole custom resource: apiVersion, kind, metadata, spec, status."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    KIND: ClassVar[str] = ""
    PLURAL: ClassVar[str] = ""

    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    kind: str = ""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
