"""Pool objects on a real API server: a Pool's slots limit its namespace's task
instances, a `kubectl patch` of its slots takes effect without restarting the
operator, and `kubectl get pools` shows its counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import dag, manual_run, printed_row, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def pool(name: str, slots: int) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "Pool",
        "metadata": {"name": name},
        "spec": {"slots": slots, "description": "the warehouse takes few connections"},
    }


def test_a_pools_slots_limit_its_tasks_and_an_edit_takes_effect_live(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "pools", pool("warehouse", 1))
    tasks = [{"name": f"load{i}", "bash": "true", "pool": "warehouse"} for i in range(4)]
    kube.create(ns, "dags", dag("loads", tasks))
    kube.create(ns, "dagruns", manual_run("loads-1", "loads"))
    finished: set[str] = set()

    def pending() -> list[Any]:
        return [p for p in kubelet.pods() if p.metadata.name not in finished]

    def counts() -> dict[str, Any]:
        return kube.get(ns, "pools", "warehouse").get("status") or {}

    wait_for(
        lambda: counts().get("running") == 1 and counts().get("queued") == 3,
        what="one task in the pool's slot, three queued for it",
    )
    assert len(pending()) == 1
    assert counts() == {
        "slots": 1,
        "occupiedSlots": 1,
        "running": 1,
        "queued": 3,
        "openSlots": 0,
    }
    header, row = printed_row(kube, "pools", "-n", ns, "warehouse")
    assert header[:5] == ["NAME", "SLOTS", "RUNNING", "QUEUED", "OPEN"]
    assert row[:5] == ["warehouse", "1", "1", "3", "0"]
    listed = subprocess.run(
        [str(Path(sys.executable).with_name("kairflow")), "pools", "list", "-n", ns],
        capture_output=True,
        text=True,
        check=True,
        env={"KUBECONFIG": str(kube.kubeconfig), "PATH": "/usr/bin:/bin", "COLUMNS": "120"},
    ).stdout.splitlines()
    assert listed[0].split() == ["NAME", "SLOTS", "RUNNING", "QUEUED", "OPEN"]
    assert listed[1].split() == ["warehouse", "1", "1", "3", "0"]

    # One at a time: the next starts only once the one before it finished.
    first = pending()[0].metadata.name
    kubelet.start(first)
    kubelet.finish(first)
    finished.add(first)
    wait_for(lambda: len(pending()) == 1, what="the second task in the single slot")

    # Two slots, no restart: the next two run together.
    kube.custom.patch_namespaced_custom_object(
        "kairflow.io", "v1alpha1", ns, "pools", "warehouse", {"spec": {"slots": 2}}
    )
    wait_for(lambda: len(pending()) == 2, what="a second task once the pool has 2 slots")
    wait_for(
        lambda: counts().get("running") == 2 and counts().get("queued") == 1,
        what="the pool's status: two running, one queued",
    )
    for _ in range(3):
        pod = wait_for(pending, what="a task to run")[0].metadata.name
        assert len(pending()) <= 2
        kubelet.start(pod)
        kubelet.finish(pod)
        finished.add(pod)
    wait_run_state(kube, ns, "loads-1", "success")
    wait_for(
        lambda: counts().get("running") == 0 and counts().get("openSlots") == 2,
        what="an idle pool with both slots open",
    )
