"""The Asset resource: Airflow's asset (dataset), one object per URI, with its recent
asset events in its status; and the fields that refer to assets from DAGs and runs.

Why a namespaced object per URI: an asset event must outlive the operator (it is what
consumer DAGs are scheduled from), `kubectl get assets` is the list Airflow's UI shows,
and recording an event is one optimistic-concurrency write of one small object. The
object's name is derived from the URI (`kairflow.core.assets.asset_name`), so every
writer (the operator, the CLI, kubectl) finds the same object; the URI itself is in
`spec.uri`. Events are appended in the order they are recorded and only the last
`MAX_EVENTS` are kept: a consumer that consumed the last event it saw knows which
events are new by their place in the list, with no clock involved.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, JsonValue, model_validator

from kairflow.api.common import Resource, StatusModel, WireModel

# Airflow refuses URIs with whitespace; `( ) & |` are also refused here because they
# are the operators of an asset condition's expression.
ASSET_URI_PATTERN = r"^[^\s()&|]+$"
ASSET_URI_MAX = 1024
ASSET_URI_ITEMS: dict[str, JsonValue] = {
    "items": {"type": "string", "pattern": ASSET_URI_PATTERN, "maxLength": ASSET_URI_MAX}
}
MAX_EVENTS = 100
# (kairflow.api.dag imports this module, so its FREE_FORM cannot be imported here.)
_FREE_FORM: dict[str, JsonValue] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


class AssetEvent(StatusModel):
    """One update of an asset (Airflow's AssetEvent). `id` is deterministic for events
    of task instances (DAG, run, task, map index, try), so recording one twice is a
    no-op."""

    id: str = Field(description="Unique in the asset; a task's events: derived from the source.")
    timestamp: str = Field(description="When it was recorded (ISO-8601, UTC).")
    source_dag_id: str | None = Field(default=None, description="The producing DAG.")
    source_run_id: str | None = Field(default=None, description="The producing run's run id.")
    source_task_id: str | None = Field(default=None, description="The producing task.")
    source_map_index: int | None = Field(
        default=None, description="The producing task instance's map index (-1 unmapped)."
    )
    source_try_number: int | None = Field(default=None, description="The producing try.")
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description="Free-form data of the event.",
        json_schema_extra=_FREE_FORM,
    )


class AssetEventRef(StatusModel):
    """Where a consumer DAG is in an asset's events: the last one it consumed."""

    id: str = Field(description="Id of the last event consumed.")
    timestamp: str = Field(description="Its timestamp (used only once it left the asset's list).")


class AssetSpec(WireModel):
    uri: str = Field(
        pattern=ASSET_URI_PATTERN,
        max_length=ASSET_URI_MAX,
        description="The asset's URI (Airflow's uri).",
    )
    description: str | None = Field(default=None, description="What the asset is.")


class AssetStatus(StatusModel):
    events: list[AssetEvent] = Field(
        default_factory=list,
        description=f"The last {MAX_EVENTS} asset events, oldest first (appended in order).",
    )
    last_event_time: str | None = Field(default=None, description="Newest event's timestamp.")
    event_count: int | None = Field(default=None, description="Events recorded in all.")


class Asset(Resource):
    KIND: ClassVar[str] = "Asset"
    PLURAL: ClassVar[str] = "assets"

    kind: str = "Asset"
    spec: AssetSpec
    status: AssetStatus = Field(default_factory=AssetStatus)


class AssetSchedule(WireModel):
    """A DAG scheduled on assets (Airflow's `schedule=[...]` / `(a | b) & c`): it gets
    a run when the condition holds on the assets updated since its last asset run.
    Exactly one of `all`, `any`, `expression`."""

    all_of: list[str] | None = Field(
        default=None,
        alias="all",
        min_length=1,
        description="Every one of these assets updated (Airflow's schedule=[a, b]).",
        json_schema_extra=ASSET_URI_ITEMS,
    )
    any_of: list[str] | None = Field(
        default=None,
        alias="any",
        min_length=1,
        description="Any one of these assets updated (Airflow's a | b).",
        json_schema_extra=ASSET_URI_ITEMS,
    )
    expression: str | None = Field(
        default=None,
        min_length=1,
        description="A condition over URIs with & (all), | (any) and parentheses, as "
        "Airflow writes it: '(s3://a | s3://b) & s3://c'.",
    )

    @model_validator(mode="after")
    def _one_form(self) -> AssetSchedule:
        given = [f for f in ("all_of", "any_of", "expression") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError("assets: set exactly one of all / any / expression")
        return self
