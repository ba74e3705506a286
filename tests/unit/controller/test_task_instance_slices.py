"""A big run on a fake cluster: its task instances move to TaskInstanceSlices it
owns, every object stays within the budget, the run completes, a new operator puts
it back together, and a slice changed or deleted behind the operator's back is read
again or reported."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from kubernetes_asyncio.client import ApiException

from kairflow.controller import dagrun_sync
from kairflow.controller.dagrun_sync import sync_dagrun
from kairflow.controller.handlers import list_slices
from kairflow.core.task_instance_slices import layout_of, slice_names
from tests.unit.controller.harness import NS, ControllerHarness, RecordingQueue, utc
from tests.unit.controller.listing import Listing
from tests.unit.controller.manifests import dag, run
from tests.unit.controller.test_sync_races import once_during

NOW = utc("2026-03-04T12:30:00Z")
FAN_OUT = 30
TASKS = [{"name": "first", "bash": "true"}] + [
    {"name": f"t{i}", "bash": "true", "dependsOn": ["first"]} for i in range(FAN_OUT)
]
SLICE = {"metadata": {"name": "s", "namespace": NS}, "spec": {"dagRun": "r"}}
BUDGET_KIB = 1  # a 1 KiB budget: a 31-task run is "big"
ACTIVE = 16  # a DAG's maxActiveTasks by default


@pytest.fixture
def harness() -> Iterator[ControllerHarness]:
    h = ControllerHarness(NOW, task_instance_slice_kib=BUDGET_KIB)
    yield h
    h.close()


def slices_of(h: ControllerHarness, name: str) -> list[dict[str, object]]:
    return [
        body
        for (plural, _, _), body in sorted(h.cluster.objects.items())
        if plural == "taskinstanceslices" and body["spec"]["dagRun"] == name
    ]


def finish(h: ControllerHarness, name: str, tasks: list[str]) -> None:
    """The tasks' pods succeed, as they are started (16 at a time: maxActiveTasks)."""
    left = list(tasks)
    while left:
        started = [t for t in left if ("pods", NS, f"{name}-{t}-1") in h.cluster.objects]
        assert started, f"none of {left} started"
        for task in started:
            h.pod_status(f"{name}-{task}-1", "Succeeded", 0)
            left.remove(task)
        h.settle()


