"""User actions as plain kubectl writes: trigger with conf, clear, mark success."""

from __future__ import annotations

import json

import pytest

from kairflow.core.bash_xcom import WRAPPER
from tests.integration.helpers import dag, manual_run, run_status, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def test_manual_trigger_with_conf_overrides_params(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag(
            "greet",
            [{"name": "say", "bash": "echo {{ params.who }}"}],
            params={"who": "world", "times": 1},
        ),
    )
    manifest = json.dumps(manual_run("greet-1", "greet", conf={"who": "kairflow"}))
    kube.kubectl("create", "-n", ns, "-f", "-", input=manifest)
    pod = kubelet.wait_pod("say")
    assert pod.spec.containers[0].command == ["bash", "-c", WRAPPER, "echo kairflow"]
    # Pods are created before the status that names them is written: wait for it.
    status = wait_for(
        lambda: (s := run_status(kube, ns, "greet-1")).get("runId") and s, what="the run's status"
    )
    assert status["runId"].startswith("manual__")
    assert status["dataIntervalStart"] <= status["dataIntervalEnd"]


def test_conf_of_the_wrong_type_fails_the_run_with_a_reason(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("typed", [{"name": "a", "bash": "true"}], params={"n": 1}))
    kube.create(ns, "dagruns", manual_run("typed-1", "typed", conf={"n": "three"}))
    status = wait_run_state(kube, ns, "typed-1", "failed")
    assert "conf 'n' must be a number" in status["message"]


def test_clear_with_downstream_reruns_the_tasks_and_keeps_counting_tries(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    tasks = [{"name": n, "bash": "true"} for n in ("a", "b", "c")]
    kube.create(ns, "dags", dag("abc", tasks, ["a >> b >> c"]))
    kube.create(ns, "dagruns", manual_run("abc-1", "abc"))
    for task in ("a", "b", "c"):
        kubelet.run(task)
    wait_run_state(kube, ns, "abc-1", "success")
    kube.kubectl(
        "patch",
        "dagrun",
        "abc-1",
        "-n",
        ns,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"clear": {"id": "retry-b", "tasks": ["b"], "downstream": True}}}),
    )
    kubelet.run("b", try_number=2)
    kubelet.run("c", try_number=2)
    status = wait_run_state(kube, ns, "abc-1", "success")
    tries = {k: v.get("tryNumber") for k, v in status["taskInstances"].items()}
    assert tries == {"a": 1, "b": 2, "c": 2}
    assert status["handledClear"] == "retry-b"


def test_mark_success_on_a_running_task(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag(
            "stuck",
            [{"name": "slow", "bash": "sleep 1000"}, {"name": "next", "bash": "true"}],
            ["slow >> next"],
        ),
    )
    kube.create(ns, "dagruns", manual_run("stuck-1", "stuck"))
    pod = kubelet.wait_pod("slow")
    kubelet.start(pod.metadata.name)
    kube.kubectl(
        "patch",
        "dagrun",
        "stuck-1",
        "-n",
        ns,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"mark": {"id": "1", "tasks": ["slow"], "state": "success"}}}),
    )
    kubelet.run("next")
    status = wait_run_state(kube, ns, "stuck-1", "success")
    assert status["taskInstances"]["slow"]["state"] == "success"
    assert "marked success" in status["taskInstances"]["slow"]["message"]

    def slow_pod_deleted() -> bool:
        pods = kubelet.pods("slow")
        return not pods or all(p.metadata.deletion_timestamp for p in pods)

    wait_for(slow_pod_deleted, what="the marked task's pod deleted")
