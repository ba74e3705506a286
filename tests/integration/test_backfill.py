"""The Backfill resource: progressive runs over a past range, each reprocess mode."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.helpers import dag, runs
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def backfill(name: str, dag_name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "Backfill",
        "metadata": {"name": name},
        "spec": {"dagName": dag_name, "from": "2024-01-01", "to": "2024-01-03", **spec},
    }


def wait_backfill(kube: Kube, ns: str, name: str) -> dict[str, Any]:
    def completed() -> dict[str, Any] | None:
        status = kube.get(ns, "backfills", name).get("status") or {}
        return status if status.get("state") in ("completed", "failed") else None

    return wait_for(completed, timeout=60, what=f"backfill {name} completed")


def states_by_date(kube: Kube, ns: str) -> dict[str, str]:
    return {
        r["spec"]["logicalDate"][:10]: (r.get("status") or {}).get("state", "")
        for r in runs(kube, ns, "history")
    }


def fail_jan_2nd(pod: Any) -> tuple[int, None]:
    failing = "20240102" in pod.metadata.labels["kairflow.io/dag-run"]
    return (1 if failing else 0), None


def test_backfill_reprocess_modes(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag(
            "history",
            [{"name": "load", "bash": "true"}],
            schedule="@daily",
            startDate="2024-01-01",
            paused=True,
            maxActiveRuns=2,
        ),
    )
    with AutoKubelet(kubelet, fail_jan_2nd) as auto:
        kube.create(ns, "backfills", backfill("first", "history"))
        status = wait_backfill(kube, ns, "first")
        assert (status["total"], status["succeeded"], status["failed"]) == (3, 2, 1)
        assert status["progress"] == "3/3"
        assert states_by_date(kube, ns) == {
            "2024-01-01": "success",
            "2024-01-02": "failed",
            "2024-01-03": "success",
        }
        assert all(r["spec"]["runType"] == "backfill" for r in runs(kube, ns, "history"))

        kube.create(ns, "backfills", backfill("again-none", "history"))
        assert wait_backfill(kube, ns, "again-none")["total"] == 0

        auto.policy = lambda pod: (0, None)
        kube.create(ns, "backfills", backfill("again-failed", "history", reprocess="failed"))
        assert wait_backfill(kube, ns, "again-failed")["total"] == 1
        wait_for(
            lambda: states_by_date(kube, ns)["2024-01-02"] == "success", what="the failed day rerun"
        )

        kube.create(ns, "backfills", backfill("again-all", "history", reprocess="completed"))
        assert wait_backfill(kube, ns, "again-all")["total"] == 3
    table = kube.kubectl("get", "backfills", "-n", ns).stdout
    assert "completed" in table and "3/3" in table


def test_run_backwards_is_refused_with_depends_on_past(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag(
            "past",
            [{"name": "t", "bash": "true", "dependsOnPast": True}],
            schedule="@daily",
            startDate="2024-01-01",
            paused=True,
        ),
    )
    kube.create(ns, "backfills", backfill("backwards", "past", runBackwards=True))
    status = wait_backfill(kube, ns, "backwards")
    assert status["state"] == "failed"
    assert "depend on their past run: t" in status["message"]
