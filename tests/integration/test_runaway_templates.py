"""A DAG author's runaway template (nested loops) fails its own task within the
render budget; the operator renders off its event loop, so every other run goes on
meanwhile."""

from __future__ import annotations

import pytest

from tests.integration.helpers import dag, events_for, manual_run, wait_run_state
from tests.integration.kube import Kube
from tests.integration.kubelet import AutoKubelet, FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

# Ten billion loop steps: hours of CPU without a budget.
BOMB = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}done"


def test_a_runaway_template_fails_its_task_and_the_operator_serves_everyone_else(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    tasks = [{"name": "bomb", "bash": BOMB}, {"name": "fine", "bash": "echo fine"}]
    kube.create(ns, "dags", dag("runaway", tasks))
    kube.create(ns, "dags", dag("steady", [{"name": f"t{i}", "bash": "true"} for i in range(5)]))
    with AutoKubelet(kubelet):
        kube.create(ns, "dagruns", manual_run("runaway-1", "runaway"))
        kube.create(ns, "dagruns", manual_run("steady-1", "steady"))
        steady = wait_run_state(kube, ns, "steady-1", "success", timeout=60)
        status = wait_run_state(kube, ns, "runaway-1", "failed", timeout=60)
    assert {k: ti["state"] for k, ti in steady["taskInstances"].items()} == {
        f"t{i}": "success" for i in range(5)
    }
    bomb, fine = status["taskInstances"]["bomb"], status["taskInstances"]["fine"]
    assert fine["state"] == "success"
    assert bomb["state"] == "failed"
    assert bomb["message"].startswith("template error: bash: ")
    assert "CPU" in bomb["message"] and "\n" not in bomb["message"]
    assert "pod" not in bomb  # no pod was ever asked for
    reasons = [(e.reason, e.message) for e in events_for(kube, ns, "runaway-1")]
    assert any(reason == "TaskFailed" and "CPU" in message for reason, message in reasons)
