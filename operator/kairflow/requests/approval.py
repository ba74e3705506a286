"""An answer to an approval task as it is written: one merge patch of the run's
`spec.approvals[<task instance>]` (what `kubectl patch dagrun RUN --type=merge` does by
hand), by the CLI and by the web UI alike. Pure: the run comes in as the API's dict."""

from __future__ import annotations

from typing import Any

from kairflow.api.approval import ApprovalDecision, ApprovalOutcome
from kairflow.api.common import TaskInstanceState
from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import DagRunStatus
from kairflow.requests.errors import RequestError


def answer_for(
    run: dict[str, Any],
    key: str,
    outcome: ApprovalOutcome,
    comment: str | None,
    by: str | None,
) -> ApprovalDecision:
    """The answer to the approval task instance `key` of `run`, for the try waiting
    now; a RequestError when `key` is no approval waiting for an answer."""
    name = run["metadata"]["name"]
    status = DagRunStatus.model_validate(run.get("status") or {})
    spec = DAGSpec.model_validate(status.dag_spec) if status.dag_spec else None
    task = next((t for t in spec.tasks if t.name == key.split("[", 1)[0]), None) if spec else None
    if task is None:
        raise RequestError(f"run {name} has no task {key!r} (yet)")
    if task.approval is None:
        raise RequestError(f"task {key!r} of run {name} is no approval task")
    ti = status.task_instances.get(key)
    if ti is None:
        raise RequestError(f"run {name} has no task instance {key!r} (a mapped one is 'task[i]')")
    if ti.state != TaskInstanceState.DEFERRED:
        raise RequestError(f"{key} of run {name} is {ti.state.value}, not waiting for an answer")
    return ApprovalDecision(outcome=outcome, try_number=ti.try_number, comment=comment, by=by)


def approval_patch(key: str, answer: ApprovalDecision) -> dict[str, Any]:
    """The whole answer is written (a merge patch keeps fields left out)."""
    return {"spec": {"approvals": {key: answer.model_dump(by_alias=True, mode="json")}}}
