"""The real-node stack the e2e tests in this package share: the local control plane
with a real node (containerd, kubelet, kube-scheduler, kube-proxy), the operator image
built from this checkout, and the chart installed with `helm install`, as a user
would on any cluster.

One real node runs per machine (its pod network and cgroups are the machine's), so
the stack is started once for the package and waits its turn if another one (a dev
stack, a second test run) holds the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import config

from kairflow.localcluster import LocalCluster
from kairflow.localcluster.chart import NAMESPACE, RELEASE, helm, install_chart
from kairflow.localcluster.node import NodeUnavailable, unavailable_reason
from kairflow.localcluster.operator_image import build_operator_image
from tests.e2e.stack import ROOT
from tests.integration.kube import Kube, wait_for

CHART = ROOT / "charts" / "kairflow"
OPERATOR_NAMESPACE = NAMESPACE
MARKER = "/etc/kairflow-image"  # a file only the base image has
# A short startup timeout, so a missing image fails fast.
VALUES = {"settings.startupTimeout": "25s"}
REQUIRED = os.environ.get("KAIRFLOW_REQUIRE_REAL_NODE") == "1"


@dataclass
class RealStack:
    kube: Kube
    cluster: LocalCluster
    image: str  # the operator image reference

    def helm(self, *args: str) -> subprocess.CompletedProcess[str]:
        return helm(self.kube.kubeconfig, *args)

    def install(self, verb: str = "install", **values: str) -> None:
        install_chart(self.kube.kubeconfig, CHART, self.image, verb, **{**VALUES, **values})

    def operator_pods(self) -> list[dict[str, Any]]:
        # Not the web UI's pods (ui.enabled): they are the release's too.
        selector = f"app.kubernetes.io/instance={RELEASE},app.kubernetes.io/component!=ui"
        listed = self.kubectl_json("get", "pods", "-n", OPERATOR_NAMESPACE, "-l", selector)
        return [p for p in listed["items"] if not p["metadata"].get("deletionTimestamp")]

    def operator_ready(self) -> dict[str, Any] | None:
        """The one running operator pod once it is Ready, else None."""
        pods = self.operator_pods()
        ready = [
            p
            for p in pods
            if any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in p.get("status", {}).get("conditions", [])
            )
        ]
        return ready[0] if len(ready) == 1 and len(pods) == 1 else None

    def operator_replaced(self, before: dict[str, Any]) -> dict[str, Any]:
        """Wait for a new operator pod (not `before`) to be the one Ready."""
        uid = before["metadata"]["uid"]
        return wait_for(
            lambda: (pod := self.operator_ready()) and pod["metadata"]["uid"] != uid and pod,
            timeout=120,
            interval=0.5,
            what="a new operator pod Ready",
        )

    def kubectl_json(self, *args: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.kube.kubectl(*args, "-o", "json").stdout)
        return loaded


def start_real_stack(workdir: Path) -> tuple[RealStack, LocalCluster]:
    """Build the operator image, start the cluster with a real node (waiting for the
    machine if another node holds it), and helm-install the chart."""
    reason = unavailable_reason()
    if reason is not None:
        raise NodeUnavailable(reason)
    archive, image = build_operator_image(ROOT)
    deadline = time.monotonic() + 900
    while True:
        cluster = LocalCluster(workdir=workdir, real_node=True, images=[archive])
        try:
            info = cluster.start()
            break
        except NodeUnavailable as exc:
            if "already runs" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(5)  # another test run or a dev stack holds the machine's node
    api = config.new_client_from_config(config_file=info.kubeconfig)  # type: ignore[no-untyped-call]
    stack = RealStack(Kube(api, Path(info.kubeconfig)), cluster, image)
    stack.install()
    wait_for(stack.operator_ready, timeout=120, interval=0.5, what="the operator pod Ready")
    return stack, cluster


def dag_manifest(name: str, tasks: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name},
        "spec": {"tasks": tasks, **spec},
    }
