"""A DagRun's passes on a fake cluster: given this cache, this run and this clock,
the sync makes these API calls, writes this status and wakes up then."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag, run

NOW = utc("2026-03-04T12:30:00Z")


@pytest.fixture
def harness() -> Iterator[ControllerHarness]:
    h = ControllerHarness(NOW, parallelism=8)
    yield h
    h.close()


def states(h: ControllerHarness, name: str = "r1") -> dict[str, str]:
    tis = h.status("dagruns", name).get("taskInstances") or {}
    return {key: ti.get("state", "none") for key, ti in tis.items()}


def started(h: ControllerHarness, task_spec: dict[str, Any] | None = None, **dag_spec: Any) -> None:
    """A DAG `a >> b` and a manual run r1 of it, synced until nothing more happens."""
    tasks = [
        {"name": "a", "bash": "echo a", **(task_spec or {})},
        {"name": "b", "bash": "echo b", "dependsOn": ["a"]},
    ]
    h.apply("dags", dag(tasks=tasks, **dag_spec))
    h.apply("dagruns", run("r1"))
    h.settle()


def test_a_pass_creates_the_ready_tasks_pod_and_waits_for_it(harness: ControllerHarness) -> None:
    started(harness)
    assert harness.cluster.names("pods", NS) == ["r1-a-1"]
    assert states(harness) == {"a": "queued", "b": "none"}
    assert harness.events.reasons() == ["RunStarted"]


def test_a_finished_pod_hands_off_to_the_downstream_task(harness: ControllerHarness) -> None:
    started(harness)
    harness.pod_status("r1-a-1", "Succeeded", 0, message='"hello"')
    harness.settle()
    assert harness.cluster.names("pods", NS) == ["r1-a-1", "r1-b-1"]
    assert harness.status("dagruns", "r1")["taskInstances"]["a"]["xcom"] == "hello"


@pytest.mark.parametrize(
    ("task_spec", "state", "events", "wake"),
    [
        pytest.param(
            {},
            "failed",
            ["RunStarted", "TaskFailed"],
            None,
            id="a pod the API refuses fails its try, with a TaskFailed event",
        ),
        pytest.param(
            {"retries": 1, "retryDelay": "2m"},
            "up_for_retry",
            ["RunStarted", "TaskRetrying"],
            NOW + timedelta(minutes=2),
            id="a refused pod with retries left is retried after the retry delay",
        ),
    ],
)
def test_a_pod_the_api_refuses_fails_through_the_core(
    harness: ControllerHarness,
    task_spec: dict[str, Any],
    state: str,
    events: list[str],
    wake: Any,
) -> None:
    harness.cluster.reject_pods["r1-a-1"] = 'Pod "r1-a-1" is invalid: spec.containers[0].image'
    started(harness, task_spec)
    ti = harness.status("dagruns", "r1")["taskInstances"]["a"]
    assert ti["state"] == state
    assert ti["message"].startswith('pod rejected by the API: Pod "r1-a-1" is invalid')
    assert harness.events.reasons()[: len(events)] == events
    if wake is not None:
        assert harness.sync_run("r1") == wake
    else:
        # b's trigger rule (all_success) cannot pass: the run fails, nothing retries.
        assert states(harness) == {"a": "failed", "b": "upstream_failed"}
        assert harness.status("dagruns", "r1")["state"] == "failed"


def test_a_refused_pod_whose_retry_is_due_at_once_is_retried_in_the_same_sync(
    harness: ControllerHarness,
) -> None:
    harness.cluster.reject_pods["r1-a-1"] = "forbidden: service account"
    started(harness, {"retries": 1, "retryDelay": "0s"})
    assert harness.cluster.names("pods", NS) == ["r1-a-2"]
    assert harness.status("dagruns", "r1")["taskInstances"]["a"]["tryNumber"] == 2


def test_the_sync_wakes_when_the_retry_is_due(harness: ControllerHarness) -> None:
    started(harness, {"retries": 2, "retryDelay": "5m"})
    harness.clock.advance(timedelta(seconds=30))
    harness.pod_status("r1-a-1", "Failed", 1)
    wakes = harness.settle()
    assert states(harness)["a"] == "up_for_retry"
    assert wakes[(NS, "r1")] == utc("2026-03-04T12:35:30Z")


def test_a_stale_status_write_reads_the_run_again_and_plans_again(
    harness: ControllerHarness,
) -> None:
    started(harness)
    harness.cluster.write_behind_the_watch("dagruns", NS, "r1")
    harness.pod_status("r1-a-1", "Succeeded", 0)
    harness.settle()
    calls = harness.cluster.verbs("replace_status", "get")
    assert ("get", "dagruns", "r1") in calls
    assert states(harness) == {"a": "success", "b": "queued"}
    assert harness.events.reasons().count("RunStarted") == 1


def test_a_run_waits_while_max_active_runs_are_running(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(maxActiveRuns=1))
    harness.apply("dagruns", run("r1", logicalDate="2026-03-01T00:00:00Z"))
    harness.apply("dagruns", run("r2", logicalDate="2026-03-02T00:00:00Z"))
    harness.settle()
    assert harness.status("dagruns", "r1")["state"] == "running"
    assert harness.status("dagruns", "r2")["state"] == "queued"
    harness.pod_status("r1-extract-1", "Succeeded", 0)
    harness.settle()
    assert harness.status("dagruns", "r1")["state"] == "success"
    assert harness.status("dagruns", "r2")["state"] == "running"


def test_parallelism_counts_the_task_instances_of_every_dag(harness: ControllerHarness) -> None:
    wide = [{"name": f"t{i}", "bash": "true"} for i in range(6)]
    harness.apply("dags", dag("one", tasks=wide))
    harness.apply("dags", dag("two", tasks=wide))
    harness.apply("dagruns", run("r1", "one"))
    harness.apply("dagruns", run("r2", "two"))
    harness.settle()
    assert len(harness.cluster.names("pods", NS)) == 8  # parallelism=8
    waiting = [
        ti["message"]
        for name in ("r1", "r2")
        for ti in harness.status("dagruns", name)["taskInstances"].values()
        if ti["state"] == "scheduled"
    ]
    assert waiting == ["waiting for a free slot (maxActiveTasks / parallelism)"] * 4
    # One finishes: a run waiting for a slot is woken and takes it.
    harness.pod_status("r1-t0-1", "Succeeded", 0)
    harness.settle()
    assert len(harness.cluster.names("pods", NS)) == 9


def test_a_try_outcome_survives_a_status_write_that_conflicts(harness: ControllerHarness) -> None:
    started(harness)
    harness.cluster.set_pod_status(
        NS,
        "r1-a-1",
        {
            "phase": "Pending",
            "containerStatuses": [
                {
                    "name": "base",
                    "state": {"waiting": {"reason": "InvalidImageName", "message": "bad:ta:g"}},
                }
            ],
        },
    )
    harness.cluster.write_behind_the_watch("dagruns", NS, "r1")
    harness.deliver()
    harness.sync_run("r1")
    assert harness.cluster.names("pods", NS) == ["r1-a-1"]  # kept: nothing explains it yet
    harness.settle()
    ti = harness.status("dagruns", "r1")["taskInstances"]["a"]
    assert (ti["state"], ti["message"]) == ("failed", "InvalidImageName: bad:ta:g")
    assert harness.cluster.names("pods", NS) == []  # deleted once the failure is written
