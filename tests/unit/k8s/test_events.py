"""The Event a sync posts on an object, at the clock's time (no I/O here)."""

from __future__ import annotations

from datetime import UTC, datetime

from kairflow.k8s.events import event_body

RUN = {
    "apiVersion": "kairflow.io/v1alpha1",
    "kind": "DagRun",
    "metadata": {"name": "etl-manual-1", "namespace": "team", "uid": "u-1"},
}


def test_an_event_names_its_object_and_carries_the_clocks_time() -> None:
    at = datetime(2026, 3, 4, 12, 30, 5, 123456, tzinfo=UTC)
    body = event_body(RUN, "Warning", "TaskFailed", "a try 1 failed: exit code 1", at)
    assert body["involvedObject"] == {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DagRun",
        "name": "etl-manual-1",
        "namespace": "team",
        "uid": "u-1",
    }
    assert body["metadata"] == {"generateName": "etl-manual-1.", "namespace": "team"}
    assert (body["type"], body["reason"]) == ("Warning", "TaskFailed")
    assert body["firstTimestamp"] == body["lastTimestamp"] == "2026-03-04T12:30:05Z"


def test_a_long_message_is_cut_to_what_the_api_accepts() -> None:
    at = datetime(2026, 3, 4, tzinfo=UTC)
    assert len(event_body(RUN, "Normal", "RunStarted", "x" * 5000, at)["message"]) == 1024


def test_an_event_says_which_replica_posted_it() -> None:
    at = datetime(2026, 3, 4, tzinfo=UTC)
    body = event_body(RUN, "Normal", "RunStarted", "started", at, instance="kairflow-7f9-abc")
    assert body["reportingInstance"] == "kairflow-7f9-abc"
    assert body["source"] == {"component": "kairflow", "host": "kairflow-7f9-abc"}
