"""The user's path on the real node: a DAG written in Python, rendered with
`kairflow dags render`, applied with kubectl, triggered, followed, cleared and read with
the `kairflow` command against the helm-installed operator, every task in a container."""

from __future__ import annotations

import json

import pytest

from tests.e2e.cli_stack import Cli
from tests.e2e.realnode.realstack import RealStack
from tests.e2e.stack import ROOT, get_json

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def test_a_python_dag_runs_in_containers_through_the_cli(real: RealStack, ns: str) -> None:
    cli = Cli(real.kube, ns)
    rendered = cli.run(
        "dags", "render", str(ROOT / "dags" / "python" / "taskflow_etl.py"), namespaced=False
    )
    assert rendered.returncode == 0, rendered.stderr
    real.kube.kubectl("apply", "-n", ns, "-f", "-", input=rendered.stdout)

    triggered = cli.run("dags", "trigger", "taskflow-etl", "--wait", "-o", "json", timeout=300)
    assert triggered.returncode == 0, triggered.stderr
    run = json.loads(triggered.stdout)
    name, tis = run["metadata"]["name"], run["status"]["taskInstances"]
    # extract → [1, 2, 3], price mapped over 3 items → [3, 6, 9], total 18 → the big branch.
    assert tis["total"]["xcom"] == 18, tis["total"]
    assert [tis[f"price[{i}]"]["xcom"] for i in range(3)] == [3, 6, 9]
    assert tis["big_order"]["state"] == "success"
    assert tis["small_order"]["state"] == "skipped"
    pod = get_json(real.kube, ns, "pod", tis["total"]["pod"])
    assert pod["status"]["containerStatuses"][0]["containerID"].startswith("containerd://")

    cleared = cli.ok("tasks", "clear", name, "--task", "total", "--downstream", "--yes")
    assert f"dagrun.kairflow.io/{name} cleared (4 task instances)" in cleared, cleared
    waited = cli.run("runs", "wait", name, timeout=300)
    assert waited.returncode == 0, waited.stdout + waited.stderr
    after = get_json(real.kube, ns, "dagrun", name)["status"]["taskInstances"]
    assert after["total"]["tryNumber"] == 2 and after["extract"]["tryNumber"] == 1

    # Each try's log, read through the kubelet's API as `kubectl logs` reads it.
    first = cli.run("tasks", "logs", name, "total", "--try", "1")
    second = cli.run("tasks", "logs", name, "total", "--try", "2")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    logs = cli.ok("runs", "logs", name)
    assert logs.index("==> extract") < logs.index("==> price[0]") < logs.index("==> total")
    grid = cli.ok("runs", "grid", "taskflow-etl")
    assert "big_order" in grid and "»" in grid  # the skipped branch
