"""DAG versions on the real apiserver: runs of one DAG spec share one stored version
(an immutable ConfigMap owned by the DAG), a run keeps running its version when the
DAG is edited, and the CLI shows a run's tasks from its version."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kairflow.core.dag_versions import read_config_map
from tests.cli import kairflow
from tests.integration.helpers import dag, manual_run, run_status, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def version_of(kube: Kube, ns: str, run: str) -> str:
    return str(
        wait_for(
            lambda: run_status(kube, ns, run).get("dagVersion"), what=f"{run} naming its version"
        )
    )


def config_map(kube: Kube, ns: str, name: str) -> dict[str, Any]:
    found = kube.kubectl("get", "configmap", name, "-n", ns, "-o", "json")
    return dict(json.loads(found.stdout))


def test_runs_share_their_version_and_keep_it_when_the_dag_is_edited(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("etl", [{"name": "extract", "bash": "sleep 1000"}]))
    kube.create(ns, "dagruns", manual_run("etl-1", "etl"))
    kube.create(ns, "dagruns", manual_run("etl-2", "etl"))
    first = version_of(kube, ns, "etl-1")
    assert version_of(kube, ns, "etl-2") == first
    stored = config_map(kube, ns, first)
    assert stored["immutable"] is True
    assert [o["kind"] for o in stored["metadata"]["ownerReferences"]] == ["DAG"]
    assert [t["name"] for t in read_config_map(stored)["tasks"]] == ["extract"]
    assert "dagSpec" not in run_status(kube, ns, "etl-1")

    edited = [{"name": "extract", "bash": "echo new"}, {"name": "load", "bash": "echo new"}]
    kube.kubectl(
        "patch",
        "dag",
        "etl",
        "-n",
        ns,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"tasks": edited}}),
    )
    wait_for(lambda: len(kube.get(ns, "dags", "etl")["spec"]["tasks"]) == 2, what="the DAG edited")
    kube.create(ns, "dagruns", manual_run("etl-3", "etl"))
    assert version_of(kube, ns, "etl-3") != first

    # The first runs go on with their own version: one task, `sleep 1000`.
    pod = kubelet.wait_pod("extract")
    assert pod.spec.containers[0].command[-1] == "sleep 1000"
    for run in ("etl-1", "etl-2"):
        pod = wait_for(
            lambda run=run: next(
                (p for p in kubelet.pods("extract") if p.metadata.owner_references[0].name == run),
                None,
            ),
            what=f"the pod of {run}",
        )
        kubelet.start(pod.metadata.name)
        kubelet.finish(pod.metadata.name)
        wait_run_state(kube, ns, run, "success")
        assert set(run_status(kube, ns, run)["taskInstances"]) == {"extract"}

    # The CLI reads the tasks from the version: a tree of the one task it ran.
    shown = kairflow(
        "runs", "get", "etl-1", "-n", ns, env={"KUBECONFIG": str(kube.kubeconfig), "COLUMNS": "200"}
    )
    assert shown.exit_code == 0, shown.stderr
    assert "extract" in shown.stdout and "load" not in shown.stdout
    assert "no DAG snapshot" not in shown.stdout
