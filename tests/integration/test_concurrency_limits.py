"""Limits shared between runs hold even when their syncs run at the same time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import dag, manual_run, run_status, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet
from tests.integration.operator_process import operators, own_namespace

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def test_a_pool_slot_is_given_to_one_run_at_a_time(kube: Kube, kubelet: FakeKubelet) -> None:
    """The session operator has pool db=1: two runs, one db slot."""
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("pooled", [{"name": "query", "bash": "true", "pool": "db"}]))
    for run in ("pooled-1", "pooled-2", "pooled-3"):
        kube.create(ns, "dagruns", manual_run(run, "pooled"))

    def waiting_for_the_pool() -> int:
        messages = [
            (run_status(kube, ns, r).get("taskInstances") or {}).get("query", {}).get("message")
            for r in ("pooled-1", "pooled-2", "pooled-3")
        ]
        return sum(1 for m in messages if m and "pool 'db'" in m)

    wait_for(lambda: waiting_for_the_pool() == 2, what="two runs waiting for the db slot")
    assert len(kubelet.pods("query")) == 1
    for _ in range(3):
        pods = wait_for(
            lambda: [
                p
                for p in kubelet.pods("query")
                if not p.status.phase or p.status.phase == "Pending"
            ],
            what="the next db pod",
        )
        assert len(pods) == 1, "more than one pod holds the single db slot"
        kubelet.start(pods[0].metadata.name)
        kubelet.finish(pods[0].metadata.name)
    for run in ("pooled-1", "pooled-2", "pooled-3"):
        wait_run_state(kube, ns, run, "success")


def test_max_active_runs_holds_for_runs_created_together(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("single", [{"name": "t", "bash": "true"}], maxActiveRuns=1))
    for run in ("single-1", "single-2"):
        kube.create(ns, "dagruns", manual_run(run, "single"))
    wait_for(
        lambda: (
            {run_status(kube, ns, r).get("state") for r in ("single-1", "single-2")}
            == {"running", "queued"}
        ),
        what="one running, one queued",
    )
    kubelet.run("t")
    wait_for(lambda: len(kubelet.pods("t")) == 2, what="the second run's pod")
    pod = next(p for p in kubelet.pods("t") if not p.status.phase or p.status.phase == "Pending")
    kubelet.start(pod.metadata.name)
    kubelet.finish(pod.metadata.name)
    for run in ("single-1", "single-2"):
        wait_run_state(kube, ns, run, "success")


def test_parallelism_caps_task_instances_across_dags(kube: Kube, tmp_path: Path) -> None:
    """KAIRFLOW_PARALLELISM=2: two DAGs of two parallel tasks each, two pods at a time."""
    with own_namespace(kube, "parallelism") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        ops.start(env={"KAIRFLOW_PARALLELISM": "2"}).wait_ready()
        kubelet = FakeKubelet(kube, ns)
        for name in ("left", "right"):
            tasks = [{"name": f"{name}_{i}", "bash": "true"} for i in (1, 2)]
            kube.create(ns, "dags", dag(name, tasks))
            kube.create(ns, "dagruns", manual_run(f"{name}-1", name))

        def waiting() -> int:
            return sum(
                "parallelism" in (ti.get("message") or "")
                for run in ("left-1", "right-1")
                for ti in (run_status(kube, ns, run).get("taskInstances") or {}).values()
            )

        done: set[str] = set()

        def unfinished() -> list[Any]:
            return [p for p in kubelet.pods() if p.metadata.name not in done]

        wait_for(
            lambda: len(unfinished()) == 2 and waiting() == 2,
            what="two pods out, the other two task instances waiting for a slot",
        )
        for _ in range(4):
            pods = wait_for(unfinished, what="a pod to run")
            assert len(pods) <= 2, [p.metadata.name for p in pods]
            kubelet.start(pods[0].metadata.name)
            kubelet.finish(pods[0].metadata.name)
            done.add(pods[0].metadata.name)
        wait_run_state(kube, ns, "left-1", "success")
        wait_run_state(kube, ns, "right-1", "success")
