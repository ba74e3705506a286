"""A big XCom on a fake cluster: the DagRun sync moves it from the end of the pod's log
into a ConfigMap owned by the run, records a reference, and reads it back for the
downstream task's templates; a restart between the two writes neither loses it nor
stores it twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes_asyncio.client import ApiException

from kairflow.controller.xcom_cache import XComCache
from kairflow.core.xcom_frame import frame
from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag, run

NOW = utc("2026-03-04T12:30:00Z")
ITEMS = [{"id": i, "name": f"item-{i:05d}"} for i in range(3000)]
POINTER, FRAME = frame(json.dumps(ITEMS).encode())


@pytest.fixture
def harness() -> Iterator[ControllerHarness]:
    h = ControllerHarness(NOW, parallelism=8)
    tasks = [
        {"name": "a", "python": "..."},
        {"name": "b", "bash": "echo {{ ti.xcom_pull('a') | length }}", "dependsOn": ["a"]},
    ]
    h.apply("dags", dag(tasks=tasks))
    h.apply("dagruns", run("r1"))
    h.settle()
    yield h
    h.close()


def a_pushes(h: ControllerHarness, log: str = "working\n" + FRAME, message: str = POINTER) -> None:
    h.cluster.logs["r1-a-1"] = log
    h.pod_status("r1-a-1", "Succeeded", 0, message=message)


def instance(h: ControllerHarness, key: str) -> dict[str, Any]:
    return dict(h.status("dagruns", "r1")["taskInstances"][key])


def calls(h: ControllerHarness, verb: str, plural: str) -> int:
    """Calls for task pods and XCom ConfigMaps (not the runs' DAG version ConfigMaps)."""
    return sum(
        1
        for c in h.cluster.calls
        if (c.verb, c.plural) == (verb, plural) and "-dagv-" not in c.name
    )


def test_a_big_xcom_is_stored_in_a_configmap_owned_by_the_run(harness: ControllerHarness) -> None:
    a_pushes(harness)
    harness.settle()
    a = instance(harness, "a")
    assert a["state"] == "success" and "xcom" not in a
    assert a["xcomRef"]["configMap"] == "r1-a-1-xcom"
    assert a["xcomRef"]["size"] == len(json.dumps(ITEMS))
    stored = harness.cluster.objects[("configmaps", NS, "r1-a-1-xcom")]
    owner = stored["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"]) == ("DagRun", "r1")
    assert stored["immutable"] is True
    b_pod = harness.cluster.objects[("pods", NS, "r1-b-1")]
    assert b_pod["spec"]["containers"][0]["command"][-1] == "echo 3000"


def test_a_restart_between_storing_and_recording_finds_the_configmap(
    harness: ControllerHarness,
) -> None:
    cluster = harness.cluster
    write = cluster.replace_status

    async def lost(namespace: str, plural: str, body: dict[str, Any]) -> dict[str, Any]:
        raise ApiException(status=500, reason="the operator died here")

    cluster.replace_status = lost  # type: ignore[method-assign]
    a_pushes(harness)
    with pytest.raises(ApiException):
        harness.sync_run("r1")
    assert ("configmaps", NS, "r1-a-1-xcom") in cluster.objects
    assert "xcomRef" not in instance(harness, "a")
    # A new operator: nothing cached; the pod and its log are still there.
    cluster.replace_status = write  # type: ignore[method-assign]
    harness.runtime.xcoms = XComCache()
    logs_read = calls(harness, "log", "pods")
    harness.settle()
    assert instance(harness, "a")["xcomRef"]["configMap"] == "r1-a-1-xcom"
    assert calls(harness, "create", "configmaps") == 1
    assert calls(harness, "log", "pods") == logs_read  # the ConfigMap was enough
    assert cluster.objects[("pods", NS, "r1-b-1")]["spec"]["containers"][0]["command"][-1] == (
        "echo 3000"
    )


@pytest.mark.parametrize(
    ("log", "message"),
    [
        pytest.param(
            "working\n" + FRAME + "a line after the frame\n",
            "not at the end of the task's log",
            id="a log with a line after the frame fails the try",
        ),
        pytest.param(
            "working\n", "not at the end of the task's log", id="a log without the frame fails"
        ),
    ],
)  # fmt: skip
def test_a_big_xcom_that_cannot_be_read_fails_the_try(
    harness: ControllerHarness, log: str, message: str
) -> None:
    a_pushes(harness, log)
    harness.settle()
    a = instance(harness, "a")
    assert a["state"] == "failed" and message in a["message"]
    assert ("configmaps", NS, "r1-a-1-xcom") not in harness.cluster.objects


def test_a_configmap_of_another_value_under_the_name_fails_the_try(
    harness: ControllerHarness,
) -> None:
    other = {"metadata": {"name": "r1-a-1-xcom", "annotations": {"kairflow.io/xcom-sha256": "0"}}}
    harness.run(harness.cluster.create(NS, "configmaps", other))
    a_pushes(harness)
    harness.settle()
    a = instance(harness, "a")
    assert a["state"] == "failed"
    assert (
        a["message"] == "ConfigMap r1-a-1-xcom exists and holds another value than this try's XCom"
    )


def test_a_new_operator_reads_recorded_values_back_from_their_configmaps(
    harness: ControllerHarness,
) -> None:
    a_pushes(harness)
    harness.settle()
    harness.runtime.xcoms = XComCache()
    harness.cluster.calls.clear()
    harness.sync_run("r1")
    assert calls(harness, "get", "configmaps") == 1


def test_a_configmap_left_by_an_earlier_run_of_the_name_is_waited_out(
    harness: ControllerHarness,
) -> None:
    earlier = {
        "metadata": {
            "name": "r1-a-1-xcom",
            "ownerReferences": [{"kind": "DagRun", "name": "r1", "uid": "an-earlier-r1"}],
            "annotations": {"kairflow.io/xcom-sha256": "0"},
        }
    }
    harness.run(harness.cluster.create(NS, "configmaps", earlier))
    a_pushes(harness)
    with pytest.raises(RuntimeError, match="belongs to an earlier run of this name"):
        harness.sync_run("r1")  # retried with backoff, nothing recorded
    assert instance(harness, "a")["state"] in ("queued", "running")
    harness.run(harness.cluster.delete(NS, "configmaps", "r1-a-1-xcom"))  # the GC's turn
    harness.settle()
    assert instance(harness, "a")["xcomRef"]["configMap"] == "r1-a-1-xcom"
