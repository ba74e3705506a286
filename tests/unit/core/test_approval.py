"""approval (Airflow 3.1's HITL ApprovalOperator), decided by the planner from the
run's spec.approvals: rows are a pass over a run whose task `approve` waits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kairflow.api.approval import ApprovalDecision
from kairflow.core.deferred import Surroundings
from tests.unit.core.planner_harness import T0, Simulation, make_run, make_spec


def answer(outcome: str, try_number: int = 1, **more: Any) -> ApprovalDecision:
    return ApprovalDecision.model_validate({"outcome": outcome, "tryNumber": try_number, **more})


def simulate(**approval: Any) -> Simulation:
    spec = make_spec(
        [
            {"name": "approve", "approval": {"subject": "Deploy {{ ds }}?", **approval}},
            {"name": "deploy", "bash": "true", "dependsOn": ["approve"]},
        ]
    )
    return Simulation(make_run(spec))


def test_it_waits_holding_no_pod_and_says_what_is_asked() -> None:
    sim = simulate(body="{{ params | length }} params", assignees=["alice", "bob"])
    sim.step()
    ti = sim.status.task_instances["approve"]
    assert ti.state == "deferred"
    assert ti.message == "awaiting approval: Deploy 2024-01-01? (asked: alice, bob) — 0 params"
    assert sim.pods == {} and sim.plans[-1].wake_at is None  # no timeout: nothing to wake for


@pytest.mark.parametrize(
    ("approval", "given", "state", "message", "deploy"),
    [
        pytest.param(
            {}, answer("approve", by="alice", comment="looks good"), "success",
            "approved by alice: looks good", "queued",
            id="an approval lets the run go on",
        ),
        pytest.param(
            {}, answer("reject", by="bob"), "failed", "rejected by bob", "upstream_failed",
            id="a rejection fails the task by default",
        ),
        pytest.param(
            {"onReject": "skip"}, answer("reject", by="bob"), "skipped", "rejected by bob",
            "skipped",
            id="with onReject skip a rejection skips the task and what follows",
        ),
        pytest.param(
            {}, answer("approve", try_number=2), "deferred",
            "awaiting approval: Deploy 2024-01-01?", "none",
            id="an answer to another try is not this try's answer",
        ),
        pytest.param(
            {}, answer("approve"), "success", "approved by an unnamed user", "queued",
            id="an answer that names nobody still counts",
        ),
    ],
)  # fmt: skip
def test_an_answer(
    approval: dict[str, Any], given: ApprovalDecision, state: str, message: str, deploy: str
) -> None:
    sim = simulate(**approval)
    sim.step()
    sim.surroundings = Surroundings(approvals={"approve": given})
    sim.step()
    ti = sim.status.task_instances["approve"]
    assert (ti.state, ti.message, sim.states()["deploy"]) == (state, message, deploy)
    if state != "deferred":
        assert ti.approval is not None
        assert (ti.approval.outcome, ti.approval.by) == (given.outcome, given.by)
        assert ti.approval.at == T0.isoformat()
        [event] = [e for e in sim.events if e.reason in ("TaskApproved", "TaskRejected")]
        assert event.message == f"approve {message}"


@pytest.mark.parametrize(
    ("default", "state", "message"),
    [
        pytest.param("reject", "failed", "rejected by the timeout",
                     id="the default outcome is a rejection"),
        pytest.param("approve", "success", "approved by the timeout",
                     id="a default approve approves"),
    ],
)  # fmt: skip
def test_the_timeout_applies_the_default_outcome(default: str, state: str, message: str) -> None:
    sim = simulate(timeout="2h", defaultOutcome=default)
    first = sim.step()
    assert first.wake_at == T0 + timedelta(hours=2)
    sim.now = T0 + timedelta(hours=2)
    sim.step()
    ti = sim.status.task_instances["approve"]
    assert (ti.state, ti.message) == (state, message)
    assert ti.approval is not None and ti.approval.by == "timeout"


def test_an_approval_holds_no_slot() -> None:
    spec = make_spec(
        [{"name": "approve", "approval": {"subject": "ok?"}}, {"name": "work", "bash": "true"}],
        maxActiveTasks=1,
    )
    sim = Simulation(make_run(spec))
    sim.step()
    assert sim.states() == {"approve": "deferred", "work": "queued"}
    assert sim.status.state == "running", "a deferred task is no deadlock"
