"""What a real kubelet does to a task, and how each ends: a clear task state and
message, never a stuck task."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.realnode.realstack import RealStack, dag_manifest
from tests.e2e.stack import apply, get_json, trigger, wait_finished
from tests.integration.kube import wait_for

# The first test also starts the package's stack (an image build, a cluster, helm).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def run_one(real: RealStack, ns: str, name: str, task: dict[str, Any]) -> None:
    apply(real.kube, ns, dag_manifest(name, [{"name": "t", **task}]))
    trigger(real.kube, ns, name, f"{name}-1")


def task_instance(real: RealStack, ns: str, run: str) -> dict[str, Any]:
    status = get_json(real.kube, ns, "dagrun", run).get("status") or {}
    ti: dict[str, Any] = (status.get("taskInstances") or {}).get("t") or {}
    return ti


def wait_running(real: RealStack, ns: str, run: str, timeout: float = 60) -> dict[str, Any]:
    return wait_for(
        lambda: (ti := task_instance(real, ns, run)).get("state") == "running" and ti,
        timeout=timeout,
        interval=0.2,
        what=f"task t of {run} running",
    )


def test_an_image_that_does_not_exist_fails_after_the_startup_timeout_with_the_reason(
    real: RealStack, ns: str
) -> None:
    run_one(real, ns, "no-image", {"image": "localhost/kairflow/absent:1", "bash": "true"})
    # While it waits, the task says why (after ContainerCreating: the failed pulls).
    waiting = r"waiting for the pod to start: (ErrImagePull|ImagePullBackOff)"
    wait_for(
        lambda: re.match(waiting, task_instance(real, ns, "no-image-1").get("message") or ""),
        timeout=60,
        what="the task saying why it waits",
    )
    status = wait_finished(real.kube, ns, "no-image-1", timeout=90)
    ti = status["taskInstances"]["t"]
    assert status["state"] == "failed"
    assert re.match(
        r"pod did not start within 25s \((ErrImagePull|ImagePullBackOff)", ti["message"]
    )


def test_a_container_over_its_memory_limit_is_oom_killed_and_the_task_says_so(
    real: RealStack, ns: str
) -> None:
    limits = {"limits": {"memory": "48Mi"}, "requests": {"memory": "48Mi"}}
    task = {
        "python": "blocks = [bytearray(16 * 2**20) for _ in range(32)]\nprint(len(blocks))",
        "podTemplate": {"spec": {"containers": [{"name": "base", "resources": limits}]}},
    }
    run_one(real, ns, "oom", task)
    status = wait_finished(real.kube, ns, "oom-1", timeout=120)
    ti = status["taskInstances"]["t"]
    assert status["state"] == "failed"
    assert ti["exitCode"] == 137
    assert ti["message"] == "exit code 137 (OOMKilled)"


def test_execution_timeout_ends_the_pod_through_active_deadline_seconds(
    real: RealStack, ns: str
) -> None:
    run_one(real, ns, "slow", {"bash": "sleep 120", "executionTimeout": "3s"})
    status = wait_finished(real.kube, ns, "slow-1", timeout=90)
    ti = status["taskInstances"]["t"]
    assert status["state"] == "failed"
    assert ti["message"] == "execution timeout of 3s exceeded (DeadlineExceeded)"
    (pod,) = get_json(real.kube, ns, "pods", "-l", "kairflow.io/dag-run=slow-1")["items"]
    assert pod["spec"]["activeDeadlineSeconds"] == 3
    assert pod["status"]["reason"] == "DeadlineExceeded"


def test_a_pod_deleted_mid_run_fails_its_try_and_the_retry_succeeds(
    real: RealStack, ns: str
) -> None:
    task = {
        "bash": '[ "$KAIRFLOW_TRY_NUMBER" -ge 2 ] && exit 0; sleep 120',
        "retries": 1,
        "retryDelay": "1s",
    }
    run_one(real, ns, "deleted", task)
    first = wait_running(real, ns, "deleted-1")
    real.kube.kubectl("delete", "pod", "-n", ns, first["pod"], "--wait=false")
    status = wait_finished(real.kube, ns, "deleted-1", timeout=120)
    ti = status["taskInstances"]["t"]
    assert status["state"] == "success", status
    assert ti["tryNumber"] == 2


def test_a_kubelet_restart_mid_task_loses_nothing(real: RealStack, ns: str) -> None:
    task = {
        "python": (
            "import json, os, time\n"
            "time.sleep(8)\n"
            "json.dump('survived', open(os.environ['KAIRFLOW_XCOM_FILE'], 'w'))\n"
        )
    }
    run_one(real, ns, "restart", task)
    wait_running(real, ns, "restart-1")
    real.cluster.restart("kubelet")
    status = wait_finished(real.kube, ns, "restart-1", timeout=120)
    ti = status["taskInstances"]["t"]
    assert status["state"] == "success", status
    assert (ti["tryNumber"], ti["xcom"]) == (1, "survived")
    pods = get_json(real.kube, ns, "pods", "-l", "kairflow.io/dag-run=restart-1")["items"]
    assert len(pods) == 1
