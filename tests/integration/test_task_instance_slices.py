"""A big run on the real apiserver: its task instances move to TaskInstanceSlices it
owns, no object grows with the run, it completes across an operator SIGKILLed while
it runs, and what every slice holds is each task instance once.

The slice budget is made small (KAIRFLOW_TASK_INSTANCE_SLICE_KIB=4) so that a
120-task run is "big"; `bench/memory.py --cases big` runs 10,000 tasks at the default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kairflow.core.task_instance_slices import assemble, layout_of, slice_names
from tests.integration.helpers import dag, manual_run, run_status, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration

WIDTH = 120
TASKS = [{"name": "first", "bash": "true"}] + [
    {"name": f"fan_{i:03d}", "bash": "true", "dependsOn": ["first"]} for i in range(WIDTH)
]
# Every fan-out pod at once (the half left pending would otherwise hold every slot).
ENV = {"KAIRFLOW_TASK_INSTANCE_SLICE_KIB": "4", "KAIRFLOW_PARALLELISM": "500"}


def slices(kube: Kube, ns: str, run: str) -> list[dict[str, Any]]:
    found = kube.custom.list_namespaced_custom_object(
        "kairflow.io",
        "v1alpha1",
        ns,
        "taskinstanceslices",
        label_selector=f"kairflow.io/dag-run={run}",
    )
    return sorted(found["items"], key=lambda s: s["metadata"]["name"])


def instances(kube: Kube, ns: str, run: str) -> dict[str, Any]:
    status = run_status(kube, ns, run)
    by_name = {s["metadata"]["name"]: s for s in slices(kube, ns, run)}
    parts = [
        (by_name.get(name) or {}).get("status", {}).get("taskInstances")
        for name in slice_names(run, layout_of(status))
    ]
    return dict(assemble(status, parts).get("taskInstances") or {})


def test_a_big_run_keeps_its_task_instances_in_slices_and_completes_across_a_kill(
    kube: Kube, tmp_path: Path
) -> None:
    with own_namespace(kube, "slices") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        first = ops.start(env=ENV).wait_ready()
        kubelet = FakeKubelet(kube, ns)
        kube.create(ns, "dags", dag("wide", TASKS, maxActiveTasks=200))
        kube.create(ns, "dagruns", manual_run("wide-1", "wide"))
        kubelet.run("first")
        # Half the fan-out ends, then the operator dies with the rest running.
        half = {f"fan_{i:03d}" for i in range(0, WIDTH, 2)}
        with AutoKubelet(kubelet, lambda pod: (0, None) if _task(pod) in half else None):
            wait_for(
                lambda: (
                    sum(
                        ti.get("state") == "success"
                        for ti in instances(kube, ns, "wide-1").values()
                    )
                    == len(half) + 1
                ),
                timeout=120,
                what="half the fan-out recorded",
            )
        first.kill()
        status = run_status(kube, ns, "wide-1")
        assert "taskInstances" not in status
        layout = layout_of(status)
        assert layout >= 2
        stored = slices(kube, ns, "wide-1")
        assert [s["metadata"]["name"] for s in stored] == sorted(slice_names("wide-1", layout))
        for body in stored:
            (owner,) = body["metadata"]["ownerReferences"]
            assert (owner["kind"], owner["name"]) == ("DagRun", "wide-1")
            size = len(json.dumps(body["status"]["taskInstances"], separators=(",", ":")))
            assert size <= 4 * 1024

        ops.start(env=ENV).wait_ready()
        done = {*half, "first"}
        with AutoKubelet(kubelet, lambda pod: None if _task(pod) in done else (0, None)):
            wait_run_state(kube, ns, "wide-1", "success", timeout=180)
        put_back = instances(kube, ns, "wide-1")
        assert set(put_back) == {t["name"] for t in TASKS}
        assert {ti["state"] for ti in put_back.values()} == {"success"}
        assert {ti["tryNumber"] for ti in put_back.values()} == {1}  # nothing ran twice
        names = [p.metadata.name for p in kubelet.pods()]
        assert len(names) == len(set(names)) == WIDTH + 1
        assert run_status(kube, ns, "wide-1")["progress"] == f"{WIDTH + 1}/{WIDTH + 1}"
        printed = kube.kubectl("get", "tis", "-n", ns, "-l", "kairflow.io/dag-run=wide-1").stdout
        assert "wide-1-ti" in printed


def _task(pod: Any) -> str:
    return str(pod.metadata.labels.get("kairflow.io/task"))
