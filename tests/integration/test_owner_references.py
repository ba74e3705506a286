"""Deleting a DAG deletes its runs, their pods and its DAG versions (owner references
+ the controller-manager's garbage collector)."""

from __future__ import annotations

import pytest

from tests.integration.helpers import dag, manual_run, runs
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def test_deleting_a_dag_cascades_to_runs_and_pods(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("doomed", [{"name": "t", "bash": "sleep 1000"}]))
    kube.create(ns, "dagruns", manual_run("doomed-1", "doomed"))
    pod = kubelet.wait_pod("t")
    assert pod.metadata.owner_references[0].name == "doomed-1"
    wait_for(
        lambda: runs(kube, ns, "doomed")[0]["metadata"].get("ownerReferences"),
        what="the manual run owned by its DAG",
    )
    version = runs(kube, ns, "doomed")[0]["status"]["dagVersion"]
    assert kube.kubectl("get", "configmap", version, "-n", ns).returncode == 0
    kube.kubectl("delete", "dag", "doomed", "-n", ns, "--wait=false")
    wait_for(lambda: not runs(kube, ns, "doomed"), timeout=60, what="runs garbage-collected")
    wait_for(
        lambda: kube.kubectl("get", "configmap", version, "-n", ns, check=False).returncode != 0,
        timeout=60,
        what="its DAG version garbage-collected",
    )
    wait_for(lambda: not kubelet.pods("t"), timeout=60, what="pods garbage-collected")
