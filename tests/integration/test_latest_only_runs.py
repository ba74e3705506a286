"""latestOnly on the real apiserver: a backfill's runs of past days skip the tasks
after it; the scheduler's latest run and a manual run do not."""

from __future__ import annotations

import pytest

from tests.integration.backfills import backfill, daily, wait_backfill
from tests.integration.helpers import manual_run, runs, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet

UNPAUSE = '{"spec": {"paused": false}}'
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

TASKS = [
    {"name": "load", "bash": "load"},
    {"name": "latest_only", "latestOnly": True, "dependsOn": ["load"]},
    {"name": "report", "bash": "report", "dependsOn": ["latest_only"]},
]


def test_past_runs_skip_the_report_and_a_manual_run_sends_it(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", daily("reports", TASKS, catchup=False))
    with AutoKubelet(kubelet):
        kube.create(ns, "backfills", backfill("past", "reports", to="2024-01-02"))
        assert wait_backfill(kube, ns, "past")["succeeded"] == 2
        for run in runs(kube, ns, "reports"):
            tis = run["status"]["taskInstances"]
            assert {k: v.get("state") for k, v in tis.items()} == {
                "load": "success",
                "latest_only": "success",
                "report": "skipped",
            }
            assert "not the latest run" in tis["latest_only"]["message"]
            assert tis["report"]["message"] == "skipped by latestOnly 'latest_only'"
        # Unpaused without catchup, the scheduler makes the run of the latest interval.
        kube.kubectl("patch", "dag", "reports", "-n", ns, "--type=merge", "-p", UNPAUSE)
        scheduled = wait_for(
            lambda: [r for r in runs(kube, ns, "reports") if r["spec"]["runType"] == "scheduled"],
            what="the scheduled run",
        )[0]["metadata"]["name"]
        kube.create(ns, "dagruns", manual_run("reports-now", "reports"))
        for name in (scheduled, "reports-now"):
            status = wait_run_state(kube, ns, name, "success", timeout=60)
            assert status["taskInstances"]["report"]["state"] == "success", name
            assert status["taskInstances"]["latest_only"]["xcom"] == ["report"]
    assert kubelet.pods("latest_only") == []  # it runs no pod
