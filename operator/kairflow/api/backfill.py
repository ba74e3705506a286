"""The Backfill resource: run a DAG over a past date range (Airflow's backfill)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from kairflow.api.common import Condition, Resource, StatusModel, WireModel
from kairflow.api.dag import TimetableKind
from kairflow.api.env import FREE_FORM
from kairflow.api.types import Duration, LenientDateTime


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


class BackfillPlan(StatusModel):
    """The dates, fixed at the start: each of the schedule's in the range gets a run."""

    # Its size does not grow with the number of dates (docs/backfill.md): the dates
    # come again from the schedule as it was when the Backfill started (later edits
    # of the DAG do not move the plan); only the stretches of dates that get no new
    # run are written down.

    schedule: str = Field(description="The DAG's schedule when the Backfill started.")
    timezone: str = Field(default="UTC", description="The DAG's time zone then.")
    timetable: TimetableKind = Field(default=TimetableKind.DATA_INTERVAL)
    trigger_interval: Duration | None = None
    from_date: str = Field(alias="from", description="First logical date, in UTC.")
    to_date: str = Field(alias="to", description="Last logical date, in UTC.")
    backwards: bool = Field(default=False, description="Newest first.")
    clear: list[str] = Field(
        default_factory=list,
        description="Dates whose existing run is run again: FIRST/LAST (ISO-8601 intervals, "
        "every date of the schedule between them, both included) or one DATE.",
    )
    skip: list[str] = Field(
        default_factory=list,
        description="Dates whose existing run is kept (same forms): no run is made for them.",
    )


class BackfillStatus(StatusModel):
    state: str | None = Field(default=None, description="running, completed or failed.")
    total: int | None = Field(default=None, description="Runs this backfill will make.")
    created: int | None = Field(default=None, description="Runs created or cleared so far.")
    remaining: int | None = Field(default=None, description="Runs still to create or clear.")
    succeeded: int | None = None
    failed: int | None = None
    progress: str | None = None
    dates: int | None = Field(
        default=None, description="Logical dates in the range, the skipped ones included."
    )
    next_logical_date: str | None = Field(
        default=None,
        description="The next logical date to start (create or clear); absent when every "
        "run has been started.",
    )
    plan: BackfillPlan | None = Field(
        default=None,
        description="What the Backfill runs, fixed when it started: every date of this "
        "schedule in the range gets a new run, except those in clear and skip.",
    )
    message: str | None = None
    conditions: list[Condition] = Field(default_factory=list)


class Backfill(Resource):
    KIND: ClassVar[str] = "Backfill"
    PLURAL: ClassVar[str] = "backfills"

    kind: str = "Backfill"
    spec: BackfillSpec
    status: BackfillStatus = Field(default_factory=BackfillStatus)
