"""Human approval (Airflow 3.1's HITL ApprovalOperator): a task that waits, holding no
pod and no slot (`deferred`), until a user approves or rejects it.

The decision is a field of the DagRun's spec, like clear and mark requests:
`spec.approvals[<task instance>] = {outcome, tryNumber, comment, by}`, written by
`kairflow tasks approve|reject`, the UI, or `kubectl patch`. Who may decide is who
may patch the DagRun (RBAC); `by` is what the client says (the CLI writes the
kubeconfig's user, the UI the user it serves): recorded, not verified. The
apiserver's audit log is where the authenticated user of each patch is.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from kairflow.api.common import WireModel
from kairflow.api.types import PositiveDuration


class ApprovalOutcome(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class OnReject(StrEnum):
    FAIL = "fail"
    SKIP = "skip"


class ApprovalSpec(WireModel):
    """Make the task an approval: it succeeds when approved; a rejection fails or skips
    it (`onReject`); with a `timeout`, no decision in time is `defaultOutcome`."""

    subject: str = Field(description="What is asked (templated), shown with the task.")
    body: str | None = Field(default=None, description="More details (templated).")
    timeout: PositiveDuration | None = Field(
        default=None, description="Decide by itself this long after it started waiting."
    )
    default_outcome: ApprovalOutcome = Field(
        default=ApprovalOutcome.REJECT,
        description="The outcome when the timeout passes without a decision.",
    )
    on_reject: OnReject = Field(
        default=OnReject.FAIL, description="fail (default) or skip the task on a rejection."
    )
    assignees: list[str] = Field(
        default_factory=list,
        description="Who is asked (shown; RBAC on the DagRun decides who may answer).",
    )


class ApprovalDecision(WireModel):
    """A user's answer to one approval task instance, in the DagRun's spec."""

    outcome: ApprovalOutcome = Field(description="approve or reject.")
    try_number: int = Field(
        ge=1,
        description="The try it answers (a cleared task asks again, with a new try).",
    )
    comment: str | None = Field(default=None, description="Why (shown in the status).")
    by: str | None = Field(
        default=None, description="Who decided, as the client reports it (not verified)."
    )
