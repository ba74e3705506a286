"""approval: a deferred task that waits for a user's answer (Airflow 3.1's HITL
ApprovalOperator; see `deferred` for the mechanism).

The answer is `spec.approvals[<task instance>]` of the run, for the try waiting now
(a cleared task asks again: an answer to an earlier try is not reused). Approve:
success. Reject: failed, or skipped with `onReject: skip`. With a `timeout`, no
answer in time is `defaultOutcome`, decided "by timeout". The decision, who gave it
(as the client reported it) and when the operator applied it go in the task
instance's status and a Kubernetes Event. Never retried: the user has answered.
"""

from __future__ import annotations

from kairflow.api.approval import ApprovalOutcome, ApprovalSpec, OnReject
from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import ApprovalRecord
from kairflow.core.deferred import Decision, DeferredTask, EventSpec, finished, waiting
from kairflow.core.templating import TemplateError
from kairflow.core.times import iso

TI = TaskInstanceState
TIMEOUT = "timeout"


def decide_approval(task: DeferredTask) -> Decision:
    spec = task.task.approval
    assert spec is not None
    answer = task.surroundings.approvals.get(task.key)
    if answer is not None and answer.try_number == task.ti.try_number:
        record = ApprovalRecord(
            outcome=answer.outcome, by=answer.by, at=iso(task.now), comment=answer.comment
        )
        return _decided(task, spec, record)
    deadline = task.started + spec.timeout if spec.timeout is not None else None
    if deadline is not None and task.now >= deadline:
        record = ApprovalRecord(outcome=spec.default_outcome, by=TIMEOUT, at=iso(task.now))
        return _decided(task, spec, record)
    try:
        subject = task.render(spec.subject, "approval.subject")
        body = task.render(spec.body, "approval.body") if spec.body else None
    except TemplateError as exc:
        return finished(TI.FAILED, f"template error: {exc}")
    asked = f" (asked: {', '.join(spec.assignees)})" if spec.assignees else ""
    details = f" — {body}" if body else ""
    return waiting(f"awaiting approval: {subject}{asked}{details}", wake_at=deadline)


def _decided(task: DeferredTask, spec: ApprovalSpec, record: ApprovalRecord) -> Decision:
    who = "the timeout" if record.by == TIMEOUT else (record.by or "an unnamed user")
    said = f": {record.comment}" if record.comment else ""
    if record.outcome == ApprovalOutcome.APPROVE:
        message = f"approved by {who}{said}"
        event: EventSpec = ("Normal", "TaskApproved", f"{task.key} {message}")
        return finished(TI.SUCCESS, message, approval=record, event=event)
    message = f"rejected by {who}{said}"
    rejected: EventSpec = ("Warning", "TaskRejected", f"{task.key} {message}")
    state = TI.SKIPPED if spec.on_reject == OnReject.SKIP else TI.FAILED
    return finished(state, message, approval=record, event=rejected)
