"""A big run (its task instances in TaskInstanceSlices) read by the CLI from a real
API server, whole: `runs get` shows every task instance, and following the run sees a
change that only its slice records. The run and its slices are written by hand, as
the operator lays them out (`core.task_instance_slices`), in a namespace operators
ignore (other tests' operators watch every namespace: one would sync this run)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kairflow.api.common import GROUP, VERSION
from kairflow.cli.kube import Cluster, Target
from kairflow.core.task_instance_slices import layout, slice_name
from tests.cli import kairflow
from tests.integration.kube import Kube
from tests.integration.operator_process import own_namespace

pytestmark = pytest.mark.integration


@pytest.fixture
def namespace(kube: Kube) -> Iterator[str]:
    with own_namespace(kube, "cli-big") as name:
        yield name


RUN = "big-manual-1"
TASKS = [f"t{i}" for i in range(40)]
SLICES = 4
LATE = "t7"


def ti(state: str) -> dict[str, Any]:
    return {"state": state, "tryNumber": 1}


def write_status(kube: Kube, namespace: str, plural: str, name: str, status: Any) -> None:
    kube.custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, plural, name, {"status": status}
    )


def big_run(kube: Kube, namespace: str) -> list[dict[str, Any]]:
    """The run and its 4 slices; returns each slice's task instances."""
    instances = {t: ti("running" if t == LATE else "success") for t in TASKS}
    placed = layout(instances, SLICES, budget=1000)  # each part fits: stays at 4 slices
    assert placed.slices == SLICES
    kube.create(
        namespace,
        "dagruns",
        {
            "apiVersion": "kairflow.io/v1alpha1",
            "kind": "DagRun",
            "metadata": {"name": RUN},
            "spec": {"dagName": "big", "runType": "manual"},
        },
    )
    spec = {"tasks": [{"name": t, "bash": "true"} for t in TASKS]}
    status = {"state": "running", "taskInstanceSlices": SLICES, "dagSpec": spec}
    write_status(kube, namespace, "dagruns", RUN, status)
    for index, part in enumerate(placed.parts):
        name = slice_name(RUN, SLICES, index)
        kube.create(
            namespace,
            "taskinstanceslices",
            {
                "apiVersion": "kairflow.io/v1alpha1",
                "kind": "TaskInstanceSlice",
                "metadata": {"name": name, "labels": {"kairflow.io/dag-run": RUN}},
                "spec": {"dagRun": RUN, "slices": SLICES, "index": index},
            },
        )
        write_status(kube, namespace, "taskinstanceslices", name, {"taskInstances": part})
    return [dict(part) for part in placed.parts]


def test_runs_get_shows_every_task_instance_of_a_big_run(kube: Kube, namespace: str) -> None:
    big_run(kube, namespace)
    args = ("-n", namespace, "--kubeconfig", str(kube.kubeconfig))
    shown = kairflow("runs", "get", RUN, *args)
    assert shown.exit_code == 0, shown.output
    rows = {line.split()[0]: line for line in shown.stdout.splitlines() if line.split()}
    assert all("success" in rows[t] for t in TASKS if t != LATE)
    assert "running" in rows[LATE]
    assert shown.stderr == ""
    stored = kairflow("runs", "get", RUN, "-o", "yaml", *args)
    assert "taskInstances" not in stored.stdout  # as stored


def states(runs: Iterator[dict[str, Any]]) -> tuple[str, str]:
    run = next(runs)
    return run["status"]["state"], run["status"]["taskInstances"][LATE]["state"]


def test_following_a_big_run_sees_what_only_its_slice_records(kube: Kube, namespace: str) -> None:
    parts = big_run(kube, namespace)
    cluster = Cluster(Target(kubeconfig=str(kube.kubeconfig), namespace=namespace))
    runs = cluster.watch_one("dagruns", RUN, timeout=30)
    assert states(runs) == ("running", "running")

    index = next(i for i, part in enumerate(parts) if LATE in part)
    name = slice_name(RUN, SLICES, index)
    write_status(
        kube, namespace, "taskinstanceslices", name, {"taskInstances": {LATE: ti("success")}}
    )
    assert states(runs) == ("running", "success")  # the run itself did not change

    write_status(kube, namespace, "dagruns", RUN, {"state": "success"})
    assert states(runs) == ("success", "success")
    runs.close()
