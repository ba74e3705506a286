"""`kubectl wait` works on DagRuns: their `Succeeded` condition is Unknown while they
run, then True or False."""

from __future__ import annotations

import re

import pytest

from tests.integration.helpers import dag, manual_run, printed_row, run_status
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def succeeded(kube: Kube, ns: str, run: str) -> dict[str, str]:
    conditions = run_status(kube, ns, run).get("conditions") or []
    return next((c for c in conditions if c["type"] == "Succeeded"), {})


def test_kubectl_waits_for_a_run_to_succeed_or_fail(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("waitable", [{"name": "only", "bash": "true"}]))
    kube.create(ns, "dagruns", manual_run("waitable-1", "waitable"))
    kube.create(ns, "dagruns", manual_run("waitable-2", "waitable"))
    for run in ("waitable-1", "waitable-2"):
        wait_for(
            lambda run=run: succeeded(kube, ns, run).get("reason") == "Running",
            what=f"{run} running",
        )
        assert succeeded(kube, ns, run)["status"] == "Unknown"
    # A wait that cannot be met yet times out (kubectl exits non-zero).
    early = kube.kubectl(
        "wait",
        "-n",
        ns,
        "dagrun/waitable-1",
        "--for=condition=Succeeded",
        "--timeout=1s",
        check=False,
    )
    assert early.returncode != 0
    wait_for(lambda: len(kubelet.pods("only")) == 2, what="both runs' pods")
    pods = {p.metadata.labels["kairflow.io/dag-run"]: p for p in kubelet.pods("only")}
    first, second = pods["waitable-1"], pods["waitable-2"]
    kubelet.start(first.metadata.name)
    kubelet.finish(first.metadata.name)
    kubelet.start(second.metadata.name)
    kubelet.finish(second.metadata.name, exit_code=3)
    ok = kube.kubectl(
        "wait", "-n", ns, "dagrun/waitable-1", "--for=condition=Succeeded", "--timeout=30s"
    )
    assert "condition met" in ok.stdout
    failed = kube.kubectl(
        "wait", "-n", ns, "dagrun/waitable-2", "--for=condition=Succeeded=False", "--timeout=30s"
    )
    assert "condition met" in failed.stdout
    assert succeeded(kube, ns, "waitable-2")["reason"] == "Failed"
    assert "only" in succeeded(kube, ns, "waitable-2")["message"]

    # `kubectl get dagruns` shows every column filled in.
    header, row = printed_row(kube, "dagrun", "waitable-1", "-n", ns)
    assert header == [
        "NAME",
        "DAG",
        "STATE",
        "PROGRESS",
        "LOGICAL DATE",
        "START",
        "DURATION",
        "AGE",
    ]
    status = run_status(kube, ns, "waitable-1")
    assert row[:4] == ["waitable-1", "waitable", "success", "1/1"]
    assert (row[4], row[6]) == (status["logicalDate"], status["duration"])
    assert re.fullmatch(r"\d+[smhd]\S*", row[5]), row  # start: how long ago (a date column)
    assert len(row) == 8, row  # and the age
