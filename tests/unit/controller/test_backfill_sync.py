"""The Backfill controller's sync on a fake cluster: it creates or clears its runs
progressively and completes when they have all finished."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kairflow.core import backfill_plan
from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag


@pytest.fixture
def harness() -> Iterator[ControllerHarness]:
    h = ControllerHarness(utc("2026-03-04T12:30:00Z"))
    yield h
    h.close()


def finish_pods(harness: ControllerHarness) -> None:
    for pod in harness.cluster.names("pods", NS):
        if not harness.cluster.pod(NS, pod).get("status", {}).get("containerStatuses"):
            harness.pod_status(pod, "Succeeded", 0)


def test_a_backfill_that_reruns_completed_runs_completes(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(schedule="@daily", startDate="2026-03-01", paused=True))
    backfill = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "Backfill",
        "metadata": {"name": "first", "namespace": NS},
        "spec": {"dagName": "etl", "from": "2026-03-01", "to": "2026-03-02"},
    }

    harness.apply("backfills", backfill)
    for _ in range(4):
        harness.settle()
        finish_pods(harness)
    assert harness.status("backfills", "first")["state"] == "completed"
    again = {**backfill, "metadata": {"name": "again", "namespace": NS}}
    again["spec"] = {**backfill["spec"], "reprocess": "completed"}
    harness.apply("backfills", again)
    for _ in range(4):
        harness.settle()
        finish_pods(harness)
    status = harness.status("backfills", "again")
    assert (status["state"], status["progress"], status["succeeded"]) == ("completed", "2/2", 2)


def test_a_backfill_planned_by_an_older_operator_goes_on_with_what_is_left(
    harness: ControllerHarness,
) -> None:
    harness.apply("dags", dag(schedule="@daily", startDate="2026-03-01", paused=True))
    backfill = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "Backfill",
        "metadata": {"name": "old", "namespace": NS},
        "spec": {
            "dagName": "etl",
            "from": "2026-03-01",
            "to": "2026-03-03",
            "maxActiveRuns": 1,
            "reprocess": "completed",
        },
    }
    harness.apply("backfills", backfill)
    harness.settle()
    first = "etl-backfill-20260301t000000"
    assert harness.cluster.names("dagruns", NS) == [first]
    finish_pods(harness)
    harness.sync_run(first)
    assert harness.status("dagruns", first)["state"] == "success"
    # As an older operator left it, its first run made (and finished since): the
    # counts, and a list of dates still to start that the new schema does not have.
    stored = harness.cluster.objects[("backfills", NS, "old")]
    pending = [
        {"logicalDate": f"2026-03-0{day}T00:00:00+00:00", "action": "create"} for day in (2, 3)
    ]
    legacy = {"state": "running", "total": 3, "created": 1, "progress": "0/3", "pending": pending}
    harness.apply("backfills", {**stored, "status": legacy})
    for _ in range(6):
        harness.settle()
        finish_pods(harness)
    status = harness.status("backfills", "old")
    assert (status["state"], status["total"], status["created"]) == ("completed", 3, 3)
    assert status["succeeded"] == 3
    # Its own finished run is not run again, though reprocess is completed.
    assert harness.cluster.objects[("dagruns", NS, first)]["spec"].get("clear") is None
    assert sorted(harness.cluster.names("dagruns", NS)) == [
        first,
        "etl-backfill-20260302t000000",
        "etl-backfill-20260303t000000",
    ]


def test_a_plan_over_the_limit_fails_with_a_condition_and_starts_nothing(
    harness: ControllerHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stretches of dates a plan writes down are capped (500; 2 here): past the
    cap the Backfill says so and makes no run, rather than a status it cannot write."""
    monkeypatch.setattr(backfill_plan, "MAX_EXCEPTIONS", 2)
    harness.apply("dags", dag(schedule="@daily", startDate="2026-03-01", paused=True))
    first = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "Backfill",
        "metadata": {"name": "first", "namespace": NS},
        "spec": {"dagName": "etl", "from": "2026-03-01", "to": "2026-03-03"},
    }
    harness.apply("backfills", first)
    for _ in range(4):  # March 2nd fails, the 1st and 3rd succeed
        harness.settle()
        for pod in harness.cluster.names("pods", NS):
            if not harness.cluster.pod(NS, pod).get("status", {}).get("containerStatuses"):
                harness.pod_status(pod, "Failed" if "20260302" in pod else "Succeeded", 0)
    assert harness.status("backfills", "first")["failed"] == 1
    pods = harness.cluster.names("pods", NS)

    # Kept, cleared, kept: three stretches.
    again = {**first, "metadata": {"name": "again", "namespace": NS}}
    again["spec"] = {**first["spec"], "reprocess": "failed"}
    harness.apply("backfills", again)
    harness.settle()
    status = harness.status("backfills", "again")
    assert (status["state"], status["total"]) == ("failed", 0)
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "PlanTooLarge")
    assert ready["message"].startswith("the plan has 3 separate stretches of dates whose runs")
    assert "plan" not in status and "nextLogicalDate" not in status
    assert harness.cluster.names("pods", NS) == pods  # nothing run again
