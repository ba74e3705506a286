"""A run's records never grow past what can be written: over the limit, nothing new
starts, and the run says why.

A DagRun's status and its TaskInstanceSlices (`core.task_instance_slices`) record
its task instances; no single object outgrows etcd's request limit, but a run's
records in all are bounded too (`limit`, 64 MiB by default: a run of 100,000 task
instances takes about 25 MB), so that one run cannot fill etcd. A record that cannot
be written is the one failure a run must never have silently: pods started by a pass
whose status is lost run unrecorded. So each pass is sized before it is applied; a
pass that would pass the limit is made again starting nothing (it still records
tries that ended, and ready task instances as `scheduled`, a few dozen bytes each:
see `ceiling`), and the run gets a `TooLarge` condition and one Warning Event. Should
even that pass `ceiling(limit)`, the pass is dropped and only the condition is added
to the status as it was. It clears once the status fits again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from kairflow.api.common import ConditionStatus
from kairflow.api.dagrun import DagRunStatus
from kairflow.core.conditions import condition, set_condition
from kairflow.core.run_model import Capacity, Plan, RecordEvent

TOO_LARGE = "TooLarge"
DEFAULT_LIMIT = 64 * 1024 * 1024
"""Bytes of a run's status JSON, its task instances included wherever they are kept."""
NOTHING = Capacity(slots=0)
"""What a pass may start when it must start nothing (it may still end tries)."""


def status_bytes(status: DagRunStatus) -> int:
    """The size of the status as written (compact JSON)."""
    return len(json.dumps(status.to_wire(), separators=(",", ":"), default=str).encode())


def ceiling(limit: int) -> int:
    """How far past `limit` a pass that starts nothing may still be written (it records
    tries that ended): a quarter more."""
    return limit + limit // 4


def _kib(size: int) -> str:
    return f"{size / 1024:,.0f} KiB"


def bounded(
    make: Callable[[Capacity], Plan],
    capacity: Capacity,
    limit: int | None,
    now: datetime,
    before: DagRunStatus,
) -> Plan:
    """`make(capacity)` (no bound when `limit` is None: `dags test`, where nothing is
    written to etcd), or `make(NOTHING)` when its status would pass `limit` bytes
    (then with the TooLarge condition and an Event the first time). When even that
    passes `ceiling(limit)`, the pass is dropped: `before` (the status as last
    written) with the condition is written, and nothing else is done."""
    result = make(capacity)
    if limit is None:
        return result
    size = status_bytes(result.status)
    if size <= limit:
        if (found := condition(result.status.conditions, TOO_LARGE)) is not None and (
            found.status == ConditionStatus.TRUE
        ):
            message = f"the status is {_kib(size)}, within the limit of {_kib(limit)}"
            set_condition(result.status.conditions, TOO_LARGE, False, "Fits", message, None, now)
        return result
    if capacity != NOTHING:
        result = make(NOTHING)
        size = status_bytes(result.status)
    message = (
        f"the status would be {_kib(size)}, over the limit of {_kib(limit)} "
        "(KAIRFLOW_MAX_RUN_STATUS_KIB): no task instance starts while it does not fit"
    )
    actions = result.actions
    if size > ceiling(limit):
        result = Plan(status=before.fresh_copy(), actions=(), wake_at=result.wake_at)
        actions = ()
    status = result.status
    found = condition(status.conditions, TOO_LARGE)
    newly = found is None or found.status != ConditionStatus.TRUE
    set_condition(status.conditions, TOO_LARGE, True, "StatusOverLimit", message, None, now)
    if not newly:
        return Plan(status=status, actions=actions, wake_at=result.wake_at)
    event = RecordEvent("Warning", "RunTooLarge", message)
    return Plan(status=status, actions=(*actions, event), wake_at=result.wake_at)
