"""The DagRun resource: one run of a DAG for one logical date.

Its status names the DAG version it runs (fixed when the run starts; see
`core.dag_versions`), so editing a DAG never changes a run in flight and every run
shows what it ran.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from kairflow.api.approval import ApprovalDecision, ApprovalOutcome
from kairflow.api.asset import AssetEvent
from kairflow.api.callbacks import CallbackStatus
from kairflow.api.common import (
    Condition,
    DagRunState,
    Resource,
    StatusModel,
    TaskInstanceState,
    WireModel,
)
from kairflow.api.dag import CRD_DEFAULT_KEY
from kairflow.api.env import FREE_FORM
from kairflow.api.types import LenientDateTime


class RunType(StrEnum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    BACKFILL = "backfill"
    ASSET_TRIGGERED = "asset_triggered"


class ClearRequest(WireModel):
    """Clear task instances (Airflow's "Clear"): set `id` to a new value to ask again."""

    id: str = Field(description="Any new value (e.g. a timestamp) makes the request new.")
    tasks: list[str] = Field(
        default_factory=list,
        description="Task names or shell-style patterns (task_*); empty means every task.",
    )
    downstream: bool = Field(default=False, description="Also clear downstream tasks.")
    upstream: bool = Field(default=False, description="Also clear upstream tasks.")
    only_failed: bool = Field(
        default=False, description="Only failed and upstream_failed task instances."
    )


class MarkRequest(WireModel):
    """Set task instances' state by hand (Airflow's "Mark success / failed")."""

    id: str = Field(description="Any new value makes the request new.")
    tasks: list[str] = Field(min_length=1, description="Task names or patterns.")
    state: TaskInstanceState = Field(description="success or failed.")


class DagRunSpec(WireModel):
    """A DAG run. For a manual run only `dagName` is required; the operator infers
    the data interval and fills in the rest of the status."""

    dag_name: str = Field(description="The DAG (metadata.name) to run.")
    run_type: RunType = Field(
        default=RunType.MANUAL,
        description="scheduled, manual, backfill or asset_triggered.",
        json_schema_extra={CRD_DEFAULT_KEY: RunType.MANUAL.value},
    )
    logical_date: LenientDateTime | None = Field(
        default=None, description="Logical date (default: the time the run is created)."
    )
    data_interval_start: LenientDateTime | None = Field(default=None)
    data_interval_end: LenientDateTime | None = Field(default=None)
    conf: dict[str, Any] = Field(
        default_factory=dict,
        description="Run configuration; overrides the DAG's params in templates.",
        json_schema_extra=FREE_FORM,
    )
    triggering_asset_events: dict[str, list[AssetEvent]] | None = Field(
        default=None,
        description="asset_triggered runs: the asset events it consumed, per URI (its "
        "templates' triggering_asset_events).",
    )
    run_id: str | None = Field(
        default=None,
        description="Airflow's run id (default <runType>__<logical date>); set by a "
        "triggering task's runId.",
    )
    clear: ClearRequest | None = Field(default=None, description="A clear request.")
    mark: MarkRequest | None = Field(default=None, description="A mark-state request.")
    approvals: dict[str, ApprovalDecision] = Field(
        default_factory=dict,
        description="Answers to approval tasks, by task instance (name or name[i]).",
    )


class ApprovalRecord(StatusModel):
    """The decision an approval task instance took, and who took it."""

    outcome: ApprovalOutcome
    by: str | None = Field(default=None, description="Who decided (as reported), or 'timeout'.")
    at: str | None = Field(default=None, description="When the operator applied it.")
    comment: str | None = None


class XComRef(StatusModel):
    """Where a big XCom is kept: a ConfigMap owned by the run (deleted with it)."""

    config_map: str = Field(description="The ConfigMap holding the value (key value.json.gz).")
    size: int = Field(description="The value's size in bytes, as JSON.")
    sha256: str = Field(description="SHA-256 of the value's JSON.")
    preview: str | None = Field(default=None, description="The JSON's first characters.")


class TaskInstanceStatus(StatusModel):
    """What happened to one task instance (defaults left out to keep status small)."""

    state: TaskInstanceState = TaskInstanceState.NONE
    try_number: int = Field(default=0, description="Tries started so far (Airflow's try_number).")
    max_tries: int | None = Field(default=None, description="1 + retries.")
    map_index: int | None = Field(default=None, description="Index of a mapped instance.")
    map_length: int | None = Field(
        default=None,
        description=(
            "On a mapped task's own record while some of its instances are not created"
            " yet: how many instances it has in all."
        ),
    )
    map_next: int | None = Field(
        default=None,
        description=(
            "On a mapped task's own record while some of its instances are not created"
            " yet: the first map index not created (they are created as earlier ones"
            " finish, mapWindow at a time)."
        ),
    )
    map_block: int | None = Field(
        default=None,
        description=(
            "On a mapped task's own record: instances per sealed block (finished"
            " instances move out of the run in blocks of this many map indexes)."
        ),
    )
    map_sealed: dict[str, str] | None = Field(
        default=None,
        description=(
            "On a mapped task's own record: its sealed blocks (block number -> the"
            " states of its instances in map index order, run-length encoded, e.g."
            " 'success:1020,failed:1,success:3'); each block's instances are in the"
            " TaskInstanceSlice <run>-<task hash>-b<block>."
        ),
    )
    map_parts: dict[str, int] | None = Field(
        default=None,
        description=(
            "On a mapped task's own record: sealed blocks written in more than one"
            " object (block number -> how many: <run>-<task hash>-b<block>-<n>-<i>)."
        ),
    )
    pod: str | None = Field(default=None, description="Pod of the current or last try.")
    queued_at: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    duration: str | None = None
    exit_code: int | None = None
    message: str | None = Field(default=None, description="Why it failed, skipped or waits.")
    xcom: Any = Field(
        default=None,
        description="The task's XCom (return value), small JSON.",
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
    )
    xcom_ref: XComRef | None = Field(
        default=None,
        description="A task's XCom over 4 KiB: kept in a ConfigMap, not in the run.",
    )
    next_try_at: str | None = Field(
        default=None, description="When a retry or the next sensor poke is due."
    )
    first_poke_at: str | None = Field(default=None, description="Sensor: first poke start.")
    pokes: int | None = Field(default=None, description="Sensor: pokes started in this try.")
    ready_at: str | None = Field(default=None, description="When its dependencies were met.")
    triggered_run: str | None = Field(
        default=None, description="triggerDagRun: the DagRun it created (its name)."
    )
    approval: ApprovalRecord | None = Field(
        default=None, description="approval: the decision taken."
    )


class DagRunStatus(StatusModel):
    state: DagRunState | None = None
    run_id: str | None = Field(default=None, description="Airflow-style run id.")
    logical_date: str | None = None
    data_interval_start: str | None = None
    data_interval_end: str | None = None
    queued_at: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    duration: str | None = None
    progress: str | None = Field(default=None, description="Finished/total task instances.")
    message: str | None = None
    conditions: list[Condition] = Field(default_factory=list)
    task_instances: dict[str, TaskInstanceStatus] = Field(
        default_factory=dict,
        description="Per task instance (name or name[i]); empty when they are kept in "
        "TaskInstanceSlices (taskInstanceSlices).",
    )
    task_instance_slices: int | None = Field(
        default=None,
        ge=1,
        description="A big run: how many TaskInstanceSlices (owned by the run, named "
        "<run>-ti<slices>-<index>) hold its task instances instead of this status.",
    )
    callbacks: list[CallbackStatus] = Field(
        default_factory=list, description="Callbacks that became due, and how they went."
    )
    dag_version: str | None = Field(
        default=None,
        description="The DAG version this run runs (fixed when it started): an immutable "
        "ConfigMap of this name, owned by the DAG, holds the spec.",
    )
    dag_spec: dict[str, Any] | None = Field(
        default=None,
        description="The DAG spec, inline: runs of `kairflow dags test`, and runs started "
        "before DAG versions (dagVersion).",
        json_schema_extra=FREE_FORM,
    )
    dag_generation: int | None = Field(default=None, description="DAG generation it started on.")
    handled_clear: str | None = Field(default=None, description="Last clear request id done.")
    handled_mark: str | None = Field(default=None, description="Last mark request id done.")


class DagRun(Resource):
    KIND: ClassVar[str] = "DagRun"
    PLURAL: ClassVar[str] = "dagruns"

    kind: str = "DagRun"
    spec: DagRunSpec
    status: DagRunStatus = Field(default_factory=DagRunStatus)
