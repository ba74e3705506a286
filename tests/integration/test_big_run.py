"""A 10,000-task run on the real apiserver at the operator's default settings for big
runs: the DAG manifest goes in with `kubectl apply --server-side` (a client-side apply
would pass the 256 KiB last-applied annotation), the run completes with every task run
exactly once, and no object that holds it, the DagRun or one of its
TaskInstanceSlices, reaches 512 KiB as the API server stores it (managedFields
included) at any moment we look.

A kubelet that watches the namespace ends each pod as soon as it exists. It takes about
two minutes on 2 cores; `bench/big_run.py` measures the same run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kairflow.core import labels
from tests.integration.helpers import dag, manual_run, stored_kib
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import WatchingKubelet
from tests.integration.operator_process import operators, own_namespace

# Its own waits bound it (the run's end within 900 s): pytest-timeout's default of
# 300 s would cut the run short whenever the machine is busy (other workers, other runs).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]

TASKS = 10_000
LIMIT_KIB = 512
ENV = {"KAIRFLOW_PARALLELISM": "2000", "KAIRFLOW_POOLS": "default_pool=2000"}


def slice_names(kube: Kube, namespace: str, run: str) -> list[str]:
    found = kube.custom.list_namespaced_custom_object(
        "kairflow.io",
        "v1alpha1",
        namespace,
        "taskinstanceslices",
        label_selector=f"{labels.DAG_RUN}={run}",
    )
    return [item["metadata"]["name"] for item in found["items"]]


def pod_tasks(kube: Kube, namespace: str, run: str) -> list[tuple[str, str]]:
    """(task, try) of every pod of the run, read raw: 10,000 pods as client models
    would take longer to build than the run takes to finish."""
    raw = kube.core.list_namespaced_pod(
        namespace, label_selector=f"{labels.DAG_RUN}={run}", _preload_content=False
    )
    items: list[dict[str, Any]] = json.loads(raw.data)["items"]
    found = [p["metadata"]["labels"] for p in items]
    return [(pod[labels.TASK], pod[labels.TRY]) for pod in found]


def test_a_10000_task_run_completes_with_every_object_under_512_kib(
    kube: Kube, tmp_path: Path
) -> None:
    tasks = [{"name": f"t{i:05d}", "bash": "true"} for i in range(TASKS)]
    manifest = dag("big", tasks, maxActiveTasks=TASKS)
    with own_namespace(kube, "big") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        ops.start(env=ENV).wait_ready(60)
        kube.kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=json.dumps(manifest))
        kubelet = WatchingKubelet(kube, ns)
        kube.create(ns, "dagruns", manual_run("big-1", "big"))
        largest: dict[str, float] = {}

        def measure(plural: str, name: str) -> None:
            largest[name] = max(largest.get(name, 0.0), stored_kib(kube, ns, plural, name))

        def finished() -> dict[str, Any] | None:
            measure("dagruns", "big-1")
            for name in slice_names(kube, ns, "big-1"):
                measure("taskinstanceslices", name)
            status: dict[str, Any] = kube.get(ns, "dagruns", "big-1").get("status") or {}
            return status if status.get("state") in ("success", "failed") else None

        status = wait_for(finished, timeout=900, interval=2, what="the 10,000-task run's end")
        assert status["state"] == "success", status.get("message")
        assert status["progress"] == f"{TASKS}/{TASKS}"
        assert status["taskInstanceSlices"] > 1
        assert "taskInstances" not in status  # all of them in its slices
        assert len(slice_names(kube, ns, "big-1")) == status["taskInstanceSlices"]
        over = {name: kib for name, kib in largest.items() if kib >= LIMIT_KIB}
        assert not over, f"objects at or over {LIMIT_KIB} KiB: {over}"
        ran = pod_tasks(kube, ns, "big-1")
        assert sorted(ran) == [(t["name"], "1") for t in tasks]  # each task once, one try
        assert kubelet.ended == TASKS
        print(f"largest object: {max(largest.values()):.0f} KiB of {len(largest)} watched")
