"""Kubernetes-style conditions on a status, with transition times that only move
when the status actually changes."""

from __future__ import annotations

from datetime import datetime

from kairflow.api.common import Condition, ConditionStatus


def set_condition(
    conditions: list[Condition],
    type_: str,
    ok: bool,
    reason: str,
    message: str,
    generation: int | None,
    now: datetime,
) -> bool:
    """Upsert a condition; True when its status, reason or message changed."""
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
