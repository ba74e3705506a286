"""Answers to approval tasks in `kairflow dags test`: `--approve` or `--reject`
answers every one; without either, a terminal is asked each time; otherwise an
approval waits for its timeout (`--no-retry-delay` skips the wait) and, without one,
the run stops there saying how to answer."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console

from kairflow.api.approval import ApprovalDecision, ApprovalOutcome
from kairflow.api.common import TaskInstanceState
from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import DagRunStatus
from kairflow.cli.errors import UserError
from kairflow.core.deferred import Surroundings

BY = "dags test"


@dataclass
class LocalAnswers:
    spec: DAGSpec
    outcome: ApprovalOutcome | None
    """--approve / --reject; None: ask (`ask`), or leave unanswered."""
    ask: Callable[[str, str], bool] | None = None
    """(task instance, what it asks) -> approved?; None when nobody can be asked."""
    given: dict[str, ApprovalDecision] = field(default_factory=dict)

    @property
    def will_ask(self) -> bool:
        """Someone will be asked (the live view then stays off: it would hide the question)."""
        return self.ask is not None and any(t.approval is not None for t in self.spec.tasks)

    def __call__(self, status: DagRunStatus) -> Surroundings:
        approvals = {t.name for t in self.spec.tasks if t.approval is not None}
        for key, ti in status.task_instances.items():
            if ti.state != TaskInstanceState.DEFERRED or key.split("[", 1)[0] not in approvals:
                continue
            known = self.given.get(key)
            if known is not None and known.try_number == ti.try_number:
                continue
            outcome = self.outcome
            if outcome is None and self.ask is not None:
                approved = self.ask(key, ti.message or "")
                outcome = ApprovalOutcome.APPROVE if approved else ApprovalOutcome.REJECT
            if outcome is not None:
                self.given[key] = ApprovalDecision(outcome=outcome, try_number=ti.try_number, by=BY)
        return Surroundings(approvals=dict(self.given))


def local_answers(
    spec: DAGSpec, approve: bool, reject: bool, console: Console | None
) -> LocalAnswers:
    """`console`: where to ask, when it is a terminal (None: output is for scripts)."""
    if approve and reject:
        raise UserError("--approve and --reject: choose one")
    outcome = ApprovalOutcome.APPROVE if approve else ApprovalOutcome.REJECT if reject else None
    if outcome is not None or console is None or not (console.is_terminal and sys.stdin.isatty()):
        return LocalAnswers(spec, outcome)
    terminal = console

    def ask(key: str, message: str) -> bool:
        terminal.print(f"[bold]{key}[/]: {message}")
        return terminal.input("approve? [y/N] ").strip().lower() in ("y", "yes")

    return LocalAnswers(spec, None, ask)


def note_other_dags(spec: DAGSpec, console: Console) -> None:
    if any(t.trigger_dag_run or t.external_task for t in spec.tasks):
        console.print(
            "[dim]note: dags test runs one DAG: a triggerDagRun task fails (no DAG to "
            "trigger), an externalTask sensor waits for its timeout[/]"
        )


def unanswered(status: DagRunStatus) -> list[str]:
    """Approval task instances still waiting when a run stopped."""
    return [
        key
        for key, ti in status.task_instances.items()
        if ti.state == TaskInstanceState.DEFERRED
        and (ti.message or "").startswith("awaiting approval")
    ]
