"""Setup and teardown tasks on the real apiserver: the teardown cleans up after failed
work, the run's state comes from the work, a clear of the work runs its setup and
teardown again, and a failing teardown fails the run only with onFailureFailDagrun."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.helpers import dag, manual_run, run_status, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

FLOW = ["create >> work >> delete", "create >> delete"]


def cluster_tasks(**teardown: Any) -> list[dict[str, Any]]:
    return [
        {"name": "create", "bash": "create", "setup": True},
        {"name": "work", "bash": "work"},
        {"name": "delete", "bash": "delete", "teardown": True, **teardown},
    ]


class Script:
    """Pods run in the order they are created; `failing` tasks exit 1 on their first try."""

    def __init__(self, *failing: str) -> None:
        self.failing = set(failing)
        self.started: list[tuple[str, str]] = []

    def __call__(self, pod: Any) -> tuple[int, str | None]:
        task = pod.metadata.labels["kairflow.io/task"]
        try_number = pod.metadata.labels["kairflow.io/try"]
        self.started.append((task, try_number))
        return (1 if task in self.failing and try_number == "1" else 0), None


def states(status: dict[str, Any]) -> dict[str, str]:
    return {k: v.get("state", "none") for k, v in status["taskInstances"].items()}


def test_the_teardown_cleans_up_after_failed_work_and_a_clear_runs_all_three_again(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("cluster", cluster_tasks(), FLOW))
    kube.create(ns, "dagruns", manual_run("cluster-1", "cluster"))
    script = Script("work")
    with AutoKubelet(kubelet, script):
        failed = wait_run_state(kube, ns, "cluster-1", "failed", timeout=60)
        assert states(failed) == {"create": "success", "work": "failed", "delete": "success"}
        assert script.started == [("create", "1"), ("work", "1"), ("delete", "1")]

        # Airflow's clear of a work task clears its setup and teardown too.
        patch = {"spec": {"clear": {"id": "again", "tasks": ["work"]}}}
        kube.kubectl(
            "patch", "dagrun", "cluster-1", "-n", ns, "--type=merge", "-p", json.dumps(patch)
        )
        wait_for(
            lambda: run_status(kube, ns, "cluster-1").get("handledClear") == "again",
            what="clear handled",
        )
        done = wait_run_state(kube, ns, "cluster-1", "success", timeout=60)
    assert states(done) == {"create": "success", "work": "success", "delete": "success"}
    assert {k: v["tryNumber"] for k, v in done["taskInstances"].items()} == {
        "create": 2,
        "work": 2,
        "delete": 2,
    }
    assert script.started[3:] == [("create", "2"), ("work", "2"), ("delete", "2")]


@pytest.mark.parametrize(
    ("teardown", "run_state"),
    [
        pytest.param({}, "success", id="a failed teardown leaves the run successful"),
        pytest.param(
            {"onFailureFailDagrun": True}, "failed", id="with onFailureFailDagrun it fails the run"
        ),
    ],
)
def test_a_failing_teardown(
    kube: Kube, kubelet: FakeKubelet, teardown: dict[str, Any], run_state: str
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("td", cluster_tasks(**teardown), FLOW))
    kube.create(ns, "dagruns", manual_run("td-1", "td"))
    with AutoKubelet(kubelet, Script("delete")):
        status = wait_run_state(kube, ns, "td-1", run_state, timeout=60)
    assert states(status) == {"create": "success", "work": "success", "delete": "failed"}
    teardown_rule = kube.kubectl(
        "get", "dag", "td", "-n", ns, "-o", "jsonpath={.spec.tasks[2]}"
    ).stdout
    assert json.loads(teardown_rule)["teardown"] is True


def test_a_setup_that_fails_stops_its_work_and_teardown(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("nosetup", cluster_tasks(), FLOW))
    kube.create(ns, "dagruns", manual_run("nosetup-1", "nosetup"))
    script = Script("create")
    with AutoKubelet(kubelet, script):
        status = wait_run_state(kube, ns, "nosetup-1", "failed", timeout=60)
    assert states(status) == {
        "create": "failed",
        "work": "upstream_failed",
        "delete": "upstream_failed",
    }
    assert script.started == [("create", "1")]
