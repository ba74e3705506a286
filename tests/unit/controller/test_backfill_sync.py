"""The Backfill controller's sync on a fake cluster: it creates or clears its runs
progressively and completes when they have all finished."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag


@pytest.fixture
def harness() -> Iterator[ControllerHarness]:
    h = ControllerHarness(utc("2026-03-04T12:30:00Z"))
    yield h
    h.close()


def test_a_backfill_that_reruns_completed_runs_completes(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(schedule="@daily", startDate="2026-03-01", paused=True))
    backfill = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "Backfill",
        "metadata": {"name": "first", "namespace": NS},
        "spec": {"dagName": "etl", "from": "2026-03-01", "to": "2026-03-02"},
    }

    def finish_pods() -> None:
        for pod in harness.cluster.names("pods", NS):
            if not harness.cluster.pod(NS, pod).get("status", {}).get("containerStatuses"):
                harness.pod_status(pod, "Succeeded", 0)

    harness.apply("backfills", backfill)
    for _ in range(4):
        harness.settle()
        finish_pods()
    assert harness.status("backfills", "first")["state"] == "completed"
    again = {**backfill, "metadata": {"name": "again", "namespace": NS}}
    again["spec"] = {**backfill["spec"], "reprocess": "completed"}
    harness.apply("backfills", again)
    for _ in range(4):
        harness.settle()
        finish_pods()
    status = harness.status("backfills", "again")
    assert (status["state"], status["progress"], status["succeeded"]) == ("completed", "2/2", 2)
