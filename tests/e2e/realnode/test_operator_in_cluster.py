"""The operator as users run it: a pod of the chart's Deployment, under the chart's
ServiceAccount and RBAC, with in-cluster configuration; helm upgrade and uninstall."""

from __future__ import annotations

import subprocess
import urllib.request
from collections import Counter
from typing import Any

import pytest

from tests.e2e.realnode.realstack import OPERATOR_NAMESPACE, RealStack, dag_manifest
from tests.e2e.stack import apply, get_json, trigger, wait_finished
from tests.integration.kube import wait_for

# The first test also starts the package's stack (an image build, a cluster, helm).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
SERVICE_ACCOUNT = "kairflow-kairflow"


def chain(name: str, length: int, seconds: float) -> dict[str, Any]:
    tasks = [{"name": f"step{i}", "bash": f"sleep {seconds}; echo step {i}"} for i in range(length)]
    flow = [" >> ".join(t["name"] for t in tasks)]
    return dag_manifest(name, tasks, flow=flow)


def running_task(real: RealStack, ns: str, run: str) -> str | None:
    status = get_json(real.kube, ns, "dagrun", run).get("status") or {}
    for name, ti in (status.get("taskInstances") or {}).items():
        if ti.get("state") == "running":
            return str(name)
    return None


def test_the_operator_runs_in_cluster_under_the_charts_service_account(
    real: RealStack, ns: str
) -> None:
    pod = real.operator_ready()
    assert pod is not None
    assert pod["spec"]["serviceAccountName"] == SERVICE_ACCOUNT
    (container,) = pod["status"]["containerStatuses"]
    assert container["image"].endswith(real.image)
    assert container["containerID"].startswith("containerd://")
    # The metrics endpoint answers on the pod's address, from outside the pod.
    ip = pod["status"]["podIP"]
    with urllib.request.urlopen(f"http://{ip}:9090/metrics", timeout=10) as reply:
        assert b"kairflow_dag_runs" in reply.read()
    # and through its Service's ClusterIP (kube-proxy's rules).
    service = get_json(real.kube, OPERATOR_NAMESPACE, "service", "kairflow-kairflow-metrics")
    with urllib.request.urlopen(
        f"http://{service['spec']['clusterIP']}:9090/metrics", timeout=10
    ) as reply:
        assert reply.status == 200
    # What the chart's RBAC grants (and withholds) is what the operator's token can do.
    who = f"system:serviceaccount:{OPERATOR_NAMESPACE}:{SERVICE_ACCOUNT}"
    can = real.kube.kubectl("auth", "can-i", "create", "pods", "-n", ns, "--as", who, check=False)
    assert can.stdout.strip() == "yes"
    cannot = real.kube.kubectl(
        "auth", "can-i", "get", "secrets", "-n", ns, "--as", who, check=False
    )
    assert cannot.stdout.strip() == "no"
    # The liveness probe has run against it (it is past its initial delay) without a restart.
    assert container["restartCount"] == 0
    assert pod["spec"]["containers"][0]["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_the_operator_pod_deleted_mid_run_comes_back_and_no_task_runs_twice(
    real: RealStack, ns: str
) -> None:
    apply(real.kube, ns, chain("chain", 6, 2))
    trigger(real.kube, ns, "chain", "chain-1")
    wait_for(
        lambda: running_task(real, ns, "chain-1") == "step1", timeout=120, what="step1 running"
    )
    before = real.operator_ready()
    assert before is not None
    # Not waiting for the old pod to be gone (the kubelet's grace period, slower on a
    # loaded machine): the ReplicaSet replaces it at once either way, as in production.
    real.kube.kubectl(
        "delete", "pod", "-n", OPERATOR_NAMESPACE, before["metadata"]["name"], "--wait=false"
    )
    after = real.operator_replaced(before)
    assert after["metadata"]["name"] != before["metadata"]["name"]
    status = wait_finished(real.kube, ns, "chain-1", timeout=180)
    assert status["state"] == "success", status
    assert {ti["tryNumber"] for ti in status["taskInstances"].values()} == {1}
    pods = get_json(real.kube, ns, "pods", "-l", "kairflow.io/dag-run=chain-1")["items"]
    per_task = Counter(p["metadata"]["labels"]["kairflow.io/task"] for p in pods)
    assert per_task == Counter({f"step{i}": 1 for i in range(6)})


