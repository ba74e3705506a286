"""A DagRun's `Succeeded` condition follows its state (table-driven, injected clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kairflow.api.common import ConditionStatus, DagRunState
from kairflow.api.dagrun import DagRunStatus
from kairflow.core.conditions import condition, set_run_condition

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "message", "expected"),
    [
        (None, "DAG 'x' not found in namespace ns", ("Unknown", "Pending", "DAG 'x' not found")),
        (None, None, ("Unknown", "Pending", "waiting to start")),
        (DagRunState.QUEUED, None, ("Unknown", "Queued", "waiting for a free run slot")),
        (DagRunState.RUNNING, None, ("Unknown", "Running", "2/5 task instances finished")),
        (DagRunState.SUCCESS, "ok", ("True", "Succeeded", "2/5 task instances finished")),
        (DagRunState.FAILED, "failed tasks: b", ("False", "Failed", "failed tasks: b")),
        (DagRunState.FAILED, None, ("False", "Failed", "failed")),
    ],
)
def test_the_condition_follows_the_run_state(
    state: DagRunState | None, message: str | None, expected: tuple[str, str, str]
) -> None:
    status = DagRunStatus(state=state, message=message, progress="2/5")
    set_run_condition(status, T0)
    got = condition(status.conditions, "Succeeded")
    assert got is not None
    assert (got.status.value, got.reason) == expected[:2]
    assert got.message.startswith(expected[2])
    assert len(status.conditions) == 1


def test_the_transition_time_moves_only_when_the_status_changes() -> None:
    status = DagRunStatus(state=DagRunState.RUNNING, progress="0/2")
    set_run_condition(status, T0)
    status.progress = "1/2"
    set_run_condition(status, T0 + timedelta(seconds=5))
    running = condition(status.conditions, "Succeeded")
    assert running is not None and running.last_transition_time == T0
    assert running.message == "1/2 task instances finished"
    status.state, status.progress = DagRunState.SUCCESS, "2/2"
    set_run_condition(status, T0 + timedelta(seconds=9))
    done = condition(status.conditions, "Succeeded")
    assert done is not None and done.status == ConditionStatus.TRUE
    assert done.last_transition_time == T0 + timedelta(seconds=9)
    assert len(status.conditions) == 1
