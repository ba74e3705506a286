"""The Backfill resource: run a DAG over a past date range (Airflow's backfill)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from kairflow.api.common import Condition, Resource, StatusModel, WireModel
from kairflow.api.env import FREE_FORM
from kairflow.api.types import LenientDateTime


class Reprocess(StrEnum):
    """Which existing runs in the range are run again (runs in flight never are)."""

    NONE = "none"
    FAILED = "failed"
    COMPLETED = "completed"


class BackfillSpec(WireModel):
    dag_name: str = Field(description="The DAG (metadata.name) to backfill.")
    from_date: LenientDateTime = Field(
        alias="from", description="First logical date (inclusive, ISO-8601)."
    )
    to_date: LenientDateTime = Field(alias="to", description="Last logical date (inclusive).")
    reprocess: Reprocess = Field(
        default=Reprocess.NONE,
        description="none: skip existing runs; failed: rerun failed ones; completed: rerun "
        "failed and successful ones.",
    )
    max_active_runs: int | None = Field(
        default=None, ge=1, description="Backfill runs in flight at once (default: the DAG's)."
    )
    run_backwards: bool = Field(
        default=False,
        description="Newest first (refused when a task has dependsOnPast or waitForDownstream).",
    )
    conf: dict[str, Any] = Field(
        default_factory=dict, description="conf for every run.", json_schema_extra=FREE_FORM
    )


class BackfillEntry(StatusModel):
    """One logical date still to run: create a run, or clear an existing one."""

    logical_date: str
    data_interval_start: str
    data_interval_end: str
    action: str = Field(description="create or clear")


class BackfillStatus(StatusModel):
    state: str | None = Field(default=None, description="running, completed or failed.")
    total: int | None = Field(default=None, description="Runs this backfill will make.")
    created: int | None = Field(default=None, description="Runs created or cleared so far.")
    succeeded: int | None = None
    failed: int | None = None
    progress: str | None = None
    pending: list[BackfillEntry] = Field(
        default_factory=list, description="Logical dates still to start, in order."
    )
    message: str | None = None
    conditions: list[Condition] = Field(default_factory=list)


class Backfill(Resource):
    KIND: ClassVar[str] = "Backfill"
    PLURAL: ClassVar[str] = "backfills"

    kind: str = "Backfill"
    spec: BackfillSpec
    status: BackfillStatus = Field(default_factory=BackfillStatus)
