"""Task groups on the real apiserver: a grouped DAG runs group by group with its
groups' settings, a clear naming the group reruns the group and what follows it, and
a flow naming an unknown group leaves the DAG not Ready."""

from __future__ import annotations

import json

import pytest

from tests.integration.helpers import dag, dag_status, manual_run, run_dag_spec, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

GROUPS = [
    {"name": "transform", "defaults": {"retries": 2}},
    {"name": "checks", "group": "transform", "defaults": {"retries": 0}},
]
TASKS = [
    {"name": "extract", "bash": "true"},
    {"name": "clean", "group": "transform", "bash": "true"},
    {"name": "join", "group": "transform", "bash": "true"},
    {"name": "rows", "group": "transform.checks", "bash": "true"},
    {"name": "load", "bash": "true"},
]
FLOW = ["extract >> transform >> load", "transform.clean >> transform.join"]


def test_a_grouped_dag_runs_and_a_clear_of_the_group_reruns_it_and_what_follows(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("etl", TASKS, FLOW, groups=GROUPS, defaults={"retries": 1}))
    kube.create(ns, "dagruns", manual_run("etl-1", "etl"))
    kubelet.run("extract")
    # The group's roots start once extract is done; load only after all its leaves.
    clean = kubelet.run("transform.clean")
    assert clean.metadata.labels["kairflow.io/task"] == "transform.clean"
    kubelet.run("transform.checks.rows")
    assert kubelet.pods("load") == []
    kubelet.run("transform.join")
    kubelet.run("load")
    status = wait_run_state(kube, ns, "etl-1", "success")
    max_tries = {k: v.get("maxTries") for k, v in status["taskInstances"].items()}
    assert max_tries == {
        "extract": 2,
        "transform.clean": 3,
        "transform.join": 3,
        "transform.checks.rows": 1,
        "load": 2,
    }
    assert run_dag_spec(kube, ns, status)["groups"][1] == {
        "name": "checks",
        "group": "transform",
        "defaults": {"retries": 0},
    }

    clear = {"id": "group", "tasks": ["transform"], "downstream": True}
    kube.kubectl(
        "patch", "dagrun", "etl-1", "-n", ns, "--type=merge", "-p",
        json.dumps({"spec": {"clear": clear}}),
    )  # fmt: skip
    for task in ("transform.clean", "transform.checks.rows", "transform.join", "load"):
        kubelet.run(task, try_number=2)
    status = wait_run_state(kube, ns, "etl-1", "success")
    tries = {k: v.get("tryNumber") for k, v in status["taskInstances"].items()}
    assert tries == {
        "extract": 1,
        "transform.clean": 2,
        "transform.join": 2,
        "transform.checks.rows": 2,
        "load": 2,
    }
    assert status["handledClear"] == "group"


def test_a_flow_naming_an_unknown_group_leaves_the_dag_not_ready(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("typo", TASKS, ["extract >> transfrom"], groups=GROUPS))

    def not_ready() -> dict[str, str] | None:
        conditions = dag_status(kube, ns, "typo").get("conditions") or []
        found = next((c for c in conditions if c["type"] == "Ready"), {})
        return found if found.get("status") == "False" else None

    condition = wait_for(not_ready, what="Ready=False")
    assert condition["reason"] == "InvalidDag"
    assert "unknown task or task group 'transfrom'" in condition["message"]
