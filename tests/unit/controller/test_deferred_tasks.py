"""Deferred tasks on a fake cluster: a trigger creates its run once (a lost status
write included), a watched DAG's run wakes the runs watching it, and an answer in
the run's spec decides an approval."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kairflow.core import labels
from kairflow.core.cross_dag import trigger_mark, triggered_run_name
from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag, run

NOW = utc("2026-03-04T12:30:00Z")
TARGET = triggered_run_name("target", "r1", "trigger", 1)
WAIT = {"dag": "target", "conf": {"day": "{{ ds }}"}, "waitForCompletion": True}


@pytest.fixture
def harness() -> Iterator[ControllerHarness]:
    h = ControllerHarness(NOW, parallelism=8)
    yield h
    h.close()


def ti(h: ControllerHarness, task: str, name: str = "r1") -> dict[str, object]:
    return dict(h.status("dagruns", name)["taskInstances"][task])


def controller_and_target(h: ControllerHarness) -> None:
    h.apply("dags", dag("target", tasks=[{"name": "a", "bash": "echo a"}]))
    h.apply("dags", dag("ctrl", tasks=[{"name": "trigger", "triggerDagRun": WAIT}]))
    h.apply("dagruns", run("r1", "ctrl", logicalDate="2026-03-04T00:00:00Z"))


def test_a_trigger_creates_its_run_waits_for_it_and_pushes_its_run_id(
    harness: ControllerHarness,
) -> None:
    controller_and_target(harness)
    harness.settle()
    target = harness.cluster.objects[("dagruns", NS, TARGET)]
    assert target["spec"] == {
        "dagName": "target",
        "runType": "manual",
        "conf": {"day": "2026-03-04"},
    }
    assert target["metadata"]["annotations"] == {
        labels.TRIGGERED_BY: trigger_mark("r1", "trigger", 1)
    }
    assert target["metadata"]["ownerReferences"][0]["name"] == "target"
    assert (ti(harness, "trigger")["state"], ti(harness, "trigger")["triggeredRun"]) == (
        "deferred",
        TARGET,
    )
    assert harness.cluster.names("pods", NS) == [f"{TARGET}-a-1"]  # the target's, none of ours
    harness.pod_status(f"{TARGET}-a-1", "Succeeded", 0)
    harness.settle()
    run_id = harness.status("dagruns", TARGET)["runId"]
    assert harness.status("dagruns", "r1")["state"] == "success"
    assert ti(harness, "trigger")["xcom"] == run_id
    assert ti(harness, "trigger")["message"] == f"triggered target run {run_id} ended success"


def test_a_status_write_lost_after_the_create_never_makes_a_second_run(
    harness: ControllerHarness,
) -> None:
    controller_and_target(harness)
    for name in ("target", "ctrl"):
        harness.sync_dag(name)
    harness.sync_run("r1")  # the start: the DAG snapshot
    harness.deliver()
    harness.queued()
    # The write after the create is refused (409): the run is made, the status that
    # records it is not, as when the operator is killed in between.
    harness.cluster.write_behind_the_watch("dagruns", NS, "r1")
    harness.sync_run("r1")
    assert TARGET in harness.cluster.names("dagruns", NS)
    assert "triggeredRun" not in (
        ti(harness, "trigger") if harness.status("dagruns", "r1").get("taskInstances") else {}
    )
    # A new operator: an empty cache filled from the cluster, as after a restart.
    restarted = ControllerHarness(NOW, parallelism=8)
    restarted.cluster = harness.cluster
    restarted.runtime.writer = harness.cluster
    try:
        restarted.settle()
        targets = [n for n in harness.cluster.names("dagruns", NS) if n.startswith("target")]
        assert targets == [TARGET]
        assert ti(restarted, "trigger")["triggeredRun"] == TARGET
    finally:
        restarted.close()


def test_a_change_of_the_watched_dags_run_wakes_the_sensor(harness: ControllerHarness) -> None:
    sensor = {"name": "wait", "externalTask": {"dag": "target", "task": "a"}}
    harness.apply("dags", dag("target", tasks=[{"name": "a", "bash": "echo a"}]))
    harness.apply("dags", dag("ctrl", tasks=[sensor]))
    day = "2026-03-04T00:00:00Z"
    harness.apply("dagruns", run("r1", "ctrl", logicalDate=day))
    harness.apply("dagruns", run("t1", "target", logicalDate=day))
    harness.settle()
    assert ti(harness, "wait")["state"] == "deferred"
    harness.pod_status("t1-a-1", "Succeeded", 0)
    harness.sync_run("t1")
    asked = harness.queued()["dagruns"]
    assert (NS, "r1") in asked, "the other run's change wakes it"
    harness.sync_run("r1")
    harness.settle()
    assert ti(harness, "wait")["state"] == "success"
    assert harness.status("dagruns", "r1")["state"] == "success"


def test_an_answer_in_the_runs_spec_decides_an_approval(harness: ControllerHarness) -> None:
    tasks = [
        {"name": "approve", "approval": {"subject": "Ship {{ ds }}?"}},
        {"name": "ship", "bash": "echo ship", "dependsOn": ["approve"]},
    ]
    harness.apply("dags", dag("ctrl", tasks=tasks))
    harness.apply("dagruns", run("r1", "ctrl", logicalDate="2026-03-04T00:00:00Z"))
    harness.settle()
    assert ti(harness, "approve")["message"] == "awaiting approval: Ship 2026-03-04?"
    assert harness.cluster.names("pods", NS) == []
    answer = {"outcome": "approve", "tryNumber": 1, "by": "alice", "comment": "go"}
    body = harness.cluster.objects[("dagruns", NS, "r1")]
    harness.apply("dagruns", {**body, "spec": {**body["spec"], "approvals": {"approve": answer}}})
    harness.settle()
    approved = ti(harness, "approve")
    assert (approved["state"], approved["message"]) == ("success", "approved by alice: go")
    assert approved["approval"] == {
        "outcome": "approve",
        "by": "alice",
        "comment": "go",
        "at": NOW.isoformat(),
    }
    assert "TaskApproved" in harness.events.reasons()
    assert harness.cluster.names("pods", NS) == ["r1-ship-1"]
