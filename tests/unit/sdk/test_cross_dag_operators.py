"""TriggerDagRunOperator, ExternalTaskSensor and ApprovalOperator by Airflow's names
and arguments: each becomes the task kind the operator decides (no command)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kairflow.sdk import DAG, ApprovalOperator, ExternalTaskSensor, SdkError, TriggerDagRunOperator
from tests.unit.sdk.helpers import tasks_of


def task_of(make: Any) -> dict[str, Any]:
    with DAG("d", schedule=None) as dag:
        make()
    [only] = tasks_of(dag).values()
    return only


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(
            lambda: TriggerDagRunOperator(
                task_id="t", trigger_dag_id="my_target", conf={"day": "{{ ds }}"},
                wait_for_completion=True, allowed_states=["success", "failed"],
            ),
            {"name": "t", "triggerDagRun": {"dag": "my-target", "conf": {"day": "{{ ds }}"},
                                            "waitForCompletion": True,
                                            "allowedStates": ["success", "failed"]}},
            id="a trigger names the target as the SDK names DAGs and keeps its templates",
        ),
        pytest.param(
            lambda: ExternalTaskSensor(
                task_id="w", external_dag_id="producer_dag", external_task_id="load",
                execution_delta=timedelta(hours=1), failed_states=["failed"], timeout=600,
                mode="reschedule", soft_fail=True,
            ),
            {"name": "w", "sensor": {"timeout": "10m", "mode": "reschedule",
                                     "softFail": True},
             "externalTask": {"dag": "producer-dag", "task": "load", "executionDelta": "1h",
                              "failedStates": ["failed"]}},
            id="an external task sensor keeps its sensor settings",
        ),
        pytest.param(
            lambda: ApprovalOperator(
                task_id="ok", subject="Ship {{ ds }}?", body="details",
                execution_timeout=timedelta(hours=2), defaults="Approve",
            ),
            {"name": "ok", "approval": {"subject": "Ship {{ ds }}?", "body": "details",
                                        "timeout": "2h", "defaultOutcome": "approve",
                                        "onReject": "skip"}},
            id="an approval's execution_timeout is its wait and defaults its outcome then",
        ),
    ],
)  # fmt: skip
def test_operators_become_deferred_tasks(make: Any, expected: dict[str, Any]) -> None:
    assert task_of(make) == expected


def test_execution_date_fn_is_refused_with_what_to_use_instead() -> None:
    with pytest.raises(SdkError, match="use execution_delta"):
        task_of(lambda: ExternalTaskSensor(task_id="w", external_dag_id="p",
                                           execution_date_fn=lambda d: d))  # fmt: skip
