"""A run whose status would pass the operator's size limit starts nothing more, says
so in a condition and a Warning Event, and still records what ends (on the real
apiserver, with a limit made small: KAIRFLOW_MAX_RUN_STATUS_KIB=6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpers import dag, events_for, manual_run, run_status
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration

FAN = [{"name": f"fan_{i:02d}", "bash": "true", "dependsOn": ["first"]} for i in range(40)]


def test_an_oversized_run_launches_nothing_it_cannot_record(kube: Kube, tmp_path: Path) -> None:
    with own_namespace(kube, "size") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        ops.start(env={"KAIRFLOW_MAX_RUN_STATUS_KIB": "6"}).wait_ready()
        kubelet = FakeKubelet(kube, ns)
        kube.create(ns, "dags", dag("wide", [{"name": "first", "bash": "true"}, *FAN]))
        kube.create(ns, "dagruns", manual_run("wide-1", "wide"))
        kubelet.run("first")

        def too_large() -> dict[str, str] | None:
            conditions = run_status(kube, ns, "wide-1").get("conditions") or []
            found = next((c for c in conditions if c["type"] == "TooLarge"), None)
            return found if found and found["status"] == "True" else None

        found = wait_for(too_large, what="the run saying it is too large")
        assert "over the limit of 6 KiB" in found["message"]
        status = wait_for(
            lambda: (
                (s := run_status(kube, ns, "wide-1"))["taskInstances"]["first"]["state"]
                == "success"
                and s
            ),
            what="first's success recorded",
        )
        assert status["state"] == "running"
        assert [p.metadata.name for p in kubelet.pods()] == [kubelet.pods("first")[0].metadata.name]
        reasons = [e.reason for e in events_for(kube, ns, "wide-1")]
        assert reasons.count("RunTooLarge") == 1
