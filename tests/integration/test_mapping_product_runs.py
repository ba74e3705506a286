"""Mapping over the cross product of several lists (`expand.product`) on the real
apiserver: the CRD takes it, each instance gets Airflow's combination for its index."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.helpers import dag, manual_run, wait_run_state
from tests.integration.kube import Kube
from tests.integration.kubelet import AutoKubelet, FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

PRODUCT = [{"name": "n", "items": [1, 2]}, {"name": "s", "fromTask": "letters"}]
TASKS: list[dict[str, Any]] = [
    {"name": "letters", "bash": "letters"},
    {"name": "m", "bash": "echo {{ item.n }}{{ item.s }}", "expand": {"product": PRODUCT}},
]


def test_a_task_mapped_over_a_product_runs_each_combination(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("product", TASKS, ["letters >> m"]))
    kube.create(ns, "dagruns", manual_run("product-1", "product"))
    commands: dict[str, str] = {}

    def script(pod: Any) -> tuple[int, str | None]:
        commands[pod.metadata.name] = pod.spec.containers[0].command[-1]
        if pod.metadata.labels["kairflow.io/task"] == "letters":
            return 0, '["x", "y"]'
        return 0, None

    with AutoKubelet(kubelet, script):
        status = wait_run_state(kube, ns, "product-1", "success", timeout=60)
    tis = status["taskInstances"]
    assert list(tis) == ["letters", "m[0]", "m[1]", "m[2]", "m[3]"]
    ran = [commands[tis[f"m[{i}]"]["pod"]] for i in range(4)]
    assert ran == ["echo 1x", "echo 1y", "echo 2x", "echo 2y"]
