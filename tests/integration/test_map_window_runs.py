"""A mapped task creates its instances a window at a time (KAIRFLOW_MAP_WINDOW) on the
real apiserver: the run never records more unfinished instances of it than the window,
the rest wait as a count on the task's own record, finished blocks of the window's size
leave the run for sealed blocks (TaskInstanceSlices of their own), so the run never
records more than a few windows of the task's instances; every item runs exactly once
even with the operator SIGKILLed in the middle, and the task downstream pulls every
item's XCom, in order, from the sealed blocks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kairflow.api.common import GROUP, VERSION
from kairflow.core import labels
from tests.integration.helpers import dag, manual_run
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import WatchingKubelet
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration

ITEMS = 150
WINDOW = 20
ENV = {"KAIRFLOW_MAP_WINDOW": str(WINDOW)}
FINISHED = {"success", "failed", "skipped", "upstream_failed", "removed"}


def pods_of(kube: Kube, namespace: str, run: str) -> list[dict[str, Any]]:
    raw = kube.core.list_namespaced_pod(
        namespace, label_selector=f"{labels.DAG_RUN}={run}", _preload_content=False
    )
    items: list[dict[str, Any]] = json.loads(raw.data)["items"]
    return items


def test_a_mapped_task_keeps_a_window_of_instances_and_every_item_runs_once(
    kube: Kube, tmp_path: Path
) -> None:
    tasks = [
        {"name": "m", "bash": "echo {{ item }}", "expand": {"items": list(range(ITEMS))}},
        {"name": "total", "bash": "echo {{ ti.xcom_pull('m') | sum }}"},
    ]
    with own_namespace(kube, "window") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        first = ops.start(env=ENV).wait_ready(60)
        kube.create(ns, "dags", dag("wide", tasks, ["m >> total"]))
        # Each pod of `m` pushes its map index as its XCom.
        WatchingKubelet(kube, ns, message=lambda meta: meta["labels"].get(labels.MAP_INDEX))
        kube.create(ns, "dagruns", manual_run("wide-1", "wide"))
        seen: dict[str, int] = {"most unfinished": 0, "rest records": 0, "most recorded": 0}

        def status() -> dict[str, Any]:
            found: dict[str, Any] = kube.get(ns, "dagruns", "wide-1").get("status") or {}
            tis = found.get("taskInstances") or {}
            unfinished = [
                k for k, ti in tis.items() if k.startswith("m[") and ti.get("state") not in FINISHED
            ]
            seen["most unfinished"] = max(seen["most unfinished"], len(unfinished))
            recorded = sum(1 for k in tis if k.startswith("m["))
            seen["most recorded"] = max(seen["most recorded"], recorded)
            rest = tis.get("m")
            if rest is not None and rest["mapNext"] < ITEMS:
                seen["rest records"] += 1
                assert rest["mapLength"] == ITEMS and rest.get("state", "none") == "none", rest
            return found

        def created(count: int) -> bool:
            rest = (status().get("taskInstances") or {}).get("m")
            return rest is not None and rest["mapNext"] >= count

        wait_for(lambda: created(3 * WINDOW), timeout=120, interval=0.1, what="60 items created")
        first.kill()
        ops.start(env=ENV).wait_ready(60)

        def finished() -> dict[str, Any] | None:
            found = status()
            return found if found.get("state") in ("success", "failed") else None

        final = wait_for(finished, timeout=300, interval=0.1, what="the run's end")
        assert final["state"] == "success", final.get("message")
        assert final["progress"] == f"{ITEMS + 1}/{ITEMS + 1}"
        assert 0 < seen["most unfinished"] <= WINDOW
        assert seen["rest records"] > 0
        # Every block sealed: the run records none of the task's instances any more,
        # their states (all success) on the task's own record, their records in blocks.
        record = final["taskInstances"]["m"]
        assert not [k for k in final["taskInstances"] if k.startswith("m[")]
        assert record["state"] == "success" and record["mapBlock"] == WINDOW
        assert sorted(map(int, record["mapSealed"])) == list(range(-(-ITEMS // WINDOW)))
        assert 0 < seen["most recorded"] <= 3 * WINDOW  # a few windows, never all items
        listed = kube.custom.list_namespaced_custom_object(
            GROUP,
            VERSION,
            ns,
            "taskinstanceslices",
            label_selector=f"{labels.DAG_RUN}=wide-1",
        )["items"]
        blocks = [b for b in listed if (b.get("spec") or {}).get("task") == "m"]
        sealed = {k: ti for b in blocks for k, ti in (b["status"]["taskInstances"]).items()}
        assert sorted(ti["mapIndex"] for ti in sealed.values()) == list(range(ITEMS))
        assert {ti["state"] for ti in sealed.values()} == {"success"}

        pods = pods_of(kube, ns, "wide-1")
        mapped = sorted(
            int(p["metadata"]["labels"][labels.MAP_INDEX])
            for p in pods
            if p["metadata"]["labels"][labels.TASK] == "m"
        )
        assert mapped == list(range(ITEMS))  # each item exactly once, across the kill
        total = next(p for p in pods if p["metadata"]["labels"][labels.TASK] == "total")
        assert total["spec"]["containers"][0]["command"][-1] == f"echo {sum(range(ITEMS))}"


def test_a_clear_of_a_sealed_task_runs_every_item_again_and_seals_them_again(
    kube: Kube, tmp_path: Path
) -> None:
    items = 45
    tasks = [{"name": "m", "bash": "echo {{ item }}", "expand": {"items": list(range(items))}}]
    with own_namespace(kube, "reseal") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        ops.start(env={"KAIRFLOW_MAP_WINDOW": "10"}).wait_ready(60)
        kube.create(ns, "dags", dag("wide", tasks, []))
        WatchingKubelet(kube, ns)
        kube.create(ns, "dagruns", manual_run("wide-1", "wide"))

        def ended(handled: str | None) -> dict[str, Any] | None:
            found: dict[str, Any] = kube.get(ns, "dagruns", "wide-1").get("status") or {}
            done = found.get("state") == "success" and found.get("handledClear") == handled
            return found if done else None

        first = wait_for(lambda: ended(None), timeout=180, interval=0.2, what="the first end")
        assert sorted(map(int, first["taskInstances"]["m"]["mapSealed"])) == list(range(5))

        # The clear reads the sealed instances back into the run, then runs them again.
        patch = {"spec": {"clear": {"id": "again", "tasks": ["m"]}}}
        kube.kubectl("patch", "dagrun", "wide-1", "-n", ns, "--type=merge", "-p", json.dumps(patch))
        final = wait_for(lambda: ended("again"), timeout=180, interval=0.2, what="the end again")
        record = final["taskInstances"]["m"]
        assert record["state"] == "success"
        assert sorted(map(int, record["mapSealed"])) == list(range(5))
        assert final["progress"] == f"{items}/{items}"
        tries = sorted(
            (int(p["metadata"]["labels"][labels.MAP_INDEX]), p["metadata"]["labels"][labels.TRY])
            for p in pods_of(kube, ns, "wide-1")
        )
        assert tries == sorted((i, t) for i in range(items) for t in ("1", "2"))
