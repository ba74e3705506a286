"""A task that skips itself on the real apiserver: its pod exits with one of the task's
`skipOnExitCode` codes, the task instance ends skipped (not retried), and the tasks
after it follow their trigger rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.helpers import dag, manual_run, wait_run_state
from tests.integration.kube import Kube
from tests.integration.kubelet import AutoKubelet, FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

TASKS: list[dict[str, Any]] = [
    {"name": "maybe", "bash": "maybe", "skipOnExitCode": [99], "retries": 2, "retryDelay": "1s"},
    {"name": "strict", "bash": "strict"},
    {"name": "tolerant", "bash": "tolerant", "triggerRule": "none_failed"},
    {
        "name": "each",
        "bash": "each {{ item }}",
        "expand": {"items": [0, 1]},
        "skipOnExitCode": [99],
    },
]
FLOW = ["maybe >> [strict, tolerant]"]


def exits(pod: Any) -> tuple[int, str | None]:
    """`maybe` and `each[1]` exit 99; every other pod succeeds."""
    labels = pod.metadata.labels
    task = labels["kairflow.io/task"]
    if task == "maybe" or (task == "each" and labels.get("kairflow.io/map-index") == "1"):
        return 99, None
    return 0, None


def test_a_pod_exiting_with_a_skip_code_skips_its_task(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("skips", TASKS, FLOW))
    kube.create(ns, "dagruns", manual_run("skips-1", "skips"))
    with AutoKubelet(kubelet, exits):
        status = wait_run_state(kube, ns, "skips-1", "success", timeout=60)
    tis = status["taskInstances"]
    assert {k: v.get("state") for k, v in tis.items()} == {
        "maybe": "skipped",
        "strict": "skipped",
        "tolerant": "success",
        "each[0]": "success",
        "each[1]": "skipped",
    }
    maybe = tis["maybe"]
    assert (maybe["tryNumber"], maybe["exitCode"]) == (1, 99)
    assert maybe["message"] == "skipped: exit code 99 (skipOnExitCode)"
    assert maybe.get("endDate")
    assert len(kubelet.pods("maybe")) == 1  # never retried
    assert kubelet.pods("strict") == []
