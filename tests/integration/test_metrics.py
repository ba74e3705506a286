"""Metric values, not just names: the scheduling delay (pod created minus the moment a
task's dependencies were met) shows a task that waited for a pool slot."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.integration.helpers import dag, manual_run, sample, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration
HELD = 2.0


def test_the_scheduling_delay_measures_the_wait_for_a_pool_slot(kube: Kube, tmp_path: Path) -> None:
    with own_namespace(kube, "metrics") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        operator = ops.start(env={"KAIRFLOW_POOLS": "db=1"}).wait_ready()
        kubelet = FakeKubelet(kube, ns)
        tasks = [{"name": n, "bash": "true", "pool": "db"} for n in ("first", "second")]
        kube.create(ns, "dags", dag("pooled", tasks))
        kube.create(ns, "dagruns", manual_run("pooled-1", "pooled"))
        wait_for(lambda: len(kubelet.pods()) == 1, what="one pod: the pool has one slot")
        (holder,) = kubelet.pods()
        kubelet.start(holder.metadata.name)
        time.sleep(HELD)  # the first task runs for 2 s: scenario time, not a wait on us
        assert len(kubelet.pods()) == 1, "the second task waits for the slot"
        kubelet.finish(holder.metadata.name)
        waiter = wait_for(
            lambda: [p for p in kubelet.pods() if p.metadata.name != holder.metadata.name],
            what="the second task's pod",
        )[0]
        kubelet.start(waiter.metadata.name)
        kubelet.finish(waiter.metadata.name)
        wait_run_state(kube, ns, "pooled-1", "success")

        metrics = operator.metrics()
        count = sample(metrics, "kairflow_scheduling_delay_seconds_count")
        total = sample(metrics, "kairflow_scheduling_delay_seconds_sum")
        quick = sample(metrics, "kairflow_scheduling_delay_seconds_bucket", le="0.5")
        assert count == 2.0
        assert quick == 1.0, "the first task got its pod at once"
        assert total is not None and total >= HELD, "the second waited while the slot was held"
