"""TriggerDagRunOperator, ExternalTaskSensor and ApprovalOperator: tasks the operator
decides itself (no pod, no slot: `deferred` while they wait), by Airflow's names and
arguments. The other DAG's dag_id becomes its name as the SDK names every DAG
(lower case, `_` becomes `-`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kairflow.sdk.baseoperator import BaseOperator
from kairflow.sdk.errors import SdkError
from kairflow.sdk.operators.empty import EmptyOperator
from kairflow.sdk.operators.fields import templated
from kairflow.sdk.operators.sensors import BaseSensorOperator
from kairflow.sdk.values import duration, kubernetes_name, utc_datetime


def _states(values: Any) -> list[str] | None:
    if values is None:
        return None
    return [str(getattr(v, "value", v)) for v in values]


class TriggerDagRunOperator(BaseOperator):
    """Create a run of `trigger_dag_id` (same namespace) with `conf`; with
    `wait_for_completion`, succeed or fail as it ends. Its XCom is the run id."""

    def __init__(
        self,
        *,
        trigger_dag_id: str,
        trigger_run_id: str | None = None,
        conf: dict[str, Any] | None = None,
        logical_date: Any = None,
        reset_dag_run: bool = False,
        wait_for_completion: bool = False,
        poke_interval: Any = 60,
        allowed_states: Any = None,
        failed_states: Any = None,
        deferrable: bool = False,
        skip_when_already_exists: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if reset_dag_run or skip_when_already_exists:
            self.dag.warn(
                f"task {self.task_id!r}: reset_dag_run / skip_when_already_exists are not "
                "supported (a run id that exists fails the task, as Airflow's default)"
            )
        if isinstance(logical_date, datetime):
            logical_date = utc_datetime(logical_date, "logical_date")
        self.trigger = {
            "dag": kubernetes_name(trigger_dag_id),
            "conf": dict(conf or {}),
            "run_id": templated(self, trigger_run_id, "trigger_run_id") if trigger_run_id else None,
            "logical_date": templated(self, logical_date, "logical_date") if logical_date else None,
            "wait_for_completion": wait_for_completion,
            "allowed_states": _states(allowed_states),
            "failed_states": _states(failed_states),
        }

    def spec_fields(self) -> dict[str, Any]:
        return {"trigger_dag_run": {k: v for k, v in self.trigger.items() if v is not None}}


class ExternalTaskSensor(BaseSensorOperator):
    """Wait for `external_task_id` (or `external_task_ids`, `external_task_group_id`, or
    the whole run) of `external_dag_id`'s run with our logical date minus
    `execution_delta`. timeout / soft_fail as any sensor; no pod pokes."""

    def __init__(
        self,
        *,
        external_dag_id: str,
        external_task_id: str | None = None,
        external_task_ids: Any = None,
        external_task_group_id: str | None = None,
        allowed_states: Any = None,
        skipped_states: Any = None,
        failed_states: Any = None,
        execution_delta: timedelta | None = None,
        execution_date_fn: Any = None,
        check_existence: bool = False,
        deferrable: bool = False,
        poll_interval: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if execution_date_fn is not None:
            raise SdkError(
                f"task {self.task_id!r}: execution_date_fn is not supported; "
                "use execution_delta (a fixed shift)",
                self.location,
            )
        self.external = {
            "dag": kubernetes_name(external_dag_id),
            "task": external_task_id,
            "tasks": list(external_task_ids) if external_task_ids is not None else None,
            "task_group": external_task_group_id,
            "execution_delta": duration(execution_delta, "execution_delta"),
            "allowed_states": _states(allowed_states),
            "failed_states": _states(failed_states),
            "skipped_states": _states(skipped_states),
        }

    def spec_fields(self) -> dict[str, Any]:
        return {
            "sensor": self.sensor,
            "external_task": {k: v for k, v in self.external.items() if v is not None},
        }


class ApprovalOperator(BaseOperator):
    """Airflow 3.1's HITL ApprovalOperator: wait (no pod, no slot) for a user to
    approve or reject. `execution_timeout` is the time to wait and `defaults`
    ("Approve" or "Reject") the outcome then. A rejection skips the task and, by
    the default trigger rules, what follows it (Airflow's task succeeds and skips its
    downstream tasks); `on_reject="fail"` fails it instead."""

    def __init__(
        self,
        *,
        subject: str,
        body: str | None = None,
        defaults: str | list[str] | None = None,
        params: Any = None,
        assignees: list[str] | None = None,
        on_reject: str = "skip",
        ignore_downstream_trigger_rules: bool = False,
        **kwargs: Any,
    ) -> None:
        timeout = kwargs.pop("execution_timeout", None)
        super().__init__(**kwargs)
        chosen = [defaults] if isinstance(defaults, str) else list(defaults or [])
        if params or ignore_downstream_trigger_rules:
            self.dag.warn(
                f"task {self.task_id!r}: an approval's params (a form) and "
                "ignore_downstream_trigger_rules are not supported"
            )
        self.approval = {
            "subject": templated(self, subject, "subject"),
            "body": templated(self, body, "body") if body is not None else None,
            "timeout": duration(timeout, "execution_timeout"),
            "default_outcome": "approve" if chosen == ["Approve"] else "reject",
            "on_reject": on_reject,
            "assignees": assignees or None,
        }

    def spec_fields(self) -> dict[str, Any]:
        return {"approval": {k: v for k, v in self.approval.items() if v is not None}}


class ExternalTaskMarker(EmptyOperator):
    """Airflow's marker for clearing a task of another DAG along with this one: it runs
    nothing (as in Airflow); the clear across DAGs it stands for is not supported."""

    def __init__(
        self,
        *,
        external_dag_id: str,
        external_task_id: str,
        logical_date: Any = None,
        execution_date: Any = None,
        recursion_depth: int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.dag.warn(
            f"task {self.task_id!r}: ExternalTaskMarker runs as an empty task; clearing "
            f"{external_dag_id}.{external_task_id} with it is not supported"
        )