def test_a_big_run_keeps_its_task_instances_in_slices_it_owns(
    harness: ControllerHarness,
) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    status = harness.status("dagruns", "r1")
    assert "taskInstances" not in status
    slices = layout_of(status)
    assert slices >= 2
    stored = slices_of(harness, "r1")
    assert [s["metadata"]["name"] for s in stored] == sorted(slice_names("r1", slices))
    for body in stored:
        (owner,) = body["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["name"]) == ("DagRun", "r1")
        assert body["metadata"]["labels"]["kairflow.io/dag-run"] == "r1"
        size = len(json.dumps(body["status"]["taskInstances"], separators=(",", ":")))
        assert size <= BUDGET_KIB * 1024
    assert set(harness.task_instances("r1")) == {t["name"] for t in TASKS}


def test_a_big_run_completes_and_its_layout_only_grows(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    first = layout_of(harness.status("dagruns", "r1"))
    finish(harness, "r1", ["first"])
    finish(harness, "r1", [f"t{i}" for i in range(FAN_OUT)])
    status = harness.status("dagruns", "r1")
    assert status["state"] == "success"
    assert status["progress"] == f"{FAN_OUT + 1}/{FAN_OUT + 1}"
    instances = harness.task_instances("r1")
    assert {ti["state"] for ti in instances.values()} == {"success"}
    final = layout_of(status)
    assert final >= first
    # Only the layout the run names is left: an older one was deleted after the move.
    assert {s["spec"]["slices"] for s in slices_of(harness, "r1")} == {final}


def test_a_small_run_keeps_its_task_instances_in_its_status(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(tasks=TASKS[:2]))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    status = harness.status("dagruns", "r1")
    assert set(status["taskInstances"]) == {"first", "t0"}
    assert "taskInstanceSlices" not in status
    assert slices_of(harness, "r1") == []
    assert paced(harness) == {}  # planned again at once, whatever happens next


def paced(h: ControllerHarness) -> dict[object, datetime]:
    assert isinstance(h.runtime.run_queue, RecordingQueue)
    return h.runtime.run_queue.paced


def test_a_big_run_waits_after_a_pass_as_long_as_the_pass_took(
    harness: ControllerHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    assert layout_of(harness.status("dagruns", "r1")) > 0
    real = harness.cluster.replace_status

    async def slow(namespace: str, plural: str, body: dict[str, Any]) -> dict[str, Any]:
        harness.clock.advance(timedelta(seconds=0.5))  # a busy API server
        return await real(namespace, plural, body)

    monkeypatch.setattr(harness.cluster, "replace_status", slow)
    began = harness.clock()
    harness.pod_status("r1-first-1", "Succeeded", 0)
    harness.sync_run("r1")
    took = harness.clock() - began
    assert took >= timedelta(seconds=1)  # the run's write and its slices'
    assert paced(harness) == {(NS, "r1"): began + 2 * took}


def test_a_new_operator_puts_a_big_run_back_together(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    finish(harness, "r1", ["first"])
    pods = harness.cluster.names("pods", NS)
    fresh = harness.restarted(task_instance_slice_kib=BUDGET_KIB)
    fresh.settle()
    assert fresh.cluster.names("pods", NS) == pods  # nothing started twice
    view = fresh.runtime.cache.run((NS, "r1"))
    assert view is not None
    assert view.task_states["first"].value == "success"
    assert len(view.holding) == len(pods) - 1  # every running task instance holds a slot
    finish(fresh, "r1", [f"t{i}" for i in range(FAN_OUT)])
    assert fresh.status("dagruns", "r1")["state"] == "success"


def test_a_slice_changed_behind_the_operators_back_is_read_again(
    harness: ControllerHarness,
) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    finish(harness, "r1", ["first"])
    layout = layout_of(harness.status("dagruns", "r1"))
    for name in slice_names("r1", layout):
        harness.cluster.write_behind_the_watch("taskinstanceslices", NS, name)
    finish(harness, "r1", [f"t{i}" for i in range(FAN_OUT)])
    assert harness.status("dagruns", "r1")["state"] == "success"
    assert any(
        verb == "get" and plural == "taskinstanceslices"
        for verb, plural, _ in harness.cluster.verbs("get")
    )


def test_a_deleted_slice_is_reported_and_written_again(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    layout = layout_of(harness.status("dagruns", "r1"))
    name = slice_names("r1", layout)[0]
    lost = set(harness.cluster.objects[("taskinstanceslices", NS, name)]["status"]["taskInstances"])
    harness.run(harness.cluster.delete(NS, "taskinstanceslices", name))
    harness.deliver()
    harness.settle()
    finish(harness, "r1", ["first"])
    assert harness.events.reasons().count("TaskInstancesLost") == 1
    now = layout_of(harness.status("dagruns", "r1"))
    assert [s["metadata"]["name"] for s in slices_of(harness, "r1")] == sorted(
        slice_names("r1", now)
    )
    # What the slice held starts over: the run does not end without it.
    finish(harness, "r1", sorted({t["name"] for t in TASKS} - {"first"}))
    assert harness.status("dagruns", "r1")["state"] == "success"
    instances = harness.task_instances("r1")
    assert set(instances) == {t["name"] for t in TASKS}
    assert lost and all(instances[key]["state"] == "success" for key in lost)
    assert harness.events.reasons().count("TaskInstancesLost") == 1  # said once


def test_without_the_slice_crd_a_run_stays_one_object_within_what_etcd_takes() -> None:
    h = ControllerHarness(NOW, task_instance_slice_kib=BUDGET_KIB)
    h.runtime.slices_installed = False  # `helm upgrade` left the new CRD out
    try:
        h.apply("dags", dag(tasks=TASKS))
        h.apply("dagruns", run("r1"))
        h.settle()
        assert set(h.status("dagruns", "r1")["taskInstances"]) == {t["name"] for t in TASKS}
        assert slices_of(h, "r1") == []
        assert h.runtime.record_limits() == (1024 * 1024, 1024 * 1024)
    finally:
        h.close()


@pytest.mark.parametrize(
    ("story", "status", "found"),
    [
        ("slices are listed when their CRD is there", None, ["s"]),
        ("no slice CRD means runs keep their task instances inline", 404, None),
    ],
)
def test_the_slice_crd_may_be_missing(story: str, status: int | None, found: Any) -> None:
    listed = asyncio.run(list_slices(Listing(status, SLICE), ()))  # type: ignore[arg-type]
    names = None if listed is None else [s["metadata"]["name"] for s in listed]
    assert names == found, story


def test_other_api_errors_listing_slices_are_not_hidden() -> None:
    with pytest.raises(ApiException):
        asyncio.run(list_slices(Listing(403, SLICE), ()))  # type: ignore[arg-type]


def test_a_slice_changed_while_a_pass_claims_slots_does_not_free_them() -> None:
    """The big run's pass claims every slot (16 of 16) and, before its write lands, a
    slice is changed by someone else and another run plans: that run must find no
    free slot. (Putting the big run back together from its slices then dropped the
    claim's task instances, and with them the slots they hold.)"""
    h = ControllerHarness(NOW, task_instance_slice_kib=BUDGET_KIB, parallelism=ACTIVE)
    try:
        h.apply("dags", dag(tasks=TASKS))
        h.apply("dags", dag("other", tasks=[{"name": "x", "bash": "true"}]))
        h.apply("dagruns", run("r1"))
        h.settle()
        h.pod_status("r1-first-1", "Succeeded", 0)
        h.queued()
        h.apply("dagruns", run("r2", "other"))
        h.sync_run("r2")  # its first sync: the DAG's version, no task instance yet
        h.deliver()

        async def slice_touched_then_r2_plans() -> None:
            name = slice_names("r1", layout_of(h.status("dagruns", "r1")))[0]
            touched = copy.deepcopy(h.cluster.objects[("taskinstanceslices", NS, name)])
            touched["metadata"].setdefault("labels", {})["touched-by"] = "someone"
            h.cluster.put("taskinstanceslices", touched)
            h.deliver()
            await sync_dagrun(h.runtime, (NS, "r2"))

        with pytest.MonkeyPatch.context() as patch:
            once_during(patch, dagrun_sync, "create_pods", slice_touched_then_r2_plans)
            h.sync_run("r1")  # claims 16 slots (maxActiveTasks); writes after create_pods
        assert h.status("dagruns", "r2")["taskInstances"]["x"]["state"] == "scheduled"
        h.settle()
        started = [t for t in h.task_instances("r1").values() if t.get("state") == "queued"]
        assert len(started) == ACTIVE
        assert h.status("dagruns", "r2")["taskInstances"]["x"]["state"] == "scheduled"
    finally:
        h.close()
