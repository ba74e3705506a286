"""One run through branching, trigger rules, retries with backoff, a reschedule
sensor, XCom and mapping, on the real apiserver."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.helpers import dag, manual_run, wait_run_state
from tests.integration.kube import Kube
from tests.integration.kubelet import AutoKubelet, FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

TASKS: list[dict[str, Any]] = [
    {
        "name": "wait",
        "bash": "check",
        "sensor": {"mode": "reschedule", "pokeInterval": "1s", "timeout": "1m"},
    },
    {"name": "list", "bash": "list"},
    {"name": "each", "bash": "echo {{ item }}", "expand": {"fromTask": "list"}},
    {"name": "choose", "bash": "choose", "branch": True},
    {"name": "fast", "bash": "fast"},
    {"name": "slow", "bash": "slow"},
    {
        "name": "flaky",
        "bash": "flaky",
        "retries": 2,
        "retryDelay": "1s",
        "retryExponentialBackoff": True,
        "maxRetryDelay": "2s",
    },
    {"name": "join", "bash": "join", "triggerRule": "none_failed_min_one_success"},
    {"name": "on_failure", "bash": "alert", "triggerRule": "one_failed"},
]
FLOW = [
    "wait >> list >> each >> choose >> [fast, slow]",
    "fast >> flaky >> join",
    "slow >> join",
    "join >> on_failure",
]


class Script:
    def __init__(self) -> None:
        self.pokes = 0
        self.flaky = 0

    def __call__(self, pod: Any) -> tuple[int, str | None]:
        task = pod.metadata.labels["kairflow.io/task"]
        if task == "wait":
            self.pokes += 1
            return (0 if self.pokes >= 3 else 100), None
        if task == "list":
            return 0, '["x", "y"]'
        if task == "choose":
            return 0, '"fast"'
        if task == "flaky":
            self.flaky += 1
            return (0 if self.flaky >= 2 else 1), None
        return 0, None


def test_a_run_through_every_feature(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("tour", TASKS, FLOW))
    kube.create(ns, "dagruns", manual_run("tour-1", "tour"))
    script = Script()
    with AutoKubelet(kubelet, script):
        status = wait_run_state(kube, ns, "tour-1", "success", timeout=90)
    tis = status["taskInstances"]
    states = {k: v.get("state") for k, v in tis.items()}
    assert states == {
        "wait": "success",
        "list": "success",
        "each[0]": "success",
        "each[1]": "success",
        "choose": "success",
        "fast": "success",
        "slow": "skipped",
        "flaky": "success",
        "join": "success",
        "on_failure": "skipped",
    }
    assert tis["wait"]["pokes"] == 3 and tis["wait"]["tryNumber"] == 1
    assert tis["flaky"]["tryNumber"] == 2
    assert tis["list"]["xcom"] == ["x", "y"]
    commands = sorted(p.spec.containers[0].command[-1] for p in kubelet.pods("each"))
    assert commands == ["echo x", "echo y"]
