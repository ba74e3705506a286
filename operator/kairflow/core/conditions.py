"""Kubernetes-style conditions on a status, with transition times that only move
when the status actually changes."""

from __future__ import annotations

from datetime import datetime

from kairflow.api.common import Condition, ConditionStatus, DagRunState
from kairflow.api.dagrun import DagRunStatus

SUCCEEDED = "Succeeded"


def set_condition(
    conditions: list[Condition],
    type_: str,
    ok: bool | ConditionStatus,
    reason: str,
    message: str,
    generation: int | None,
    now: datetime,
) -> bool:
    """Upsert a condition; True when its status, reason or message changed."""
    if isinstance(ok, ConditionStatus):
        status = ok
    else:
        status = ConditionStatus.TRUE if ok else ConditionStatus.FALSE
    for index, current in enumerate(conditions):
        if current.type != type_:
            continue
        changed = (current.status, current.reason, current.message) != (status, reason, message)
        conditions[index] = Condition(
            type=type_,
            status=status,
            reason=reason,
            message=message,
            last_transition_time=now if current.status != status else current.last_transition_time,
            observed_generation=generation,
        )
        return changed
    conditions.append(
        Condition(
            type=type_,
            status=status,
            reason=reason,
            message=message,
            last_transition_time=now,
            observed_generation=generation,
        )
    )
    return True


def condition(conditions: list[Condition], type_: str) -> Condition | None:
    return next((c for c in conditions if c.type == type_), None)


def set_run_condition(status: DagRunStatus, now: datetime) -> None:
    """A run's `Succeeded` condition (as Tekton's runs have): Unknown until the run
    finishes, then True or False; so `kubectl wait --for=condition=Succeeded` (or
    `--for=condition=Succeeded=False`) waits for a run's end like for a Job's."""
    state, progress = status.state, status.progress or "0/0"
    value, reason = ConditionStatus.UNKNOWN, "Pending"
    message = status.message or "waiting to start"
    if state == DagRunState.QUEUED:
        reason, message = "Queued", status.message or "waiting for a free run slot"
    elif state == DagRunState.RUNNING:
        reason, message = "Running", f"{progress} task instances finished"
    elif state == DagRunState.SUCCESS:
        value, reason = ConditionStatus.TRUE, "Succeeded"
        message = f"{progress} task instances finished"
    elif state == DagRunState.FAILED:
        value, reason, message = ConditionStatus.FALSE, "Failed", status.message or "failed"
    set_condition(status.conditions, SUCCEEDED, value, reason, message, None, now)
