"""Tasks that look at other DAGs: Airflow's TriggerDagRunOperator and
ExternalTaskSensor. Both are decided by the operator itself (no pod, no slot: the
task instance is `deferred` while it waits), from the DagRuns it already watches.

Only DAGs of the run's own namespace: a DAG author may not reach into another
namespace through the operator's permissions (the operator can create runs
everywhere it serves; a namespace's users may not).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field

from kairflow.api.common import DagRunState, WireModel
from kairflow.api.types import Duration

DAG_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"


class TriggerDagRunSpec(WireModel):
    """Create a run of another DAG (Airflow's TriggerDagRunOperator); the task's XCom
    is the triggered run's run id (Airflow pushes it as `trigger_run_id`)."""

    dag: str = Field(pattern=DAG_NAME_PATTERN, description="The DAG to trigger (same namespace).")
    conf: dict[str, Any] = Field(
        default_factory=dict,
        description="The run's conf; its string values are templated. Checked against the "
        "target DAG's params before the run is created.",
        json_schema_extra={"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    )
    run_id: str | None = Field(
        default=None,
        description="The triggered run's run id (templated; default manual__<logical date>).",
    )
    logical_date: str | None = Field(
        default=None,
        description="The triggered run's logical date, ISO-8601 (templated; default: when "
        "it is created).",
    )
    wait_for_completion: bool = Field(
        default=False,
        description="Stay deferred (no pod, no slot) until the triggered run ends, then "
        "succeed or fail by allowedStates / failedStates.",
    )
    allowed_states: list[DagRunState] = Field(
        default_factory=lambda: [DagRunState.SUCCESS],
        description="With waitForCompletion: the run states that make the task succeed.",
    )
    failed_states: list[DagRunState] = Field(
        default_factory=lambda: [DagRunState.FAILED],
        description="With waitForCompletion: the run states that make the task fail.",
    )


class ExternalTaskSpec(WireModel):
    """Wait for a task (or tasks, a task group, or the whole run) of another DAG's
    run with the same logical date, shifted back by `executionDelta` (Airflow's
    ExternalTaskSensor). The task's `sensor` settings give its timeout and softFail."""

    dag: str = Field(pattern=DAG_NAME_PATTERN, description="The other DAG (same namespace).")
    task: str | None = Field(default=None, description="One task id of the other DAG.")
    tasks: list[str] | None = Field(default=None, description="Several task ids.")
    task_group: str | None = Field(
        default=None, description="Every task of this task group (ids 'group.*')."
    )
    execution_delta: Duration = Field(
        default=timedelta(0),
        description="Look at the run whose logical date is this much earlier than ours "
        "(Airflow's execution_delta).",
    )
    allowed_states: list[str] | None = Field(
        default=None,
        description="States that satisfy the sensor: task instance states (default "
        "[success]) or, with no task, run states (default [success]).",
    )
    failed_states: list[str] = Field(
        default_factory=list, description="States that fail the sensor at once."
    )
    skipped_states: list[str] = Field(
        default_factory=list, description="States that skip the sensor at once."
    )

    def watched_tasks(self) -> list[str] | None:
        """Task ids to watch; None when the whole run is watched (a group: see
        `task_group`)."""
        if self.task is not None:
            return [self.task]
        return list(self.tasks) if self.tasks is not None else None
