"""Active/standby replicas through kopf peering: only the active operator acts, a
`--standby` one takes over within the peering lifetime when the active one dies;
the liveness and Prometheus endpoints of a running operator.

Both replicas are `python -m kairflow.operator --namespace NS` processes with the
same peering name, so they share the KopfPeering object of that name in NS.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kairflow.api.peering import PEERING_GROUP, PEERING_VERSION, peering_object
from tests.integration.helpers import dag, manual_run, run_status, sample, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet
from tests.integration.operator_process import OperatorProcess, operators, own_namespace

pytestmark = pytest.mark.integration

LIFETIME = 15  # settings.peering.lifetime in the operator's startup handler


def peers(kube: Kube, namespace: str, name: str) -> dict[str, dict[str, Any]]:
    """Operator id -> {priority, lifetime, lastseen}, as the replicas wrote them."""
    body = kube.custom.get_namespaced_custom_object(
        PEERING_GROUP, PEERING_VERSION, namespace, "kopfpeerings", name
    )
    status: dict[str, dict[str, Any]] = body.get("status") or {}
    return status


def priorities(kube: Kube, namespace: str, name: str) -> list[int]:
    return sorted(int(p["priority"]) for p in peers(kube, namespace, name).values())


def wait_run_pod(kubelet: FakeKubelet, run: str, task: str, timeout: float = 30) -> Any:
    selector = f"kairflow.io/dag-run={run},kairflow.io/task={task}"

    def find() -> Any:
        pods = kubelet.kube.core.list_namespaced_pod(kubelet.namespace, label_selector=selector)
        return next(iter(pods.items), None)

    return wait_for(find, timeout=timeout, what=f"pod of {run} {task}")


def run_chain(kube: Kube, kubelet: FakeKubelet, run: str, timeout: float = 30) -> None:
    """Create a run of `chain` (a >> b) and play its pods until it succeeds."""
    kube.create(kubelet.namespace, "dagruns", manual_run(run, "chain"))
    for task in ("a", "b"):
        pod = wait_run_pod(kubelet, run, task, timeout=timeout)
        kubelet.start(pod.metadata.name)
        kubelet.finish(pod.metadata.name)
    wait_run_state(kube, kubelet.namespace, run, "success")


def setup_chain(kube: Kube, namespace: str) -> FakeKubelet:
    tasks = [{"name": "a", "bash": "true"}, {"name": "b", "bash": "true"}]
    kube.create(namespace, "dags", dag("chain", tasks, ["a >> b"]))
    return FakeKubelet(kube, namespace)


def runs_done(process: OperatorProcess) -> tuple[float, float]:
    """(runs of `chain` this process saw succeed, pods it created with a ready time)."""
    metrics = process.metrics()
    finished = sample(metrics, "kairflow_dag_runs_finished_total", dag="chain", state="success")
    created = sample(metrics, "kairflow_scheduling_delay_seconds_count")
    return finished or 0.0, created or 0.0


def test_the_operator_serves_liveness_and_metrics(kube: Kube, tmp_path: Path) -> None:
    with own_namespace(kube, "endpoints") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        kubelet = setup_chain(kube, ns)
        operator = ops.start().wait_ready()
        status, _ = operator.get("/healthz") or (0, "")
        assert status == 200
        run_chain(kube, kubelet, "chain-1")
        metrics = operator.metrics()
        assert "# TYPE kairflow_dag_runs_finished_total counter" in metrics
        assert "# TYPE kairflow_scheduling_delay_seconds histogram" in metrics
        assert runs_done(operator) == (1.0, 2.0)
        assert sample(metrics, "kairflow_dag_runs", state="success") == 1.0
        assert sample(metrics, "kairflow_queue_depth", queue="dagruns") == 0.0
        assert (sample(metrics, "kairflow_syncs_total", kind="dagrun", result="ok") or 0) > 0
        durations = sample(
            metrics, "kairflow_task_instance_duration_seconds_count", dag="chain", state="success"
        )
        assert durations == 2.0
        assert sample(metrics, "kairflow_scheduling_delay_seconds_bucket", le="+Inf") == 2.0
        status, _ = operator.get("/healthz") or (0, "")
        assert status == 200


def test_a_standby_takes_over_when_the_active_operator_dies(kube: Kube, tmp_path: Path) -> None:
    with (
        own_namespace(kube, "standby") as ns,
        operators(kube.kubeconfig, ns, tmp_path, peered=True) as ops,
    ):
        kube.custom.create_namespaced_custom_object(
            PEERING_GROUP, PEERING_VERSION, ns, "kopfpeerings", peering_object(ops.peering, ns)
        )
        kubelet = setup_chain(kube, ns)
        active = ops.start().wait_ready()
        wait_for(lambda: priorities(kube, ns, ops.peering) == [100], what="active's keep-alive")
        standby = ops.start(standby=True).wait_ready()
        wait_for(lambda: priorities(kube, ns, ops.peering) == [0, 100], what="both keep-alives")

        # Only the active one acts; the paused standby is alive but does nothing.
        run_chain(kube, kubelet, "chain-1")
        assert runs_done(active) == (1.0, 2.0)
        assert runs_done(standby) == (0.0, 0.0)
        status, _ = standby.get("/healthz") or (0, "")
        assert status == 200
        assert "Pausing the watch-stream for dagruns" in standby.log()
        assert "Resuming operations" not in standby.log()
        assert "Pausing" not in active.log()

        active.kill()
        killed = time.monotonic()
        # The standby resumes when the active one's record expires (lastseen + lifetime).
        kube.create(ns, "dagruns", manual_run("chain-2", "chain"))
        first = wait_run_pod(kubelet, "chain-2", "a", timeout=LIFETIME + 15)
        takeover = time.monotonic() - killed
        print(f"takeover: chain-2's first pod {takeover:.1f}s after the active one was killed")
        assert takeover < LIFETIME + 5
        assert "Resuming operations after the pause" in standby.log()
        kubelet.start(first.metadata.name)
        kubelet.finish(first.metadata.name)
        second = wait_run_pod(kubelet, "chain-2", "b")
        kubelet.start(second.metadata.name)
        kubelet.finish(second.metadata.name)
        wait_run_state(kube, ns, "chain-2", "success")
        assert runs_done(standby) == (1.0, 2.0)
        # The survivor removed the dead replica's record.
        wait_for(lambda: priorities(kube, ns, ops.peering) == [0], what="dead peer removed")


@pytest.mark.usefixtures("operator")
def test_an_operator_of_all_namespaces_leaves_an_ignored_namespace_alone(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    """The session's operator (all namespaces) and these tests' own operators never
    both serve a namespace: it skips namespaces labelled kairflow.io/ignore=true."""
    with own_namespace(kube, "ignored") as ignored:
        setup_chain(kube, ignored)
        kube.create(ignored, "dagruns", manual_run("chain-1", "chain"))
        setup_chain(kube, kubelet.namespace)
        kube.create(kubelet.namespace, "dagruns", manual_run("chain-1", "chain"))
        # Created later, served: so the ignored one has been seen and skipped.
        wait_run_pod(kubelet, "chain-1", "a")
        assert run_status(kube, ignored, "chain-1") == {}
        assert kube.get(ignored, "dags", "chain").get("status") is None
        assert kube.core.list_namespaced_pod(ignored).items == []
