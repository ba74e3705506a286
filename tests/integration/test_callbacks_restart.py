"""An operator killed around a run's end runs its callback exactly once: the callback's
pod name is its lock, and the pod is created before the status that records it.

Each test runs `python -m kairflow.operator --namespace NS` processes (see
operator_process.py) for a namespace only they serve, and plays the kubelet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kairflow.core.times import parse_time
from tests.integration.helpers import dag, manual_run, run_status, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration

RUN = "alerting-1"


def callback_pods(kube: Kube, namespace: str) -> list[Any]:
    return list(
        kube.core.list_namespaced_pod(namespace, label_selector="kairflow.io/callback").items
    )


@pytest.mark.parametrize(
    "status_lost",
    [
        pytest.param(
            True,
            id="killed after creating the callback's pod, before the status recording the "
            "run's end and the callback was written",
        ),
        pytest.param(False, id="killed right after the run's end and its callback were written"),
    ],
)
def test_an_operator_killed_at_a_runs_end_runs_its_callback_once(
    kube: Kube, tmp_path: Path, status_lost: bool
) -> None:
    with (
        own_namespace(kube, "restart-callback") as ns,
        operators(kube.kubeconfig, ns, tmp_path) as ops,
    ):
        kubelet = FakeKubelet(kube, ns)
        first = ops.start().wait_ready()
        page = {"name": "page", "bash": "page someone"}
        kube.create(ns, "dags", dag("alerting", [{"name": "a", "bash": "a"}], onFailure=[page]))
        kube.create(ns, "dagruns", manual_run(RUN, "alerting"))
        a = kubelet.wait_pod("a")
        kubelet.start(a.metadata.name)
        wait_for(
            lambda: (
                (run_status(kube, ns, RUN).get("taskInstances") or {}).get("a", {}).get("state")
                == "running"
            ),
            what="a running",
        )
        before = run_status(kube, ns, RUN)
        kubelet.finish(a.metadata.name, exit_code=1)
        [created] = wait_for(lambda: callback_pods(kube, ns), what="the callback's pod")
        if not status_lost:
            wait_for(lambda: run_status(kube, ns, RUN).get("callbacks"), what="callback recorded")
        first.kill()
        if status_lost:
            # The moment this stands for: the sync that saw `a` fail created the
            # callback's pod and died before its status write.
            body = kube.get(ns, "dagruns", RUN)
            kube.custom.replace_namespaced_custom_object_status(
                "kairflow.io", "v1alpha1", ns, "dagruns", RUN, {**body, "status": before}
            )
            assert run_status(kube, ns, RUN)["state"] == "running"

        ops.start().wait_ready()
        status = wait_run_state(kube, ns, RUN, "failed")
        kubelet.start(created.metadata.name)
        kubelet.finish(created.metadata.name)

        def callback_done() -> list[dict[str, Any]] | None:
            found = run_status(kube, ns, RUN).get("callbacks") or []
            return found if found and found[0].get("state") == "success" else None

        [callback] = wait_for(callback_done, what="the callback succeeded")
        assert [p.metadata.name for p in callback_pods(kube, ns)] == [created.metadata.name]
        assert (callback["kind"], callback["pod"]) == ("onFailure", created.metadata.name)
        assert status["taskInstances"]["a"]["state"] == "failed"


def deadline_pods(kube: Kube, namespace: str) -> list[Any]:
    selector = "kairflow.io/callback=deadline"
    return list(kube.core.list_namespaced_pod(namespace, label_selector=selector).items)


@pytest.mark.parametrize(
    "when",
    [
        pytest.param("down", id="an operator down at the deadline fires it once when back"),
        pytest.param(
            "lost",
            id="killed after creating the deadline's pod, before the status recording it",
        ),
    ],
)
def test_a_deadline_fires_once_across_operator_restarts(
    kube: Kube, tmp_path: Path, when: str
) -> None:
    with (
        own_namespace(kube, "restart-deadline") as ns,
        operators(kube.kubeconfig, ns, tmp_path) as ops,
    ):
        kubelet = FakeKubelet(kube, ns)
        first = ops.start().wait_ready()
        alert = {
            "name": "sla",
            "reference": "dagrunQueuedAt",
            "interval": "4s",
            "callback": {"bash": "echo late"},
        }
        kube.create(ns, "dags", dag("tardy", [{"name": "a", "bash": "a"}], deadlines=[alert]))
        kube.create(ns, "dagruns", manual_run("tardy-1", "tardy"))
        a = kubelet.wait_pod("a")
        kubelet.start(a.metadata.name)
        wait_for(
            lambda: (
                (run_status(kube, ns, "tardy-1").get("taskInstances") or {})
                .get("a", {})
                .get("state")
                == "running"
            ),
            what="a running",
        )
        before = run_status(kube, ns, "tardy-1")
        if when == "down":
            first.kill()
            queued = parse_time(before["queuedAt"])
            assert queued is not None
            due = queued + timedelta(seconds=4.5)
            wait_for(lambda: datetime.now(UTC) > due, what="past the deadline, no operator up")
            assert deadline_pods(kube, ns) == []
        else:
            wait_for(lambda: deadline_pods(kube, ns), timeout=20, what="the deadline's pod")
            first.kill()
            body = kube.get(ns, "dagruns", "tardy-1")
            kube.custom.replace_namespaced_custom_object_status(
                "kairflow.io", "v1alpha1", ns, "dagruns", "tardy-1", {**body, "status": before}
            )

        ops.start().wait_ready()
        [pod] = wait_for(lambda: deadline_pods(kube, ns), timeout=20, what="the deadline's pod")
        wait_for(lambda: run_status(kube, ns, "tardy-1").get("callbacks"), what="recorded")
        kubelet.finish(a.metadata.name)
        wait_run_state(kube, ns, "tardy-1", "success")
        [record] = run_status(kube, ns, "tardy-1")["callbacks"]
        assert (record["kind"], record["name"], record["pod"]) == (
            "deadline",
            "sla",
            pod.metadata.name,
        )
        assert [p.metadata.name for p in deadline_pods(kube, ns)] == [pod.metadata.name]
