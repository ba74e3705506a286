"""`kairflow tasks approve|reject RUN TASK [--comment TEXT]`: answer an approval task
(Airflow 3.1's HITL ApprovalOperator). The answer goes to the run's spec.approvals,
naming the kubeconfig's user as who decided (recorded as reported: RBAC on the
DagRun decides who may answer; the apiserver's audit log has who really did)."""

from __future__ import annotations

from typing import Annotated

import typer

from kairflow.api.approval import ApprovalOutcome
from kairflow.cli.kube import config_user
from kairflow.cli.options import Context, Kubeconfig, Namespace, RunName, connect
from kairflow.cli.output import console
from kairflow.requests.approval import answer_for, approval_patch

Comment = Annotated[
    str | None, typer.Option("--comment", "-m", help="Why (shown in the task's status).")
]
Task = Annotated[str, typer.Argument(metavar="TASK", help="The approval task (task[i] if mapped).")]


def _answer(
    outcome: ApprovalOutcome,
    run: str,
    task: str,
    comment: str | None,
    namespace: str | None,
    context: str | None,
    kubeconfig: str | None,
) -> None:
    cluster = connect(namespace, context, kubeconfig)
    found = cluster.get("dagruns", run)
    answer = answer_for(found, task, outcome, comment, config_user(kubeconfig, context))
    cluster.patch("dagruns", run, approval_patch(task, answer))
    done = "approved" if outcome == ApprovalOutcome.APPROVE else "rejected"
    console().print(f"dagrun.kairflow.io/{run} {task} {done} (try {answer.try_number})")


def tasks_approve(
    run: RunName,
    task: Task,
    comment: Comment = None,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Approve an approval task waiting for an answer: the run goes on."""
    _answer(ApprovalOutcome.APPROVE, run, task, comment, namespace, context, kubeconfig)


def tasks_reject(
    run: RunName,
    task: Task,
    comment: Comment = None,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Reject an approval task: it fails (or skips, with onReject: skip)."""
    _answer(ApprovalOutcome.REJECT, run, task, comment, namespace, context, kubeconfig)
