"""Tasks the operator decides itself (Airflow's deferred tasks): triggerDagRun,
externalTask and approval. One mechanism for the three.

When its trigger rule lets it run, such a task instance starts a new try in state
`deferred`: no pod, no slot (capacity counts only queued and running ones). Each
planner pass then asks its kind for a `Decision` from what the operator observes
outside the run (`Surroundings`: DAGs of the namespace and their runs, the run's
approval answers) and `now`: wait (saying why, maybe until a time), or finish
(success, failed or skipped, with an XCom), and maybe create a run of another DAG.

Waking: a run whose deferred task instances watch a DAG (`ObservedRun.watches`) is
synced whenever a run of that DAG changes, its own spec changing (an approval) syncs
it anyway, and timeouts are wake-up times. Nothing polls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from kairflow.api.approval import ApprovalDecision
from kairflow.api.common import TaskInstanceState
from kairflow.api.dag import TaskSpec
from kairflow.api.dagrun import ApprovalRecord, TaskInstanceStatus
from kairflow.core.observations import ObservedDag, ObservedRun
from kairflow.core.run_model import CreateDagRun, RunContext
from kairflow.core.times import parse_time

TI = TaskInstanceState
EventSpec = tuple[Literal["Normal", "Warning"], str, str]
"""An Event's type, reason and message."""


@dataclass(frozen=True)
class Surroundings:
    """What deferred task instances observe outside their own run (same namespace)."""

    dags: Mapping[str, ObservedDag] = field(default_factory=dict)
    """The watched DAGs that exist, by name."""
    runs: Mapping[str, Sequence[ObservedRun]] = field(default_factory=dict)
    """The runs of each watched DAG."""
    approvals: Mapping[str, ApprovalDecision] = field(default_factory=dict)
    """The run's spec.approvals: answers by task instance key."""


@dataclass(frozen=True)
class DeferredTask:
    """One deferred task instance, as its kind sees it."""

    key: str
    task: TaskSpec
    ti: TaskInstanceStatus
    run: RunContext
    surroundings: Surroundings
    now: datetime
    render: Callable[[str, str], str]
    """Render a templated field (source, where) in the task instance's context; raises
    TemplateError."""

    @property
    def started(self) -> datetime:
        """When this try started waiting."""
        return parse_time(self.ti.start_date) or self.now


@dataclass(frozen=True)
class Decision:
    """A kind's decision for one pass. `state` None: still waiting."""

    message: str | None
    state: TI | None = None
    xcom: Any = None
    wake_at: datetime | None = None
    create: CreateDagRun | None = None
    triggered_run: str | None = None
    approval: ApprovalRecord | None = None
    event: EventSpec | None = None
    retry: bool = False
    """A failure that another try may not repeat (a triggered run that failed):
    retried per the task's retries, as a failed pod would be."""


def waiting(message: str, wake_at: datetime | None = None, **more: Any) -> Decision:
    return Decision(message, wake_at=wake_at, **more)


def finished(state: TI, message: str, **more: Any) -> Decision:
    return Decision(message, state=state, **more)


def failed(task: DeferredTask, message: str, **more: Any) -> Decision:
    """Failed, with a Warning Event saying why; for good unless `retry=True`."""
    event: EventSpec = ("Warning", "TaskFailed", f"{task.key} try {task.ti.try_number}: {message}")
    return Decision(message, state=TI.FAILED, event=event, **more)


Decide = Callable[[DeferredTask], Decision]
