"""Deadline alerts: when each of a run's deadlines falls, and what a missed one does.

Pure and level-triggered: every pass computes each deadline from the run (its queued
time, its logical date, or a fixed time, plus the interval). Before it, the pass asks
to be woken at it (no polling: `Plan.wake_at`). At or after it, a run not finished
then (still running, or finished later than it) misses it: the pass notes the
transition that fires the deadline's callback (`core.callbacks`), posts a Warning
Event and sets the condition DeadlineMissed; the run goes on. A run that finished
before the deadline cancels it.

Exactly once: the firing is recorded in `status.callbacks` (kind `deadline`, index
= the deadline's) in the same status write, and its pod name is deterministic, so a
restarted operator neither fires it again nor loses it (it fires late, on its first
pass, if it was down at the deadline).
"""

from __future__ import annotations

from datetime import datetime

from kairflow.api.callbacks import CallbackKind
from kairflow.api.deadlines import DeadlineReference, DeadlineSpec
from kairflow.core.conditions import set_condition
from kairflow.core.run_state import RunPass
from kairflow.core.times import iso, parse_time

DEADLINE_MISSED = "DeadlineMissed"


def deadline_at(deadline: DeadlineSpec, state: RunPass) -> datetime | None:
    """The moment `deadline` falls for this run (None: not known yet, a run not queued)."""
    if deadline.reference == DeadlineReference.DAGRUN_QUEUED_AT:
        reference = parse_time(state.status.queued_at)
    elif deadline.reference == DeadlineReference.DAGRUN_LOGICAL_DATE:
        reference = state.run.logical_date
    else:
        reference = deadline.datetime
    return None if reference is None else reference + deadline.interval


def _fired(state: RunPass, index: int) -> bool:
    return any(c.kind == CallbackKind.DEADLINE and c.index == index for c in state.status.callbacks)


def check(state: RunPass) -> None:
    """Fire the deadlines this run has missed (once each); wake at the next one."""
    status = state.status
    ended = parse_time(status.end_date) if status.state and status.state.finished else None
    missed: list[str] = []
    for index, deadline in enumerate(state.run.spec.deadlines):
        at = deadline_at(deadline, state)
        if at is None:
            continue
        if _fired(state, index):
            missed.append(f"{deadline.label} at {iso(at)}")
            continue
        if ended is not None and ended <= at:
            continue  # met: the run finished in time
        if state.now < at:
            if ended is None:
                state.wake(at)
            continue
        message = f"missed deadline {deadline.label} ({iso(at)})"
        run_state = status.state.value if status.state else "queued"
        state.note(CallbackKind.DEADLINE, None, 1, run_state, message, index)
        state.event("Warning", DEADLINE_MISSED, f"run {state.run.run_id} {message}")
        missed.append(f"{deadline.label} at {iso(at)}")
    if missed:
        set_condition(
            status.conditions,
            DEADLINE_MISSED,
            True,
            DEADLINE_MISSED,
            "missed: " + ", ".join(missed),
            None,
            state.now,
        )