def test_kubectl_logs_and_logs_follow_read_a_task_through_the_kubelet(
    real: RealStack, ns: str
) -> None:
    script = "for i in 0 1 2 3 4 5; do echo line $i; sleep 1; done"
    apply(real.kube, ns, dag_manifest("talk", [{"name": "t", "bash": script}]))
    trigger(real.kube, ns, "talk", "talk-1")
    pod = wait_for(
        lambda: (
            (
                (get_json(real.kube, ns, "dagrun", "talk-1").get("status") or {})
                .get("taskInstances", {})
                .get("t", {})
                .get("state")
                == "running"
            )
            and get_json(real.kube, ns, "dagrun", "talk-1")["status"]["taskInstances"]["t"]["pod"]
        ),
        timeout=60,
        what="the task running",
    )
    env = {"KUBECONFIG": str(real.kube.kubeconfig), "PATH": "/usr/local/bin:/usr/bin:/bin"}
    follow = subprocess.run(
        ["kubectl", "logs", "-f", "-n", ns, pod],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    # -f attached while the task ran and returned when its container ended.
    assert [f"line {i}" for i in range(6)] == follow.stdout.split("\n")[:6]
    status = wait_finished(real.kube, ns, "talk-1", timeout=60)
    assert status["state"] == "success"
    assert "line 5" in real.kube.kubectl("logs", "-n", ns, pod).stdout


def test_helm_upgrade_changes_a_setting_and_helm_uninstall_leaves_the_cluster_consistent(
    real: RealStack, ns: str
) -> None:
    before = real.operator_ready()
    assert before is not None
    real.install("upgrade", **{"settings.podCleanup": "succeeded"})
    after = real.operator_replaced(before)
    env = {e["name"]: e.get("value") for e in after["spec"]["containers"][0]["env"]}
    assert env["KAIRFLOW_POD_CLEANUP"] == "succeeded"
    apply(real.kube, ns, dag_manifest("tidy", [{"name": "t", "bash": "echo done"}]))
    trigger(real.kube, ns, "tidy", "tidy-1")
    assert wait_finished(real.kube, ns, "tidy-1", timeout=90)["state"] == "success"
    wait_for(
        lambda: not get_json(real.kube, ns, "pods", "-l", "kairflow.io/dag-run=tidy-1")["items"],
        timeout=60,
        what="the succeeded task's pod cleaned up (the upgraded setting at work)",
    )

    real.helm("uninstall", "kairflow", "--namespace", OPERATOR_NAMESPACE, "--wait")
    wait_for(lambda: not real.operator_pods(), timeout=60, what="no operator pod left")
    left = real.kube.kubectl(
        "get", "deploy,sa,role,rolebinding,service", "-n", OPERATOR_NAMESPACE, "-o", "name"
    ).stdout.split()
    assert left == ["serviceaccount/default"], left  # the namespace's own, not the chart's
    cluster_rbac = real.kube.kubectl("get", "clusterrole,clusterrolebinding", "-o", "name").stdout
    assert "kairflow" not in cluster_rbac
    # The CRDs (helm never deletes crds/) and the users' DAGs and runs stay.
    assert get_json(real.kube, ns, "dag", "tidy")["metadata"]["name"] == "tidy"
    assert get_json(real.kube, ns, "dagrun", "tidy-1")["status"]["state"] == "success"

    # Installed again, it takes over where it was: a new run of the kept DAG succeeds.
    real.install()
    wait_for(real.operator_ready, timeout=120, interval=0.5, what="the reinstalled operator")
    trigger(real.kube, ns, "tidy", "tidy-2")
    assert wait_finished(real.kube, ns, "tidy-2", timeout=90)["state"] == "success"
