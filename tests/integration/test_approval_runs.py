"""Approval tasks on the real apiserver, answered with the CLI: an approval lets the
run go on, a rejection skips what follows (onReject: skip), a timeout applies the
default outcome; who decided and when is in the status and an Event."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli import error_line, kairflow
from tests.integration.helpers import dag, events_for, manual_run, run_status, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def approval_dag(kube: Kube, ns: str, **approval: Any) -> None:
    tasks = [
        {"name": "ok", "approval": {"subject": "Ship {{ ds }}?", **approval}},
        {"name": "ship", "bash": "ship"},
    ]
    kube.create(ns, "dags", dag("release", tasks, ["ok >> ship"]))
    kube.create(ns, "dagruns", manual_run("release-1", "release", logicalDate="2026-03-04"))


def waiting(kube: Kube, ns: str) -> dict[str, Any]:
    return wait_for(
        lambda: (ti := run_status(kube, ns, "release-1").get("taskInstances", {}).get("ok", {}))
        .get("state") == "deferred" and ti,
        what="the approval waiting",
    )  # fmt: skip


def cli(kube: Kube, *args: str) -> Any:
    return kairflow(*args, env={"KUBECONFIG": str(kube.kubeconfig), "COLUMNS": "200"})


def test_an_approval_with_the_cli_continues_the_run(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    approval_dag(kube, ns)
    assert waiting(kube, ns)["message"] == "awaiting approval: Ship 2026-03-04?"
    assert kubelet.pods("ok") == [] and kubelet.pods("ship") == []
    done = cli(kube, "tasks", "approve", "release-1", "ok", "-n", ns, "--comment", "go")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip() == "dagrun.kairflow.io/release-1 ok approved (try 1)"
    with AutoKubelet(kubelet):
        status = wait_run_state(kube, ns, "release-1", "success")
    ok = status["taskInstances"]["ok"]
    assert ok["message"].startswith("approved by ") and ok["message"].endswith(": go")
    assert ok["approval"]["outcome"] == "approve" and ok["approval"]["at"]
    assert any(e.reason == "TaskApproved" for e in events_for(kube, ns, "release-1"))
    again = cli(kube, "tasks", "approve", "release-1", "ok", "-n", ns)
    assert error_line(again) == "error: ok of run release-1 is success, not waiting for an answer"


def test_a_rejection_skips_what_follows_with_on_reject_skip(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    approval_dag(kube, ns, onReject="skip")
    waiting(kube, ns)
    assert cli(kube, "tasks", "reject", "release-1", "ok", "-n", ns).exit_code == 0
    status = wait_run_state(kube, ns, "release-1", "success")
    states = {k: ti["state"] for k, ti in status["taskInstances"].items()}
    assert states == {"ok": "skipped", "ship": "skipped"}
    # The event is posted after the status, so on a busy machine it can come later.
    wait_for(
        lambda: any(e.reason == "TaskRejected" for e in events_for(kube, ns, "release-1")),
        what="the TaskRejected event",
    )


def test_a_timeout_applies_the_default_outcome(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    approval_dag(kube, ns, timeout="2s", defaultOutcome="reject")
    status = wait_run_state(kube, ns, "release-1", "failed", timeout=30)
    ok = status["taskInstances"]["ok"]
    assert (ok["state"], ok["message"]) == ("failed", "rejected by the timeout")
    assert ok["approval"]["by"] == "timeout"
    assert status["taskInstances"]["ship"]["state"] == "upstream_failed"
