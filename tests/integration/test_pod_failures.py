"""Every way a kubelet can fail a pod ends the try; none leaves a task stuck."""

from __future__ import annotations

import pytest

from tests.integration.helpers import dag, manual_run, run_status, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def start_one(kube: Kube, kubelet: FakeKubelet, name: str, **task: object) -> str:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag(name, [{"name": "t", "bash": "true", **task}]))
    kube.create(ns, "dagruns", manual_run(f"{name}-1", name))
    return str(kubelet.wait_pod("t").metadata.name)


def message(kube: Kube, ns: str, run: str) -> str:
    return str(run_status(kube, ns, run)["taskInstances"]["t"].get("message"))


def test_non_zero_exit_fails_with_the_code(kube: Kube, kubelet: FakeKubelet) -> None:
    pod = start_one(kube, kubelet, "exit")
    kubelet.start(pod)
    kubelet.finish(pod, exit_code=42)
    status = wait_run_state(kube, kubelet.namespace, "exit-1", "failed")
    assert status["taskInstances"]["t"]["exitCode"] == 42
    assert message(kube, kubelet.namespace, "exit-1") == "exit code 42"


def test_deadline_exceeded_is_an_execution_timeout(kube: Kube, kubelet: FakeKubelet) -> None:
    pod = start_one(kube, kubelet, "deadline", executionTimeout="1m")
    assert kubelet.pods("t")[0].spec.active_deadline_seconds == 60
    kubelet.start(pod)
    kubelet.set_status(
        pod,
        {
            "phase": "Failed",
            "reason": "DeadlineExceeded",
            "message": "Pod was active on the node longer than the deadline",
        },
    )
    wait_run_state(kube, kubelet.namespace, "deadline-1", "failed")
    assert "execution timeout of 1m exceeded" in message(kube, kubelet.namespace, "deadline-1")


def test_eviction_fails_the_try_with_the_reason(kube: Kube, kubelet: FakeKubelet) -> None:
    pod = start_one(kube, kubelet, "evicted")
    kubelet.start(pod)
    kubelet.set_status(
        pod,
        {
            "phase": "Failed",
            "reason": "Evicted",
            "message": "The node was low on resource: memory.",
        },
    )
    wait_run_state(kube, kubelet.namespace, "evicted-1", "failed")
    assert "Evicted: The node was low on resource" in message(kube, kubelet.namespace, "evicted-1")


def test_a_pod_deleted_by_someone_else_is_retried(kube: Kube, kubelet: FakeKubelet) -> None:
    pod = start_one(kube, kubelet, "deleted", retries=1, retryDelay="1s")
    kubelet.start(pod)
    wait_for(
        lambda: (
            run_status(kube, kubelet.namespace, "deleted-1")["taskInstances"]["t"]["state"]
            == "running"
        ),
        what="task running",
    )
    kube.core.delete_namespaced_pod(pod, kubelet.namespace, grace_period_seconds=0)
    kubelet.run("t", try_number=2)
    status = wait_run_state(kube, kubelet.namespace, "deleted-1", "success")
    assert status["taskInstances"]["t"]["tryNumber"] == 2


def test_an_image_that_cannot_be_pulled_fails_at_the_startup_timeout_with_the_reason(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    pod = start_one(kube, kubelet, "pull", image="registry.invalid/none:1")
    kubelet.set_status(
        pod,
        {
            "phase": "Pending",
            "containerStatuses": [
                {
                    "name": "base",
                    "ready": False,
                    "restartCount": 0,
                    "image": "x",
                    "imageID": "",
                    "state": {
                        "waiting": {"reason": "ErrImagePull", "message": "pull access denied"}
                    },
                }
            ],
        },
    )
    wait_for(
        lambda: (
            message(kube, kubelet.namespace, "pull-1")
            == "waiting for the pod to start: ErrImagePull: pull access denied"
        ),
        timeout=10,
        what="the task saying why it waits",
    )
    wait_run_state(kube, kubelet.namespace, "pull-1", "failed", timeout=40)
    assert message(kube, kubelet.namespace, "pull-1") == (
        "pod did not start within 15s (ErrImagePull: pull access denied)"
    )


def test_a_pod_pending_past_the_startup_timeout_fails(kube: Kube, kubelet: FakeKubelet) -> None:
    start_one(kube, kubelet, "pending")  # nobody runs it: the session operator allows 15s
    wait_run_state(kube, kubelet.namespace, "pending-1", "failed", timeout=40)
    assert "pod did not start within 15s" in message(kube, kubelet.namespace, "pending-1")
