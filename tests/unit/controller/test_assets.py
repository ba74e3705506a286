"""Assets on a fake cluster: a producing task's success records its event on the
Asset (created on the first one), the consumer DAG gets one run with the events, a
retried sync records nothing twice, and without the Asset CRD runs still finish."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from kairflow.core.assets import asset_name
from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag, run

NOW = utc("2026-03-04T12:30:00Z")
URI = "s3://w/orders"
PRODUCER = [
    {"name": "write", "bash": "true", "outlets": [URI]},
    {"name": "mark", "outlets": ["s3://w/empty"], "dependsOn": ["write"]},
]


@pytest.fixture
def harness() -> Iterator[ControllerHarness]:
    h = ControllerHarness(NOW)
    yield h
    h.close()


def events(h: ControllerHarness, uri: str) -> list[dict[str, object]]:
    key = ("assets", NS, asset_name(uri))
    body = h.cluster.objects.get(key)
    return list(((body or {}).get("status") or {}).get("events") or [])


def asset_runs(h: ControllerHarness) -> list[str]:
    return [
        name
        for name in h.cluster.names("dagruns", NS)
        if h.cluster.objects[("dagruns", NS, name)]["spec"].get("runType") == "asset_triggered"
    ]


def produce(h: ControllerHarness, name: str = "p1") -> None:
    h.apply("dagruns", run(name, "producer"))
    h.settle()
    h.pod_status(f"{name}-write-1", "Succeeded", 0)
    h.settle()


def test_a_success_records_events_and_the_consumer_gets_one_run(harness: ControllerHarness) -> None:
    harness.apply("dags", dag("producer", tasks=PRODUCER))
    harness.apply("dags", dag("consumer", assets={"all": [URI]}))
    harness.settle()
    harness.clock.advance(timedelta(seconds=5))
    produce(harness)
    assert harness.status("dagruns", "p1")["state"] == "success"
    (event,) = events(harness, URI)
    assert (event["sourceDagId"], event["sourceTaskId"], event["sourceMapIndex"]) == (
        "producer",
        "write",
        -1,
    )
    assert [e["sourceTaskId"] for e in events(harness, "s3://w/empty")] == ["mark"], (
        "a task without a pod records its event too"
    )
    (consumer_run,) = asset_runs(harness)
    spec = harness.cluster.objects[("dagruns", NS, consumer_run)]["spec"]
    assert [e["id"] for e in spec["triggeringAssetEvents"][URI]] == [event["id"]]
    assert harness.status("dags", "consumer")["consumedAssetEvents"][URI]["id"] == event["id"]
    harness.apply("dags", {**harness.cluster.objects[("dags", NS, "consumer")]})
    harness.settle()
    assert len(asset_runs(harness)) == 1, "consumed events make no second run"


def test_a_status_write_lost_after_recording_records_nothing_twice(
    harness: ControllerHarness,
) -> None:
    harness.apply("dags", dag("producer", tasks=PRODUCER[:1]))
    harness.apply("dagruns", run("p1", "producer"))
    harness.settle()
    harness.pod_status("p1-write-1", "Succeeded", 0)
    # The run's success write conflicts: the event is recorded, the success is not yet.
    harness.cluster.write_behind_the_watch("dagruns", NS, "p1")
    harness.settle()
    assert harness.status("dagruns", "p1")["state"] == "success"
    assert ("get", "dagruns", "p1") in harness.cluster.verbs("get"), "the write conflicted"
    assert len(events(harness, URI)) == 1
    assert harness.status("assets", asset_name(URI))["eventCount"] == 1


def test_without_the_asset_crd_runs_still_finish(harness: ControllerHarness) -> None:
    harness.runtime.assets_installed = False
    harness.apply("dags", dag("producer", tasks=PRODUCER[:1]))
    produce(harness)
    assert harness.status("dagruns", "p1")["state"] == "success"
    assert harness.cluster.names("assets", NS) == []
