"""Deadline alerts on the real apiserver: a run still running at its deadline fires
the deadline's callback pod once (the operator wakes at the deadline), gets a Warning
Event and the DeadlineMissed condition, and goes on to succeed; a later deadline the
run meets fires nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kairflow.core.times import parse_time
from tests.integration.helpers import dag, events_for, manual_run, run_status, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def deadline_pods(kube: Kube, namespace: str) -> list[Any]:
    selector = "kairflow.io/callback=deadline"
    return list(kube.core.list_namespaced_pod(namespace, label_selector=selector).items)


def test_a_run_past_its_deadline_fires_the_alert_once_and_goes_on(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    deadlines = [
        {
            "name": "sla",
            "reference": "dagrunQueuedAt",
            "interval": "3s",
            "callback": {"bash": 'echo "late: $KAIRFLOW_MESSAGE"'},
        },
        {
            "name": "generous",
            "reference": "dagrunQueuedAt",
            "interval": "1h",
            "callback": {"bash": "echo never"},
        },
    ]
    kube.create(ns, "dags", dag("late", [{"name": "slow", "bash": "slow"}], deadlines=deadlines))
    kube.create(ns, "dagruns", manual_run("late-1", "late"))
    slow = kubelet.wait_pod("slow")
    kubelet.start(slow.metadata.name)

    [pod] = wait_for(lambda: deadline_pods(kube, ns), timeout=30, what="the deadline's pod")

    def missed_in_status() -> dict[str, Any] | None:
        # The callback's pod is created before the status that records it is written.
        found = run_status(kube, ns, "late-1")
        kinds = {c["type"] for c in found.get("conditions") or []}
        return found if "DeadlineMissed" in kinds else None

    status = wait_for(missed_in_status, what="the DeadlineMissed condition")
    assert status["state"] == "running"
    queued = parse_time(status["queuedAt"])
    assert queued is not None
    # Not before the deadline (creationTimestamp has whole seconds).
    assert pod.metadata.creation_timestamp >= queued + timedelta(seconds=2)
    conditions = {c["type"]: c for c in status.get("conditions") or []}
    missed = conditions["DeadlineMissed"]
    assert missed["status"] == "True"
    assert missed["message"].startswith("missed: sla at ")
    reasons = wait_for(
        lambda: [e for e in events_for(kube, ns, "late-1") if e.reason == "DeadlineMissed"],
        what="a DeadlineMissed event",
    )
    assert reasons[0].type == "Warning"

    kubelet.finish(slow.metadata.name)
    kubelet.start(pod.metadata.name)
    kubelet.finish(pod.metadata.name)
    status = wait_run_state(kube, ns, "late-1", "success")

    def recorded() -> list[dict[str, Any]] | None:
        found = run_status(kube, ns, "late-1").get("callbacks") or []
        return found if found and found[0].get("state") == "success" else None

    [callback] = wait_for(recorded, what="the deadline callback succeeded")
    assert (callback["kind"], callback["name"], callback["pod"]) == (
        "deadline",
        "sla",
        pod.metadata.name,
    )
    assert [p.metadata.name for p in deadline_pods(kube, ns)] == [pod.metadata.name]
