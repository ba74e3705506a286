"""The pod cleanup policy (KAIRFLOW_POD_CLEANUP) of finished runs: `never` keeps every
pod, `succeeded` deletes the pods of successful task instances, `always` all of them.
It is level-triggered: an operator that starts after a run finished applies its own
policy to that run (a cleanup cut short by a restart is completed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpers import dag, manual_run, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration


def test_each_policy_and_a_cleanup_completed_after_a_restart(kube: Kube, tmp_path: Path) -> None:
    with own_namespace(kube, "cleanup") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        kubelet = FakeKubelet(kube, ns)

        def pods() -> set[str]:
            return {p.metadata.labels["kairflow.io/task"] for p in kubelet.pods()}

        keeper = ops.start(env={"KAIRFLOW_POD_CLEANUP": "never"}).wait_ready()
        tasks = [{"name": "good", "bash": "true"}, {"name": "bad", "bash": "false"}]
        kube.create(ns, "dags", dag("two", tasks))
        kube.create(ns, "dagruns", manual_run("two-1", "two"))
        kubelet.run("good")
        kubelet.run("bad", exit_code=1)
        wait_run_state(kube, ns, "two-1", "failed")
        keeper.kill()
        # `never` (the default, which every other test relies on too) kept both.
        assert pods() == {"good", "bad"}

        ops.start(env={"KAIRFLOW_POD_CLEANUP": "succeeded"}).wait_ready()
        wait_for(lambda: pods() == {"bad"}, what="only the failed task's pod left")
        ops.started[-1].kill()

        ops.start(env={"KAIRFLOW_POD_CLEANUP": "always"}).wait_ready()
        wait_for(lambda: pods() == set(), what="every pod of the run deleted")
        assert kube.get(ns, "dagruns", "two-1")["status"]["state"] == "failed"
